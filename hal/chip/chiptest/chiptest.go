// Package chiptest has fakes for chip-driver tests: periph's gpiotest
// pins set up as a chip's reset and interrupt lines, an SPI port that
// hands each byte-sized transfer to a register model, a reset watcher for
// the models, and golden SPI sequences.
package chiptest

import (
	"errors"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// NewIRQ returns periph's fake pin for a chip's interrupt line: idle high
// (open drain with pull-up), with an edge channel so FallingEdge can wake
// the driver's WaitForEdge.
func NewIRQ(name string) *gpiotest.Pin {
	return &gpiotest.Pin{N: name, Num: -1, L: gpio.High, EdgesChan: make(chan gpio.Level, 16)}
}

// NewReset returns periph's fake pin for a chip's active-low reset line,
// released (high) until the driver drives it.
func NewReset(name string) *gpiotest.Pin {
	return &gpiotest.Pin{N: name, Num: -1, L: gpio.High}
}

// FallingEdge fires the interrupt: it pushes a low level onto the pin's
// EdgesChan, which wakes WaitForEdge (and leaves the line reading low).
func FallingEdge(p *gpiotest.Pin) { p.EdgesChan <- gpio.Low }

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

// ResetWatcher follows a fake chip's active-low reset pin by sampling its
// level, as the chip would: at every SPI transfer (Poll) and whenever the
// driver lets time pass (Sleep, the driver's Config.Sleep in tests). Chip
// models embed it. Safe for concurrent use.
type ResetWatcher struct {
	Pin gpio.PinIn

	mu      sync.Mutex
	inReset bool
	pending bool // released since the last Poll
	pulses  int
}

// NewResetWatcher watches pin.
func NewResetWatcher(pin gpio.PinIn) ResetWatcher { return ResetWatcher{Pin: pin} }

func (w *ResetWatcher) sampleLocked() {
	if w.Pin.Read() == gpio.Low {
		w.inReset = true
		return
	}
	if w.inReset {
		w.inReset = false
		w.pending = true
		w.pulses++
	}
}

// Sleep is time passing for the chip: it sees its reset line's level.
func (w *ResetWatcher) Sleep(time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sampleLocked()
}

// Poll samples the pin and reports whether the chip is held in reset now,
// and whether it has come out of reset since the last Poll (its registers
// return to their reset values then).
func (w *ResetWatcher) Poll() (held, released bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sampleLocked()
	released, w.pending = w.pending, false
	return w.inReset, released
}

// ResetPulses counts the complete reset pulses (low, then high) the chip
// has seen.
func (w *ResetWatcher) ResetPulses() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pulses
}
