package line

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gatepbx/gatepbx/hal"
)

// Stats are a port's diagnostic counters.
type Stats struct {
	DroppedEvents uint64 // events lost to a slow reader
	Underruns     uint64 // line frames sent as silence for want of audio
	Overruns      uint64 // received frames dropped for a slow reader
}

// port is what FXS and FXO ports share: identity, clock, the lock over
// the port state, the event channel and the two audio queues.
type port struct {
	name  string
	kind  hal.Kind
	clock hal.Clock
	cfg   Config

	mu      sync.Mutex
	events  chan hal.Event
	closed  bool
	dropped uint64

	rx, tx    chan hal.Frame
	done      chan struct{}
	underruns atomic.Uint64
	overruns  atomic.Uint64
}

// init sets up a new port.
func (p *port) init(name string, kind hal.Kind, clock hal.Clock, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("line: port %s: %w", name, err)
	}
	if clock == nil {
		clock = hal.SystemClock{}
	}
	p.name, p.kind, p.clock, p.cfg = name, kind, clock, cfg
	p.events = make(chan hal.Event, cfg.EventBuffer)
	p.rx = make(chan hal.Frame, cfg.AudioFrames)
	p.tx = make(chan hal.Frame, cfg.AudioFrames)
	p.done = make(chan struct{})
	return nil
}

// Name returns the port's name.
func (p *port) Name() string { return p.name }

// Kind returns hal.KindFXS or hal.KindFXO.
func (p *port) Kind() hal.Kind { return p.kind }

// Events delivers the port's events; Close closes it.
func (p *port) Events() <-chan hal.Event { return p.events }

// Audio returns the port's audio stream.
func (p *port) Audio() hal.AudioStream { return stream{p} }

// Stats returns the port's counters.
func (p *port) Stats() Stats {
	p.mu.Lock()
	dropped := p.dropped
	p.mu.Unlock()
	return Stats{DroppedEvents: dropped, Underruns: p.underruns.Load(), Overruns: p.overruns.Load()}
}

// emitLocked queues ev without blocking; p.mu must be held.
func (p *port) emitLocked(ev hal.Event) {
	if p.closed {
		return
	}
	ev.Port = p.name
	if ev.At.IsZero() {
		ev.At = p.clock.Now()
	}
	select {
	case p.events <- ev:
	default:
		p.dropped++
	}
}

// closeLocked marks the port closed; it reports false if it already was.
func (p *port) closeLocked() bool {
	if p.closed {
		return false
	}
	p.closed = true
	close(p.events)
	close(p.done)
	return true
}

// pushRx hands a received frame to the reader, dropping the oldest queued
// frame when the reader is behind.
func (p *port) pushRx(f *hal.Frame) {
	select {
	case p.rx <- *f:
		return
	default:
	}
	select {
	case <-p.rx:
	default:
	}
	p.overruns.Add(1)
	select {
	case p.rx <- *f:
	default:
	}
}

// popTx fills f with the next frame to send, or silence (an underrun,
// counted when count is set).
func (p *port) popTx(f *hal.Frame, count bool) {
	select {
	case *f = <-p.tx:
	default:
		*f = hal.Frame{}
		if count {
			p.underruns.Add(1)
		}
	}
}

// drainTx forgets queued outgoing audio.
func (p *port) drainTx() {
	for {
		select {
		case <-p.tx:
		default:
			return
		}
	}
}

// stream is the port's hal.AudioStream.
type stream struct{ p *port }

// ReadFrame waits for the next received frame.
func (s stream) ReadFrame(ctx context.Context, f *hal.Frame) error {
	select {
	case *f = <-s.p.rx:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("line: %s read: %w", s.p.name, ctx.Err())
	case <-s.p.done:
		return fmt.Errorf("line: %s read: %w", s.p.name, hal.ErrClosed)
	}
}

// WriteFrame queues a frame for the line, dropping the oldest when full.
func (s stream) WriteFrame(f *hal.Frame) error {
	select {
	case <-s.p.done:
		return fmt.Errorf("line: %s write: %w", s.p.name, hal.ErrClosed)
	default:
	}
	select {
	case s.p.tx <- *f:
		return nil
	default:
	}
	select {
	case <-s.p.tx:
	default:
	}
	select {
	case s.p.tx <- *f:
	default:
	}
	return nil
}
