package wav

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader: it must never panic,
// must reject with one of the package's sentinel errors, and must produce
// a bounded amount of audio (each output sample needs input bytes) with
// bounded memory (every buffer has a fixed size).
func FuzzReader(f *testing.F) {
	for _, c := range goldenCases() {
		f.Add(c.file)
		f.Add(c.file[:len(c.file)/2])
	}
	f.Add(monoFile(44100, sine(2000, 44100, 1000, 10000)))
	f.Add(monoFile(11025, sine(500, 11025, 300, 30000)))
	f.Add(riffFile(chunk("fmt ", extensibleBody(formatTagALaw, 2, 22050, 8), true), chunkWithSize("data", 0, []byte{1, 2, 3, 4, 5})))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\xff"))
	f.Add([]byte("RIFX\x00\x00\x00\x00WAVE"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrNotWAV) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %q wraps no sentinel", err)
			}
			return
		}
		frame := make([]int16, FrameSamples)
		// 8 kHz 8-bit is the densest input: one byte per output sample;
		// resampling only reduces the count.
		maxFrames := len(data)/FrameSamples + 2
		for frames := 0; ; frames++ {
			if frames > maxFrames {
				t.Fatalf("more than %d frames from %d bytes", maxFrames, len(data))
			}
			n, err := r.ReadFrame(frame)
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("ReadFrame on an in-memory file: %v", err)
			}
			if n <= 0 || n > FrameSamples {
				t.Fatalf("ReadFrame returned %d samples", n)
			}
		}
	})
}
