package pcm

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gatepbx/gatepbx/hal"
)

// ErrXrun is wrapped by a Device whose stream under- or overran; the
// device has recovered (re-prepared) by the time it returns it.
var ErrXrun = errors.New("pcm: xrun")

// Device is a PCM highway's block I/O, paced by the PCM clock.
type Device interface {
	// ReadBlock fills buf with the next captured block, blocking until
	// it is there.
	ReadBlock(buf []byte) error
	// WriteBlock queues one block for playback.
	WriteBlock(buf []byte) error
	Close() error
}

// Port is the PCM side of a line-engine port.
type Port interface {
	RxFrame(*hal.Frame)
	TxFrame(*hal.Frame)
}

// Channel maps a time slot to a port.
type Channel struct {
	Slot int
	Port Port
}

// Stats are the pump's counters.
type Stats struct {
	Blocks     uint64 // blocks moved
	ReadXruns  uint64 // capture overruns recovered
	WriteXruns uint64 // playback underruns recovered
}

// Pump moves audio between a Device and its ports.
type Pump struct {
	layout   Layout
	dev      Device
	channels []Channel
	in, out  []byte
	frame    hal.Frame // reused: passing a local to the ports would allocate

	blocks, readXruns, writeXruns atomic.Uint64
}

// NewPump checks the slot map and allocates the block buffers.
func NewPump(dev Device, layout Layout, channels []Channel) (*Pump, error) {
	if err := layout.Validate(); err != nil {
		return nil, err
	}
	used := make(map[int]bool)
	for _, c := range channels {
		if c.Slot < 0 || c.Slot >= layout.Slots {
			return nil, fmt.Errorf("pcm: slot %d outside 0-%d", c.Slot, layout.Slots-1)
		}
		if used[c.Slot] {
			return nil, fmt.Errorf("pcm: slot %d mapped twice", c.Slot)
		}
		used[c.Slot] = true
	}
	p := &Pump{layout: layout, dev: dev, channels: append([]Channel(nil), channels...),
		in: make([]byte, layout.BlockBytes()), out: make([]byte, layout.BlockBytes())}
	layout.Idle(p.out)
	return p, nil
}

// Step moves one block: read, hand each port its frame, collect each
// port's frame, write. An xrun is counted and the block continues (a
// failed read gives the ports silence); other device errors are returned.
func (p *Pump) Step() error {
	f := &p.frame
	if err := p.dev.ReadBlock(p.in); err != nil {
		if !errors.Is(err, ErrXrun) {
			return fmt.Errorf("pcm: read: %w", err)
		}
		p.readXruns.Add(1)
		p.layout.Idle(p.in)
	}
	for _, c := range p.channels {
		p.layout.Extract(p.in, c.Slot, f)
		c.Port.RxFrame(f)
	}
	for _, c := range p.channels {
		c.Port.TxFrame(f)
		p.layout.Insert(p.out, c.Slot, f)
	}
	if err := p.dev.WriteBlock(p.out); err != nil {
		if !errors.Is(err, ErrXrun) {
			return fmt.Errorf("pcm: write: %w", err)
		}
		p.writeXruns.Add(1)
	}
	p.blocks.Add(1)
	return nil
}

// Run steps until ctx ends or the device fails. Closing the device is the
// caller's job (it also unblocks a pending read).
func (p *Pump) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := p.Step(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	return nil
}

// Stats returns the counters.
func (p *Pump) Stats() Stats {
	return Stats{Blocks: p.blocks.Load(), ReadXruns: p.readXruns.Load(), WriteXruns: p.writeXruns.Load()}
}
