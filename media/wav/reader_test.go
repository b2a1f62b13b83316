package wav

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// goldenCase is a small WAV file built byte by byte and what reading it
// must give.
type goldenCase struct {
	name   string
	file   []byte
	format Format
	want   []int16
}

func goldenCases() []goldenCase {
	mono16 := fmtBody(formatTagPCM, 1, 8000, 16)
	samples := []int16{0, 1000, -1000, 32767, -32768, 7}
	pcm := pcm16Bytes(samples...)
	f16 := Format{Encoding: EncodingPCM16, SampleRate: 8000, Channels: 1}
	return []goldenCase{
		{"pcm16 mono", riffFile(chunk("fmt ", mono16, true), chunk("data", pcm, true)), f16, samples},
		{"pcm8 mono", riffFile(chunk("fmt ", fmtBody(formatTagPCM, 1, 8000, 8), true), chunk("data", []byte{128, 255, 0, 129}, true)),
			Format{Encoding: EncodingPCM8, SampleRate: 8000, Channels: 1}, []int16{0, 32512, -32768, 256}},
		{"pcm16 stereo mixed down", riffFile(chunk("fmt ", fmtBody(formatTagPCM, 2, 8000, 16), true), chunk("data", pcm16Bytes(1000, 3000, -1000, -3001, 32767, 32767, -32768, -32768), true)),
			Format{Encoding: EncodingPCM16, SampleRate: 8000, Channels: 2}, []int16{2000, -2001, 32767, -32768}},
		{"pcm8 stereo", riffFile(chunk("fmt ", fmtBody(formatTagPCM, 2, 8000, 8), true), chunk("data", []byte{255, 255, 0, 0, 128, 130}, true)),
			Format{Encoding: EncodingPCM8, SampleRate: 8000, Channels: 2}, []int16{32512, -32768, 256}},
		{"mu-law mono", riffFile(chunk("fmt ", append(fmtBody(formatTagMuLaw, 1, 8000, 8), 0, 0), true), chunk("fact", []byte{3, 0, 0, 0}, true), chunk("data", []byte{0xff, 0x80, 0x00}, true)),
			Format{Encoding: EncodingMuLaw, SampleRate: 8000, Channels: 1}, []int16{0, 32124, -32124}},
		{"A-law mono", riffFile(chunk("fmt ", fmtBody(formatTagALaw, 1, 8000, 8), true), chunk("data", []byte{0xd5, 0x55, 0xaa}, true)),
			Format{Encoding: EncodingALaw, SampleRate: 8000, Channels: 1}, []int16{8, -8, 32256}},
		{"mu-law stereo", riffFile(chunk("fmt ", fmtBody(formatTagMuLaw, 2, 8000, 8), true), chunk("data", []byte{0x80, 0x00, 0x80, 0x80}, true)),
			Format{Encoding: EncodingMuLaw, SampleRate: 8000, Channels: 2}, []int16{0, 32124}},
		{"extensible pcm16", riffFile(chunk("fmt ", extensibleBody(formatTagPCM, 1, 8000, 16), true), chunk("data", pcm, true)),
			Format{Encoding: EncodingPCM16, SampleRate: 8000, Channels: 1, Extensible: true}, samples},
		{"extensible mu-law", riffFile(chunk("fmt ", extensibleBody(formatTagMuLaw, 1, 8000, 8), true), chunk("data", []byte{0xff, 0x80}, true)),
			Format{Encoding: EncodingMuLaw, SampleRate: 8000, Channels: 1, Extensible: true}, []int16{0, 32124}},
		{"LIST before fmt, fact and cue between", riffFile(chunk("LIST", []byte("INFOISFT\x06\x00\x00\x00Lavf58"), true), chunk("fmt ", mono16, true), chunk("fact", []byte{6, 0, 0, 0}, true), chunk("cue ", make([]byte, 28), true), chunk("data", pcm, true)),
			f16, samples},
		{"odd chunk with pad byte", riffFile(chunk("fmt ", mono16, true), chunk("junk", []byte{1, 2, 3}, true), chunk("data", pcm, true)), f16, samples},
		{"odd chunk without pad byte", riffFile(chunk("fmt ", mono16, true), chunk("junk", []byte{1, 2, 3}, false), chunk("data", pcm, true)), f16, samples},
		{"odd fmt chunk with pad", riffFile(chunk("fmt ", append(slices.Clone(mono16), 0xee), true), chunk("data", pcm, true)), f16, samples},
		{"data size 0 read to EOF", riffFile(chunk("fmt ", mono16, true), chunkWithSize("data", 0, pcm)), f16, samples},
		{"data size 0xffffffff read to EOF", riffFile(chunk("fmt ", mono16, true), chunkWithSize("data", 0xffffffff, pcm)), f16, samples},
		{"data size past EOF", riffFile(chunk("fmt ", mono16, true), chunkWithSize("data", 0x7ffff000, pcm)), f16, samples},
		{"data size respected before trailing LIST", riffFile(chunk("fmt ", mono16, true), chunk("data", pcm, true), chunk("LIST", []byte("INFOjunkjunk"), true)), f16, samples},
		{"trailing partial sample dropped", riffFile(chunk("fmt ", mono16, true), chunkWithSize("data", 0, append(slices.Clone(pcm), 0x55))), f16, samples},
		{"empty data", riffFile(chunk("fmt ", mono16, true), chunk("data", nil, true)), f16, nil},
	}
}

