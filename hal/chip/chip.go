package chip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Bus transfers single bytes, each in its own chip-select frame. It keeps
// its buffers so register access does not allocate. Not safe for
// concurrent use: drivers serialise access with their own lock.
type Bus struct {
	conn   spi.Conn
	w, r   [1]byte
	errors uint64
}

// Connect opens port at hz in mode with 8-bit words.
func Connect(port spi.Port, hz int, mode spi.Mode) (*Bus, error) {
	c, err := port.Connect(physic.Frequency(hz)*physic.Hertz, mode, 8)
	if err != nil {
		return nil, fmt.Errorf("chip: spi connect: %w", err)
	}
	return &Bus{conn: c}, nil
}

// Write sends one byte.
func (b *Bus) Write(v byte) error {
	b.w[0] = v
	if err := b.conn.Tx(b.w[:], nil); err != nil {
		b.errors++
		return fmt.Errorf("chip: spi write: %w", err)
	}
	return nil
}

// Read clocks one byte in (sending zero).
func (b *Bus) Read() (byte, error) {
	b.w[0] = 0
	if err := b.conn.Tx(b.w[:], b.r[:]); err != nil {
		b.errors++
		return 0, fmt.Errorf("chip: spi read: %w", err)
	}
	return b.r[0], nil
}

// Errors counts failed transfers.
func (b *Bus) Errors() uint64 { return b.errors }

// Pins are a chip's reset (active low, required) and interrupt (open
// drain, falling edge; nil means poll) lines.
type Pins struct {
	Reset gpio.PinOut
	IRQ   gpio.PinIn
}

// ResetPulse holds reset low for hold, releases it and waits settle.
func (p Pins) ResetPulse(sleep func(time.Duration), hold, settle time.Duration) error {
	if p.Reset == nil {
		return errors.New("chip: no reset pin")
	}
	if err := p.Reset.Out(gpio.Low); err != nil {
		return fmt.Errorf("chip: reset %s low: %w", p.Reset, err)
	}
	sleep(hold)
	if err := p.Reset.Out(gpio.High); err != nil {
		return fmt.Errorf("chip: reset %s high: %w", p.Reset, err)
	}
	sleep(settle)
	if p.IRQ != nil {
		if err := p.IRQ.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return fmt.Errorf("chip: irq %s: %w", p.IRQ, err)
		}
	}
	return nil
}

// HoldReset asserts reset: the chip stops driving the line.
func (p Pins) HoldReset() error {
	if p.Reset == nil {
		return nil
	}
	if err := p.Reset.Out(gpio.Low); err != nil {
		return fmt.Errorf("chip: hold %s in reset: %w", p.Reset, err)
	}
	return nil
}

// Wait blocks until the interrupt line falls, poll passes, or ctx ends
// (false). Without an interrupt pin it just waits poll.
func (p Pins) Wait(ctx context.Context, poll time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if p.IRQ == nil {
		t := time.NewTimer(poll)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	p.IRQ.WaitForEdge(poll)
	return ctx.Err() == nil
}

// ErrTimeout is wrapped by PollUntil when the condition never held.
var ErrTimeout = errors.New("chip: timed out")

// PollUntil reads until ok reports true, up to tries times with pause
// between reads; it returns the read error, or an error wrapping
// ErrTimeout that names what.
func PollUntil(sleep func(time.Duration), tries int, pause time.Duration, what string, read func() (bool, error)) error {
	for range tries {
		ok, err := read()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		sleep(pause)
	}
	return fmt.Errorf("%w waiting for %s", ErrTimeout, what)
}
