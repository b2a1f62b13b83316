package sim

import (
	"sync"

	"github.com/gatepbx/gatepbx/hal"
)

// eventBuffer is how many events a port holds for a slow reader before it
// starts dropping (and counting) them.
const eventBuffer = 64

// port is what FXS and FXO ports share: identity, the event channel, and the
// lock that guards the port's state.
type port struct {
	name  string
	kind  hal.Kind
	clock hal.Clock

	mu      sync.Mutex
	events  chan hal.Event
	closed  bool
	dropped uint64
}

func newPort(name string, kind hal.Kind, clock hal.Clock) port {
	return port{name: name, kind: kind, clock: clock, events: make(chan hal.Event, eventBuffer)}
}

// Name returns the port's name, e.g. "fxs0".
func (p *port) Name() string { return p.name }

// Kind returns hal.KindFXS or hal.KindFXO.
func (p *port) Kind() hal.Kind { return p.kind }

// Events returns the port's event channel; Close closes it.
func (p *port) Events() <-chan hal.Event { return p.events }

// DroppedEvents counts events lost because the reader fell behind.
func (p *port) DroppedEvents() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dropped
}

// emitLocked queues an event without blocking. p.mu must be held, which
// also keeps it from racing with Close.
func (p *port) emitLocked(t hal.EventType, digit byte) {
	if p.closed {
		return
	}
	ev := hal.Event{Port: p.name, Type: t, Digit: digit, At: p.clock.Now()}
	select {
	case p.events <- ev:
	default:
		p.dropped++
	}
}

// closeLocked marks the port closed and closes its channel; p.mu must be
// held. It reports false if the port was already closed.
func (p *port) closeLocked() bool {
	if p.closed {
		return false
	}
	p.closed = true
	close(p.events)
	return true
}
