package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gatepbx/gatepbx/hal"
)

// ErrOnHook is returned by virtual-phone actions that need the handset
// lifted (Dial, Flash).
var ErrOnHook = errors.New("phone is on hook")

// FXSPort is a simulated station port with a virtual phone on it. The
// hal.FXS methods are the exchange's side; GoOffHook, GoOnHook, Flash, Dial,
// Ringing, BellOn, RingCount and LastCallerID are the phone's side.
type FXSPort struct {
	port

	offHook      bool
	ring         *ringing // nil when not ringing
	ringCount    int      // bursts started by the current or last Ring
	lastCallerID *hal.CallerID
}

// ringing is one Ring request playing out. Timer callbacks compare their
// *ringing with the port's current one, so a stopped or replaced ring
// ignores callbacks that were already on their way.
type ringing struct {
	cadence hal.Cadence
	step    int  // index into cadence.On/Off
	bellOn  bool // inside a burst rather than a pause
	timer   hal.Timer
}

var _ hal.FXS = (*FXSPort)(nil)

func newFXSPort(name string, clock hal.Clock) *FXSPort {
	return &FXSPort{port: newPort(name, hal.KindFXS, clock)}
}

// Ring starts the virtual phone ringing with the cadence, recording
// callerID for LastCallerID. The cadence plays on the board's clock until
// StopRing, the phone going off hook, or Close.
func (p *FXSPort) Ring(ctx context.Context, cadence hal.Cadence, callerID *hal.CallerID) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: ring %s: %w", p.name, err)
	}
	if err := cadence.Validate(); err != nil {
		return fmt.Errorf("sim: ring %s: %w", p.name, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return fmt.Errorf("sim: ring %s: %w", p.name, hal.ErrClosed)
	case p.offHook:
		return fmt.Errorf("sim: ring %s: %w", p.name, hal.ErrOffHook)
	}
	p.stopRingLocked()
	p.ringCount = 0
	p.lastCallerID = nil
	if callerID != nil {
		cid := *callerID
		p.lastCallerID = &cid
	}
	cadence.On = slices.Clone(cadence.On)
	cadence.Off = slices.Clone(cadence.Off)
	r := &ringing{cadence: cadence}
	p.ring = r
	p.startBurstLocked(r)
	return nil
}

// StopRing silences the phone; a no-op when it is not ringing.
func (p *FXSPort) StopRing() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("sim: stop ring %s: %w", p.name, hal.ErrClosed)
	}
	p.stopRingLocked()
	return nil
}

// OffHook reports whether the virtual phone's handset is lifted.
func (p *FXSPort) OffHook() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.offHook
}

// Close stops any ringing and closes the event channel. Closing again is a
// no-op.
func (p *FXSPort) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopRingLocked()
	p.closeLocked()
	return nil
}

// GoOffHook lifts the handset: it ends any ringing (ring trip) and reports
// OffHook. Lifting a lifted handset does nothing.
func (p *FXSPort) GoOffHook() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("sim: %s off hook: %w", p.name, hal.ErrClosed)
	}
	if p.offHook {
		return nil
	}
	p.offHook = true
	p.stopRingLocked()
	p.emitLocked(hal.OffHook, 0)
	return nil
}

// GoOnHook hangs up and reports OnHook. Hanging up a hung-up phone does
// nothing.
func (p *FXSPort) GoOnHook() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("sim: %s on hook: %w", p.name, hal.ErrClosed)
	}
	if !p.offHook {
		return nil
	}
	p.offHook = false
	p.emitLocked(hal.OnHook, 0)
	return nil
}

// Flash presses the hook switch briefly and reports Flash.
func (p *FXSPort) Flash() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return fmt.Errorf("sim: %s flash: %w", p.name, hal.ErrClosed)
	case !p.offHook:
		return fmt.Errorf("sim: %s flash: %w", p.name, ErrOnHook)
	}
	p.emitLocked(hal.Flash, 0)
	return nil
}

// Dial reports one Digit event per character of digits, which must all be
// DTMF digits ('0'-'9', '*', '#', 'A'-'D'); nothing is reported if any is
// not. The handset must be lifted.
func (p *FXSPort) Dial(digits string) error {
	for i := 0; i < len(digits); i++ {
		if !hal.ValidDigit(digits[i]) {
			return fmt.Errorf("sim: %s dial %q: %q at %d is not a DTMF digit", p.name, digits, digits[i], i)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return fmt.Errorf("sim: %s dial: %w", p.name, hal.ErrClosed)
	case !p.offHook:
		return fmt.Errorf("sim: %s dial: %w", p.name, ErrOnHook)
	}
	for i := 0; i < len(digits); i++ {
		p.emitLocked(hal.Digit, digits[i])
	}
	return nil
}

// Ringing reports whether a ring is in progress (in a burst or a pause).
func (p *FXSPort) Ringing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ring != nil
}

// BellOn reports whether the bell is sounding right now: inside a ring
// burst rather than a pause between bursts.
func (p *FXSPort) BellOn() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ring != nil && p.ring.bellOn
}

// RingCount is how many ring bursts the current (or last) Ring has started.
func (p *FXSPort) RingCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ringCount
}

// LastCallerID is a copy of the caller ID of the current (or last) Ring, or
// nil if it had none.
func (p *FXSPort) LastCallerID() *hal.CallerID {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastCallerID == nil {
		return nil
	}
	cid := *p.lastCallerID
	return &cid
}

func (p *FXSPort) stopRingLocked() {
	if p.ring == nil {
		return
	}
	if p.ring.timer != nil {
		p.ring.timer.Stop()
	}
	p.ring = nil
}

func (p *FXSPort) startBurstLocked(r *ringing) {
	r.bellOn = true
	p.ringCount++
	r.timer = p.clock.AfterFunc(r.cadence.On[r.step], func() { p.endBurst(r) })
}

func (p *FXSPort) endBurst(r *ringing) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ring != r {
		return
	}
	r.bellOn = false
	r.timer = p.clock.AfterFunc(r.cadence.Off[r.step], func() { p.nextBurst(r) })
}

func (p *FXSPort) nextBurst(r *ringing) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ring != r {
		return
	}
	r.step = (r.step + 1) % len(r.cadence.On)
	p.startBurstLocked(r)
}
