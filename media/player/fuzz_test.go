package player

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/gatepbx/gatepbx/media/stream"
)

// FuzzDecode feeds arbitrary bytes (a hostile download or upload) to the
// format sniffer and decoders: errors are fine, panics and hangs are not.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"testdata/tone1k-44k.mp3", "testdata/tone500-22k-stereo.mp3"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/3])
	}
	f.Add(append(streamingWAVHeader(8000, 1), 1, 2, 3, 4))
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte{0xFF, 0xFB, 0x90, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := decode(io.NopCloser(bytes.NewReader(data)))
		if err != nil {
			return
		}
		defer src.Close()
		buf := make([]int16, stream.FrameSamples)
		for range 1000 {
			if _, err := src.ReadFrame(buf); err != nil {
				return
			}
		}
	})
}
