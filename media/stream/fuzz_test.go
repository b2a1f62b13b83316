package stream_test

import (
	"encoding/binary"
	"testing"

	"github.com/gatepbx/gatepbx/media/stream"
)

// FuzzJitterBuffer feeds the jitter buffer arbitrary timestamps and packet
// lengths, as a hostile or broken peer could: no panic, and every read is
// a full frame.
func FuzzJitterBuffer(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 160, 0, 0, 0xa0, 160, 1})
	f.Add([]byte{0xff, 0xff, 0xff, 0x00, 255, 1, 0, 0, 0, 0, 40, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		j, _ := stream.NewJitterBuffer(0)
		pcm := make([]int16, 4096)
		dst := make([]int16, stream.FrameSamples)
		for len(data) >= 6 {
			ts := binary.BigEndian.Uint32(data)
			n := int(binary.BigEndian.Uint16(data[4:])) % len(pcm)
			data = data[6:]
			j.Put(ts, pcm[:n])
			if n%3 == 0 {
				if k, err := j.ReadFrame(dst); k != len(dst) || err != nil {
					t.Fatalf("ReadFrame = %d, %v", k, err)
				}
			}
		}
	})
}
