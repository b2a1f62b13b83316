// Package chiptest has fakes for chip-driver tests: a GPIO pin that
// records levels and delivers edges on demand, and an SPI port that hands
// each byte-sized transfer to a register model.
package chiptest

import (
	"errors"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Pin is a fake gpio.PinIO: Out records levels, Edge wakes WaitForEdge.
type Pin struct {
	N string

	mu     sync.Mutex
	levels []gpio.Level
	edge   gpio.Edge
	edges  chan struct{}
	halted bool
}

// NewPin returns a pin named name.
func NewPin(name string) *Pin { return &Pin{N: name, edges: make(chan struct{}, 16)} }

func (p *Pin) String() string   { return p.N }
func (p *Pin) Name() string     { return p.N }
func (p *Pin) Number() int      { return -1 }
func (p *Pin) Function() string { return "" }

// Halt wakes any WaitForEdge for good.
func (p *Pin) Halt() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.halted {
		p.halted = true
		close(p.edges)
	}
	return nil
}

// In records the edge the driver asked for.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.edge = edge
	return nil
}

// Read returns the last level written (High if none).
func (p *Pin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.levels) == 0 {
		return gpio.High
	}
	return p.levels[len(p.levels)-1]
}

// WaitForEdge returns true when Edge has been called, false on timeout.
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	var after <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		after = t.C
	}
	select {
	case _, ok := <-p.edges:
		return ok
	case <-after:
		return false
	}
}

func (p *Pin) Pull() gpio.Pull        { return gpio.PullNoChange }
func (p *Pin) DefaultPull() gpio.Pull { return gpio.PullNoChange }

// Out records a level.
func (p *Pin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.levels = append(p.levels, l)
	return nil
}

// PWM is not supported.
func (p *Pin) PWM(gpio.Duty, physic.Frequency) error { return errors.New("chiptest: no PWM") }

// Edge fires the pin's interrupt once.
func (p *Pin) Edge() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.halted {
		select {
		case p.edges <- struct{}{}:
		default:
		}
	}
}

// Levels returns every level written, in order.
func (p *Pin) Levels() []gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]gpio.Level(nil), p.levels...)
}

// WantedEdge is the edge In was called with.
func (p *Pin) WantedEdge() gpio.Edge {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.edge
}

var _ gpio.PinIO = (*Pin)(nil)

// Model is a chip's register model behind the fake port: it receives each
// written byte and returns the byte clocked back.
type Model interface {
	Transfer(w byte) (r byte)
}

// Port is a fake spi.PortCloser whose connection passes single-byte
// transfers to a Model. FailAfter makes transfers fail once that many
// have succeeded (0: never).
type Port struct {
	Model     Model
	FailAfter int

	mu        sync.Mutex
	count     int
	connected bool
	Hz        physic.Frequency
	Mode      spi.Mode
}

// ErrInjected is what a failing transfer returns.
var ErrInjected = errors.New("chiptest: injected SPI failure")

func (p *Port) String() string                    { return "chiptest.Port" }
func (p *Port) Close() error                      { return nil }
func (p *Port) LimitSpeed(physic.Frequency) error { return nil }

// Connect returns the connection; it may be called once.
func (p *Port) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.connected {
		return nil, errors.New("chiptest: Connect called twice")
	}
	p.connected, p.Hz, p.Mode = true, f, mode
	return portConn{p}, nil
}

type portConn struct{ p *Port }

func (c portConn) String() string      { return "chiptest.Conn" }
func (c portConn) Duplex() conn.Duplex { return conn.Full }

// Tx passes each written byte to the model.
func (c portConn) Tx(w, r []byte) error {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if c.p.FailAfter > 0 && c.p.count >= c.p.FailAfter {
		return ErrInjected
	}
	c.p.count++
	for i, b := range w {
		out := c.p.Model.Transfer(b)
		if i < len(r) {
			r[i] = out
		}
	}
	return nil
}

// TxPackets is not used by the drivers.
func (c portConn) TxPackets([]spi.Packet) error { return errors.New("chiptest: TxPackets unsupported") }

// Transfers counts the successful transfers so far.
func (p *Port) Transfers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// SetFailAfter changes FailAfter under the port's lock.
func (p *Port) SetFailAfter(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.FailAfter = n
}

// ResetWatcher follows a fake chip's active-low reset pin.
type ResetWatcher struct {
	Pin     *Pin
	seen    int
	inReset bool
}

// Poll reports whether the chip is held in reset now, and whether it has
// come out of reset since the last Poll (its registers return to their
// reset values then).
func (w *ResetWatcher) Poll() (held, released bool) {
	levels := w.Pin.Levels()
	for _, l := range levels[w.seen:] {
		if l == gpio.Low {
			w.inReset = true
		} else if w.inReset {
			w.inReset = false
			released = true
		}
	}
	w.seen = len(levels)
	return w.inReset, released
}
