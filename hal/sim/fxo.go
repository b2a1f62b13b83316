package sim

import (
	"fmt"

	"github.com/gatepbx/gatepbx/hal"
)

// FXOPort is a simulated office port on a virtual CO line. Seize and
// Release are the exchange's side; StartRing, EndRing, ReversePolarity,
// DropBattery, RestoreBattery and Seized are the CO's side.
type FXOPort struct {
	port

	seized      bool
	ringing     bool
	batteryLost bool
}

var _ hal.FXO = (*FXOPort)(nil)

func newFXOPort(name string, clock hal.Clock) *FXOPort {
	return &FXOPort{port: newPort(name, hal.KindFXO, clock)}
}

// Seize takes the line off hook. Seizing a ringing line answers it, so the
// CO stops ringing and RingStop is reported.
func (p *FXOPort) Seize() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("sim: seize %s: %w", p.name, hal.ErrClosed)
	}
	p.seized = true
	p.endRingLocked()
	return nil
}

// Release puts the line back on hook.
func (p *FXOPort) Release() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("sim: release %s: %w", p.name, hal.ErrClosed)
	}
	p.seized = false
	return nil
}

// Close releases the line and closes the event channel. Closing again is a
// no-op.
func (p *FXOPort) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seized = false
	p.closeLocked()
	return nil
}

// Seized reports whether the exchange holds the line off hook.
func (p *FXOPort) Seized() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seized
}

// StartRing makes the CO ring the line and reports RingStart. It does
// nothing if the line is already ringing or seized.
func (p *FXOPort) StartRing() error {
	return p.coAction("ring", func() {
		if p.ringing || p.seized {
			return
		}
		p.ringing = true
		p.emitLocked(hal.RingStart, 0)
	})
}

// EndRing stops the CO ringing (the caller gave up) and reports RingStop.
func (p *FXOPort) EndRing() error {
	return p.coAction("end ring", p.endRingLocked)
}

// ReversePolarity flips the line polarity and reports PolarityReversal.
func (p *FXOPort) ReversePolarity() error {
	return p.coAction("reverse polarity", func() { p.emitLocked(hal.PolarityReversal, 0) })
}

// DropBattery removes line battery and reports BatteryLost.
func (p *FXOPort) DropBattery() error {
	return p.coAction("drop battery", func() {
		if p.batteryLost {
			return
		}
		p.batteryLost = true
		p.emitLocked(hal.BatteryLost, 0)
	})
}

// RestoreBattery puts line battery back and reports BatteryRestored.
func (p *FXOPort) RestoreBattery() error {
	return p.coAction("restore battery", func() {
		if !p.batteryLost {
			return
		}
		p.batteryLost = false
		p.emitLocked(hal.BatteryRestored, 0)
	})
}

// coAction runs a CO-side change under the port lock, refusing on a closed
// port.
func (p *FXOPort) coAction(what string, change func()) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("sim: %s %s: %w", p.name, what, hal.ErrClosed)
	}
	change()
	return nil
}

func (p *FXOPort) endRingLocked() {
	if !p.ringing {
		return
	}
	p.ringing = false
	p.emitLocked(hal.RingStop, 0)
}
