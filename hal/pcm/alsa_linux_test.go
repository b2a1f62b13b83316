//go:build linux

package pcm

import (
	"testing"
	"unsafe"

	"github.com/gatepbx/gatepbx/hal/chip"
)

// TestALSAABI checks the structure sizes and ioctl numbers against the
// kernel's values for this word size (asound.h: snd_pcm_hw_params is 604
// bytes on 32-bit and 608 on 64-bit targets).
func TestALSAABI(t *testing.T) {
	word := unsafe.Sizeof(uintptr(0))
	want := map[uintptr]struct {
		params           uintptr
		hw, writei, read uintptr
	}{
		4: {604, 0xc25c4111, 0x400c4150, 0x800c4151},
		8: {608, 0xc2604111, 0x40184150, 0x80184151},
	}[word]
	if got := unsafe.Sizeof(hwParams{}); got != want.params {
		t.Errorf("sizeof(hw_params) = %d, want %d", got, want.params)
	}
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"HW_PARAMS", ioctlHWParams, want.hw},
		{"WRITEI_FRAMES", ioctlWriteI, want.writei},
		{"READI_FRAMES", ioctlReadI, want.read},
		{"PREPARE", ioctlPrepare, 0x4140},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestHWParams(t *testing.T) {
	p := newHWParams(Layout{Slots: 4, Format: chip.ALaw})
	if p.masks[paramFormat].bits[0] != 1<<formatALaw {
		t.Errorf("format mask %#x", p.masks[paramFormat].bits[0])
	}
	if p.masks[paramAccess].bits[0] != 1<<accessRWInterleaved {
		t.Errorf("access mask %#x", p.masks[paramAccess].bits[0])
	}
	for _, c := range []struct {
		param int
		want  uint32
	}{{paramChannels, 4}, {paramRate, 8000}, {paramPeriodSize, 160}, {paramFrameBits, 32}, {paramBufferSize, 640}} {
		iv := p.intervals[c.param-paramFirstIntvl]
		if iv.min != c.want || iv.max != c.want {
			t.Errorf("param %d = %d..%d, want %d", c.param, iv.min, iv.max, c.want)
		}
	}
}

func TestOpenALSAWithoutDevice(t *testing.T) {
	if _, err := OpenALSA(97, 0, Layout{Slots: 2, Format: chip.ULaw}); err == nil {
		t.Error("OpenALSA on a missing card succeeded")
	}
}
