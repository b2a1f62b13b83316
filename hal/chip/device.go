package chip

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/spi"
)

// Device is the part every driver shares: the bus, the pins, and the lock
// that serialises register access and enforces the safe-state rule. A
// driver embeds it and supplies Safe, the register writes that make its
// chip harmless (the Device then asserts reset itself).
type Device struct {
	Name  string // for errors, e.g. "proslic slic0"
	Pins  Pins
	Bus   *Bus
	Sleep func(time.Duration)
	// ErrSafe is wrapped by Do once the chip is in the safe state.
	ErrSafe error
	// Safe writes the chip's safe register values (best effort).
	Safe func() []error

	mu   sync.Mutex
	safe bool
}

// Open holds the chip in reset, connects the bus and runs bringUp, all
// under the device lock; on failure the chip goes to the safe state.
func (d *Device) Open(port spi.Port, hz int, mode spi.Mode, bringUp func() error) error {
	if d.Sleep == nil {
		d.Sleep = time.Sleep
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Pins.HoldReset(); err != nil {
		return fmt.Errorf("%s: %w", d.Name, err)
	}
	bus, err := Connect(port, hz, mode)
	if err != nil {
		return fmt.Errorf("%s: %w", d.Name, err)
	}
	d.Bus = bus
	if err := bringUp(); err != nil {
		d.safeStateLocked()
		return fmt.Errorf("%s: %w", d.Name, err)
	}
	return nil
}

// Do runs f under the lock unless the chip is in the safe state; an error
// from f puts it there.
func (d *Device) Do(what string, f func() error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.safe {
		return fmt.Errorf("%s: %s: %w", d.Name, what, d.ErrSafe)
	}
	if err := f(); err != nil {
		d.safeStateLocked()
		return fmt.Errorf("%s: %s: %w", d.Name, what, err)
	}
	return nil
}

// SafeState makes the chip harmless and holds it in reset. It is best
// effort: reset is always asserted, and the first failures are reported.
func (d *Device) SafeState() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.safeStateLocked()
}

func (d *Device) safeStateLocked() error {
	var errs []error
	if !d.safe && d.Bus != nil && d.Safe != nil {
		errs = append(errs, d.Safe()...)
	}
	d.safe = true
	if err := d.Pins.HoldReset(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: safe state: %w", d.Name, err)
	}
	return nil
}

// Close puts the chip in the safe state.
func (d *Device) Close() error { return d.SafeState() }
