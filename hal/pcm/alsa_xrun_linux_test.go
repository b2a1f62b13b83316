//go:build linux

package pcm

import (
	"errors"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/chip"
)

// fakeKernel stands in for the PCM driver's ioctls: each transfer takes
// the next scripted outcome (an errno, or a frame count), prepares are
// counted, and the written buffers' addresses are kept.
type fakeKernel struct {
	outcomes []any // unix.Errno or int (frames transferred); empty: a full block
	prepares int
	prepErr  error
	written  []uintptr // buffer addresses of the writes
	reads    int
}

func (k *fakeKernel) ioctl(_ *os.File, req uintptr, arg unsafe.Pointer) error {
	if req == ioctlPrepare {
		k.prepares++
		return k.prepErr
	}
	x := (*xferi)(arg)
	if len(k.outcomes) > 0 {
		o := k.outcomes[0]
		k.outcomes = k.outcomes[1:]
		if errno, ok := o.(unix.Errno); ok {
			return errno
		}
		x.result = o.(int)
	} else {
		x.result = int(x.frames)
	}
	if req == ioctlWriteI {
		k.written = append(k.written, x.buf)
	} else {
		k.reads++
	}
	return nil
}

// TestALSAXrunRecovery drives ReadBlock and WriteBlock against the fake
// kernel: EPIPE (an overrun on capture, an underrun on playback)
// re-prepares the stream and reports ErrXrun, which the Pump counts and
// rides over; a short transfer is an xrun too; a failed re-prepare and
// any other errno are device errors; playback is primed one silent block
// ahead.
func TestALSAXrunRecovery(t *testing.T) {
	l := Layout{Slots: 4, Format: chip.ALaw}
	file, err := os.CreateTemp(t.TempDir(), "pcm")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	k := &fakeKernel{}
	a := &ALSA{layout: l, capture: file, playback: file, sys: k.ioctl}
	block := make([]byte, l.BlockBytes())

	if err := a.ReadBlock(block[:3]); err == nil {
		t.Error("ReadBlock accepted a block of the wrong size")
	}
	if err := a.WriteBlock(block); err != nil {
		t.Fatal(err)
	}
	ours := uintptr(unsafe.Pointer(&block[0]))
	if len(k.written) != 2 || k.written[0] == ours || k.written[1] != ours {
		t.Fatalf("first write: %d blocks, want a priming block of silence then ours", len(k.written))
	}
	if err := a.WriteBlock(block); err != nil || len(k.written) != 3 {
		t.Fatalf("second write: %v, %d blocks in all; want no second priming", err, len(k.written))
	}

	tests := []struct {
		name     string
		outcome  any
		op       func([]byte) error
		want     error
		prepares int
	}{
		{"capture overrun", unix.EPIPE, a.ReadBlock, ErrXrun, 1},
		{"playback underrun", unix.EPIPE, a.WriteBlock, ErrXrun, 1},
		{"short read", hal.FrameSamples / 2, a.ReadBlock, ErrXrun, 0},
		{"device gone", unix.ENODEV, a.ReadBlock, unix.ENODEV, 0},
	}
	for _, tt := range tests {
		k.outcomes, k.prepares = []any{tt.outcome}, 0
		err := tt.op(block)
		if !errors.Is(err, tt.want) || k.prepares != tt.prepares {
			t.Errorf("%s: err %v with %d prepares, want %v with %d", tt.name, err, k.prepares, tt.want, tt.prepares)
		}
		if tt.want == unix.ENODEV && errors.Is(err, ErrXrun) {
			t.Errorf("%s: reported as an xrun", tt.name)
		}
	}
	k.outcomes, k.prepErr = []any{unix.EPIPE}, unix.EBADFD
	if err := a.ReadBlock(block); err == nil || errors.Is(err, ErrXrun) {
		t.Errorf("xrun with a failing re-prepare = %v, want a device error", err)
	}

	// Through the Pump: xruns are counted and the highway keeps running.
	k.prepErr = nil
	full := hal.FrameSamples
	k.outcomes = []any{unix.EPIPE, full, full, unix.EPIPE} // read, write of each step
	p, err := NewPump(a, l, []Channel{{Slot: 1, Port: &loopPort{constValue: 1000}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := p.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.Blocks != 3 || s.ReadXruns != 1 || s.WriteXruns != 1 {
		t.Errorf("pump stats %+v, want 3 blocks, 1 read and 1 write xrun", s)
	}
}
