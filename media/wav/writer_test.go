package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testSignal has a tone, silence, both extremes and an odd length.
func testSignal() []int16 {
	s := sine(1001, SampleRate, 440, 12000)
	return append(s, 0, 0, 32767, -32768, 1, -1, 300)
}

func TestWriterRoundTrip(t *testing.T) {
	signal := testSignal()
	tests := []struct {
		encoding   Encoding
		headerLen  int
		fileFormat Format
		expect     func(int16) int16
	}{
		{EncodingPCM16, 44, Format{Encoding: EncodingPCM16, SampleRate: 8000, Channels: 1}, func(s int16) int16 { return s }},
		{EncodingMuLaw, 58, Format{Encoding: EncodingMuLaw, SampleRate: 8000, Channels: 1}, func(s int16) int16 { return muLawDecode(muLawEncode(s)) }},
		{EncodingALaw, 58, Format{Encoding: EncodingALaw, SampleRate: 8000, Channels: 1}, func(s int16) int16 { return aLawDecode(aLawEncode(s)) }},
	}
	for _, tt := range tests {
		t.Run(tt.encoding.String(), func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "out.wav"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			w, err := NewWriter(f, tt.encoding)
			if err != nil {
				t.Fatal(err)
			}
			// Uneven write sizes, one larger than the internal buffer.
			for rest, size := signal, 1; len(rest) > 0; size = size*3 + 1 {
				n := min(size, len(rest))
				if err := w.WriteSamples(rest[:n]); err != nil {
					t.Fatal(err)
				}
				rest = rest[n:]
			}
			if err := w.WriteSamples(sine(5000, SampleRate, 1000, 1000)); err != nil {
				t.Fatal(err)
			}
			if got, want := w.Samples(), int64(len(signal)+5000); got != want {
				t.Errorf("Samples() = %d, want %d", got, want)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteSamples(signal); err == nil {
				t.Error("WriteSamples after Close succeeded")
			}
			raw, err := os.ReadFile(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			dataLen := (len(signal) + 5000) * tt.encoding.bytesPerSample()
			wantSize := tt.headerLen + dataLen + dataLen%2
			if len(raw) != wantSize {
				t.Fatalf("file is %d bytes, want %d", len(raw), wantSize)
			}
			if got := binary.LittleEndian.Uint32(raw[4:]); int(got) != len(raw)-8 {
				t.Errorf("RIFF size %d, want %d", got, len(raw)-8)
			}
			if got := binary.LittleEndian.Uint32(raw[tt.headerLen-4:]); int(got) != dataLen {
				t.Errorf("data size %d, want %d", got, dataLen)
			}
			got, format := decodeBytes(t, raw)
			if format != tt.fileFormat {
				t.Errorf("format %+v, want %+v", format, tt.fileFormat)
			}
			want := append(slices.Clone(signal), sine(5000, SampleRate, 1000, 1000)...)
			for i := range want {
				want[i] = tt.expect(want[i])
			}
			if !slices.Equal(got, want) {
				t.Errorf("read back %d samples differing from the %d written", len(got), len(want))
			}
		})
	}
}

func TestWriterRejectsPCM8(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "x.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := NewWriter(f, EncodingPCM8); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
}

// failingSeeker is a WriteSeeker whose writes fail after a budget.
type failingSeeker struct {
	budget int
}

func (f *failingSeeker) Write(p []byte) (int, error) {
	if len(p) > f.budget {
		return 0, errors.New("device full")
	}
	f.budget -= len(p)
	return len(p), nil
}

func (f *failingSeeker) Seek(int64, int) (int64, error) { return 0, nil }

func TestWriterReportsWriteErrors(t *testing.T) {
	w, err := NewWriter(&failingSeeker{budget: 100}, EncodingPCM16)
	if err != nil {
		t.Fatal(err)
	}
	err = w.WriteSamples(make([]int16, 10000))
	if err == nil {
		err = w.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "device full") {
		t.Fatalf("err = %v, want the device error", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after a failed write returned nil")
	}
}

func TestWriteSamplesDoesNotAllocate(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "x.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, EncodingMuLaw)
	if err != nil {
		t.Fatal(err)
	}
	frame := sine(FrameSamples, SampleRate, 440, 5000)
	if allocs := testing.AllocsPerRun(100, func() { w.WriteSamples(frame) }); allocs != 0 {
		t.Errorf("%.1f allocations per WriteSamples, want 0", allocs)
	}
}

func TestAtomicFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.wav")
	if err := os.WriteFile(path, []byte("old content"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := CreateAtomic(path, EncodingPCM16, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WriteSamples(testSignal()); err != nil {
		t.Fatal(err)
	}
	if old, _ := os.ReadFile(path); string(old) != "old content" {
		t.Fatalf("final path changed before Commit: %q", old)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
	if err := a.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := readAll(t, r); !slices.Equal(got, testSignal()) {
		t.Error("committed file does not hold the samples written")
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v (%v), want 0640", info.Mode(), err)
	}
	assertOnlyFiles(t, dir, "rec.wav")

	b, err := CreateAtomic(filepath.Join(dir, "aborted.wav"), EncodingALaw, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteSamples(testSignal())
	if err := b.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteSamples(testSignal()); err == nil {
		t.Error("WriteSamples after Abort succeeded")
	}
	assertOnlyFiles(t, dir, "rec.wav")

	if _, err := CreateAtomic(filepath.Join(dir, "missing", "x.wav"), EncodingPCM16, 0o644); err == nil {
		t.Error("CreateAtomic in a missing directory succeeded")
	}
}

func TestAtomicFileRenameFailureCleansUp(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := CreateAtomic(target, EncodingPCM16, 0o644) // renaming a file over a non-empty directory fails
	if err != nil {
		t.Fatal(err)
	}
	a.WriteSamples(testSignal())
	if err := a.Commit(); err == nil || !strings.Contains(err.Error(), "rename") {
		t.Fatalf("Commit over a directory: err = %v, want a rename error", err)
	}
	assertOnlyFiles(t, dir, "target")
}

func assertOnlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, want) {
		t.Errorf("directory holds %v, want %v", names, want)
	}
}

func TestWriterAtOffset(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "x.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prefix := []byte("PREFIX--")
	f.Write(prefix)
	w, err := NewWriter(f, EncodingPCM16)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteSamples([]int16{1, 2, 3})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("TAIL"))
	raw, _ := os.ReadFile(f.Name())
	if !bytes.HasPrefix(raw, prefix) || !bytes.HasSuffix(raw, []byte("TAIL")) {
		t.Fatalf("prefix or tail clobbered: %q", raw)
	}
	got, _ := decodeBytes(t, raw[len(prefix):len(raw)-4])
	if !slices.Equal(got, []int16{1, 2, 3}) {
		t.Errorf("got %v", got)
	}
}