func TestReadGolden(t *testing.T) {
	for _, tt := range goldenCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, format := decodeBytes(t, tt.file)
			if format != tt.format {
				t.Errorf("format = %+v, want %+v", format, tt.format)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("samples = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadRejects(t *testing.T) {
	mono16 := fmtBody(formatTagPCM, 1, 8000, 16)
	data := chunk("data", pcm16Bytes(1, 2), true)
	badGUID := extensibleBody(formatTagPCM, 1, 8000, 16)
	badGUID[len(badGUID)-1] ^= 0xff
	manyChunks := [][]byte{chunk("fmt ", mono16, true)}
	for range maxChunksBeforeData {
		manyChunks = append(manyChunks, chunk("junk", nil, true))
	}
	manyChunks = append(manyChunks, data)
	tests := []struct {
		name    string
		file    []byte
		want    error
		mention string
	}{
		{"empty", nil, ErrNotWAV, "shorter than a RIFF header"},
		{"text", []byte("hello world, this is not audio"), ErrNotWAV, `"hell"`},
		{"RIFX", append([]byte("RIFX\x00\x00\x00\x00WAVE"), data...), ErrUnsupported, "RIFX"},
		{"RF64", append([]byte("RF64\xff\xff\xff\xffWAVE"), data...), ErrUnsupported, "RF64"},
		{"AVI", []byte("RIFF\x00\x00\x00\x00AVI LIST"), ErrNotWAV, `"AVI "`},
		{"no fmt", riffFile(chunk("LIST", []byte("INFO"), true)), ErrMalformed, "no fmt chunk"},
		{"no data", riffFile(chunk("fmt ", mono16, true)), ErrMalformed, "no data chunk"},
		{"data before fmt", riffFile(data, chunk("fmt ", mono16, true)), ErrMalformed, "data chunk before the fmt chunk"},
		{"short fmt", riffFile(chunk("fmt ", mono16[:14], true), data), ErrMalformed, "fmt chunk of 14 bytes"},
		{"truncated fmt", riffFile(chunkWithSize("fmt ", 16, mono16[:10])), ErrMalformed, "truncated fmt chunk"},
		{"huge fmt", riffFile(chunkWithSize("fmt ", 5000, make([]byte, 5000)), data), ErrMalformed, "fmt chunk of 5000 bytes"},
		{"two fmt", riffFile(chunk("fmt ", mono16, true), chunk("fmt ", mono16, true), data), ErrMalformed, "second fmt chunk"},
		{"huge LIST", riffFile(chunkWithSize("LIST", 0x7fffffff, nil)), ErrMalformed, "header limit"},
		{"truncated LIST", riffFile(chunk("fmt ", mono16, true), chunkWithSize("LIST", 100, []byte("INFO"))), ErrMalformed, `"LIST" chunk truncated`},
		{"too many chunks", riffFile(manyChunks...), ErrMalformed, "more than 256 chunks"},
		{"float", riffFile(chunk("fmt ", fmtBody(formatTagFloat, 1, 8000, 32), true), data), ErrUnsupported, "IEEE float"},
		{"ADPCM", riffFile(chunk("fmt ", fmtBodyAlign(0x11, 1, 8000, 4, 256), true), data), ErrUnsupported, "IMA ADPCM"},
		{"unknown tag", riffFile(chunk("fmt ", fmtBody(0x1234, 1, 8000, 16), true), data), ErrUnsupported, "0x1234"},
		{"24-bit", riffFile(chunk("fmt ", fmtBody(formatTagPCM, 1, 8000, 24), true), data), ErrUnsupported, "24-bit PCM"},
		{"16-bit mu-law", riffFile(chunk("fmt ", fmtBody(formatTagMuLaw, 1, 8000, 16), true), data), ErrMalformed, "16 bits per sample"},
		{"3 channels", riffFile(chunk("fmt ", fmtBody(formatTagPCM, 3, 8000, 16), true), data), ErrUnsupported, "3 channels"},
		{"0 channels", riffFile(chunk("fmt ", fmtBodyAlign(formatTagPCM, 0, 8000, 16, 2), true), data), ErrUnsupported, "0 channels"},
		{"96 kHz", riffFile(chunk("fmt ", fmtBody(formatTagPCM, 1, 96000, 16), true), data), ErrUnsupported, "96000 Hz"},
		{"6 kHz", riffFile(chunk("fmt ", fmtBody(formatTagPCM, 1, 6000, 16), true), data), ErrUnsupported, "6000 Hz"},
		{"bad block align", riffFile(chunk("fmt ", fmtBodyAlign(formatTagPCM, 2, 8000, 16, 2), true), data), ErrMalformed, "block align 2, want 4"},
		{"extensible too short", riffFile(chunk("fmt ", extensibleBody(formatTagPCM, 1, 8000, 16)[:18], true), data), ErrMalformed, "want 40"},
		{"extensible bad GUID", riffFile(chunk("fmt ", badGUID, true), data), ErrUnsupported, "GUID"},
		{"extensible float", riffFile(chunk("fmt ", extensibleBody(formatTagFloat, 1, 8000, 32), true), data), ErrUnsupported, "IEEE float"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.file))
			if err == nil {
				t.Fatalf("NewReader accepted the file (format %+v)", r.Format())
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q does not wrap %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

func TestReadFrameSizes(t *testing.T) {
	samples := sine(400, 8000, 440, 8000)
	file := riffFile(chunk("fmt ", fmtBody(formatTagPCM, 1, 8000, 16), true), chunk("data", pcm16Bytes(samples...), true))
	r, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadFrame(make([]int16, FrameSamples-1)); !errors.Is(err, io.ErrShortBuffer) {
		t.Fatalf("short dst: err = %v, want io.ErrShortBuffer", err)
	}
	frame := make([]int16, 2*FrameSamples) // larger than needed: still one frame per call
	var got []int
	for {
		n, err := r.ReadFrame(frame)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if want := []int{160, 160, 80}; !slices.Equal(got, want) {
		t.Errorf("frame sizes = %v, want %v", got, want)
	}
	if n, err := r.ReadFrame(frame); n != 0 || err != io.EOF {
		t.Errorf("after EOF: %d, %v; want 0, io.EOF", n, err)
	}
}

// errAfterReader returns its data, then a non-EOF error.
type errAfterReader struct {
	data []byte
	err  error
}

func (e *errAfterReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReadErrorPropagates(t *testing.T) {
	boom := errors.New("disk on fire")
	file := riffFile(chunk("fmt ", fmtBody(formatTagPCM, 1, 8000, 16), true), chunkWithSize("data", 0, pcm16Bytes(1, 2, 3)))
	r, err := NewReader(&errAfterReader{data: file, err: boom})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, FrameSamples)
	n, err := r.ReadFrame(frame)
	if n != 3 || err != nil {
		t.Fatalf("first frame: %d, %v; want the 3 samples before the error", n, err)
	}
	if _, err := r.ReadFrame(frame); !errors.Is(err, boom) {
		t.Fatalf("second frame: err = %v, want %v", err, boom)
	}
}

func TestReadFrameDoesNotAllocate(t *testing.T) {
	for _, rate := range []int{8000, 44100, 11025} {
		in := sine(rate*3, rate, 440, 10000) // 3 s: more than AllocsPerRun's 101 frames
		file := riffFile(chunk("fmt ", fmtBody(formatTagPCM, 2, rate, 16), true), chunk("data", pcm16Bytes(stereo(in)...), true))
		r, err := NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		frame := make([]int16, FrameSamples)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := r.ReadFrame(frame); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%d Hz: %.1f allocations per ReadFrame, want 0", rate, allocs)
		}
	}
}

// stereo duplicates a mono signal into both channels.
func stereo(mono []int16) []int16 {
	out := make([]int16, 0, 2*len(mono))
	for _, s := range mono {
		out = append(out, s, s)
	}
	return out
}

func BenchmarkReadFrame(b *testing.B) {
	for _, rate := range []int{8000, 22050, 44100, 48000} {
		in := sine(rate*2, rate, 440, 10000)
		file := riffFile(chunk("fmt ", fmtBody(formatTagPCM, 1, rate, 16), true), chunk("data", pcm16Bytes(in...), true))
		b.Run(strconv.Itoa(rate)+"Hz", func(b *testing.B) {
			frame := make([]int16, FrameSamples)
			b.ReportAllocs()
			r, _ := NewReader(bytes.NewReader(file))
			for b.Loop() {
				if _, err := r.ReadFrame(frame); err == io.EOF {
					b.StopTimer()
					r, _ = NewReader(bytes.NewReader(file))
					b.StartTimer()
				}
			}
		})
	}
}
