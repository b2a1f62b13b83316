package pcm

import (
	"fmt"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/chip"
	"github.com/gatepbx/gatepbx/media/g711"
)

// Idle codes: what a silent 8-bit sample looks like on the highway.
const (
	idleULaw = 0xff
	idleALaw = 0xd5
)

// Layout is a highway's shape.
type Layout struct {
	Slots  int // time slots per 8 kHz frame
	Format chip.Format
}

// Validate reports why l is unusable.
func (l Layout) Validate() error {
	if l.Slots < 1 || l.Slots > 32 {
		return fmt.Errorf("pcm: %d slots, want 1-32", l.Slots)
	}
	switch l.Format {
	case chip.ULaw, chip.ALaw, chip.Linear:
		return nil
	}
	return fmt.Errorf("pcm: unknown format %v", l.Format)
}

// SampleBytes is the size of one slot's sample.
func (l Layout) SampleBytes() int { return l.Format.SlotBits() / 8 }

// BlockBytes is the size of one 20 ms block.
func (l Layout) BlockBytes() int { return hal.FrameSamples * l.Slots * l.SampleBytes() }

// Extract expands slot's samples from a block into f.
func (l Layout) Extract(block []byte, slot int, f *hal.Frame) {
	step := l.Slots * l.SampleBytes()
	off := slot * l.SampleBytes()
	switch l.Format {
	case chip.ULaw:
		for i := range f {
			f[i] = g711.Ulaw2Linear(block[off+i*step])
		}
	case chip.ALaw:
		for i := range f {
			f[i] = g711.Alaw2Linear(block[off+i*step])
		}
	default:
		for i := range f {
			j := off + i*step
			f[i] = int16(uint16(block[j]) | uint16(block[j+1])<<8)
		}
	}
}

// Insert compresses f into slot's samples of a block.
func (l Layout) Insert(block []byte, slot int, f *hal.Frame) {
	step := l.Slots * l.SampleBytes()
	off := slot * l.SampleBytes()
	switch l.Format {
	case chip.ULaw:
		for i, s := range f {
			block[off+i*step] = g711.Linear2Ulaw(s)
		}
	case chip.ALaw:
		for i, s := range f {
			block[off+i*step] = g711.Linear2Alaw(s)
		}
	default:
		for i, s := range f {
			j := off + i*step
			block[j], block[j+1] = byte(s), byte(uint16(s)>>8)
		}
	}
}

// Idle fills a block with the format's silence.
func (l Layout) Idle(block []byte) {
	var b byte
	switch l.Format {
	case chip.ULaw:
		b = idleULaw
	case chip.ALaw:
		b = idleALaw
	}
	for i := range block {
		block[i] = b
	}
}
