package line

import (
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
	"github.com/gatepbx/gatepbx/media/dtmf"
)

// FXODriver is what an FXO port needs from its DAA. SetHook must be quick;
// on error the driver has already put its chip in the safe state.
type FXODriver interface {
	SetHook(offHook bool) error
}

// FXO is an office port run by the line engine. It implements hal.FXO and
// hal.AudioPort; the driver side is RawRing, RawLine, TxFrame and RxFrame.
type FXO struct {
	port
	drv FXODriver

	seized   bool
	hookBusy bool // a flash or pulse dialling is playing out
	hookSeq  hal.Timer

	// Ring detection.
	inBurst   bool
	ringing   bool
	ringOff   hal.Timer
	ringStop  hal.Timer
	ringCount int

	// Line voltage supervision.
	battery, reversed  bool // committed states
	lineKnown          bool
	rawBattery, rawRev bool
	batTimer, polTimer hal.Timer
	batGen, polGen     uint64
	busyFired          bool
	demod              *cid.Demodulator // FSK caller ID; RxFrame caller only
	det                *dtmf.Detector   // DTMF caller ID; RxFrame caller only
	dtmfEv             []dtmf.Event
	dtmfCID            []byte
	busy               *ToneDetector // RxFrame caller only; nil without busy tones
	rxSeizedWas        bool
}

var (
	_ hal.FXO       = (*FXO)(nil)
	_ hal.AudioPort = (*FXO)(nil)
)

// NewFXO returns an FXO port driving drv on clock (nil: hal.SystemClock).
// It puts the line on hook.
func NewFXO(name string, drv FXODriver, clock hal.Clock, cfg Config) (*FXO, error) {
	p := &FXO{drv: drv, dtmfEv: make([]dtmf.Event, 0, 8), dtmfCID: make([]byte, 0, 32)}
	if err := p.init(name, hal.KindFXO, clock, cfg); err != nil {
		return nil, err
	}
	if cfg.CallerID.Signalling == cid.FSK {
		p.demod = cid.NewDemodulator(cfg.CallerID.Burst.Modem, -40)
	}
	det, err := dtmf.NewDetector(dtmf.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("line: port %s: %w", name, err)
	}
	p.det = det
	if len(cfg.BusyTones) > 0 {
		p.busy = NewToneDetector(cfg.BusyTones, cfg.BusyCount)
	}
	if err := drv.SetHook(false); err != nil {
		return nil, fmt.Errorf("line: port %s: on hook: %w", name, err)
	}
	return p, nil
}

// RawRing reports the DAA's ring-detect state. The bits may chatter at the
// ring frequency; drivers call it on every change.
func (p *FXO) RawRing(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if on {
		stopTimer(&p.ringOff)
		if p.inBurst || p.seized {
			return
		}
		p.inBurst = true
		stopTimer(&p.ringStop)
		p.ringCount++
		if !p.ringing {
			p.ringing = true
			p.emitLocked(hal.Event{Type: hal.RingStart})
		}
		return
	}
	if !p.inBurst || p.ringOff != nil {
		return
	}
	p.ringOff = p.clock.AfterFunc(p.cfg.RingOffDebounce, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed || !p.inBurst {
			return
		}
		p.inBurst, p.ringOff = false, nil
		p.ringStop = p.clock.AfterFunc(p.cfg.RingStopTimeout, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if !p.closed && !p.inBurst && p.ringing {
				p.ringStop = nil
				p.endRingingLocked()
			}
		})
	})
}

func (p *FXO) endRingingLocked() {
	stopTimer(&p.ringOff)
	stopTimer(&p.ringStop)
	p.inBurst = false
	if p.ringing {
		p.ringing = false
		p.emitLocked(hal.Event{Type: hal.RingStop})
	}
}

// RingCount is how many ring bursts the current (or last) ringing had.
func (p *FXO) RingCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ringCount
}

// RawLine reports the tip-ring voltage (signed: the sign is the polarity).
// Drivers call it when it changes noticeably or periodically.
func (p *FXO) RawLine(volts int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	battery := volts >= p.cfg.BatteryThreshold || volts <= -p.cfg.BatteryThreshold
	rev := volts < 0
	if !p.lineKnown {
		p.lineKnown = true
		p.battery, p.rawBattery = battery, battery
		p.reversed, p.rawRev = rev, rev
		return
	}
	if battery != p.rawBattery {
		p.rawBattery = battery
		p.batGen++
		gen := p.batGen
		stopTimer(&p.batTimer)
		p.batTimer = p.clock.AfterFunc(p.cfg.LineDebounce, func() { p.commitBattery(gen) })
	}
	// Polarity is meaningless without battery.
	if battery && rev != p.rawRev {
		p.rawRev = rev
		p.polGen++
		gen := p.polGen
		stopTimer(&p.polTimer)
		p.polTimer = p.clock.AfterFunc(p.cfg.LineDebounce, func() { p.commitPolarity(gen) })
	}
}

func (p *FXO) commitBattery(gen uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || gen != p.batGen || p.rawBattery == p.battery {
		return
	}
	p.battery = p.rawBattery
	if !p.battery {
		p.emitLocked(hal.Event{Type: hal.BatteryLost})
		if p.seized {
			p.emitLocked(hal.Event{Type: hal.Disconnect, Cause: hal.CauseBattery})
		}
		return
	}
	p.emitLocked(hal.Event{Type: hal.BatteryRestored})
}

func (p *FXO) commitPolarity(gen uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || gen != p.polGen || p.rawRev == p.reversed || !p.battery {
		return
	}
	p.reversed = p.rawRev
	p.emitLocked(hal.Event{Type: hal.PolarityReversal})
	if p.seized && p.cfg.DisconnectOnPolarity {
		p.emitLocked(hal.Event{Type: hal.Disconnect, Cause: hal.CausePolarity})
	}
}

func (p *FXO) command(what string, f func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("line: %s %s: %w", what, p.name, hal.ErrClosed)
	}
	if err := f(); err != nil {
		return fmt.Errorf("line: %s %s: %w", what, p.name, err)
	}
	return nil
}

func (p *FXO) setHookLocked(off bool) error {
	if err := p.drv.SetHook(off); err != nil {
		p.emitLocked(hal.Event{Type: hal.Fault, Err: err})
		return err
	}
	return nil
}

// Seize takes the line off hook (answering it if it rings).
func (p *FXO) Seize() error {
	return p.command("seize", func() error {
		if p.seized {
			return nil
		}
		if err := p.setHookLocked(true); err != nil {
			return err
		}
		p.seized, p.busyFired = true, false
		p.endRingingLocked()
		return nil
	})
}

// Release puts the line on hook, abandoning any flash or pulse dialling.
func (p *FXO) Release() error {
	return p.command("release", func() error {
		stopTimer(&p.hookSeq)
		p.hookBusy = false
		if !p.seized {
			return nil
		}
		p.seized = false
		p.drainTx()
		return p.setHookLocked(false)
	})
}

// Seized reports whether the line is held off hook.
func (p *FXO) Seized() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seized
}

// Flash goes on hook for d, then off hook again.
func (p *FXO) Flash(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("line: flash %s: duration %v must be positive", p.name, d)
	}
	return p.command("flash", func() error {
		if err := p.hookReadyLocked(); err != nil {
			return err
		}
		return p.playHookLocked([]hookStep{{false, d}, {true, 0}})
	})
}

// DialPulse dials digits by loop disconnect: n breaks of PulseBreak with
// makes of PulseMake (ten for '0'), PulseInterDigit between digits.
func (p *FXO) DialPulse(digits string) error {
	if digits == "" {
		return nil
	}
	steps := make([]hookStep, 0, 20*len(digits))
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return fmt.Errorf("line: dial pulse %s: %q at %d is not a digit", p.name, c, i)
		}
		n := int(c - '0')
		if n == 0 {
			n = 10
		}
		for k := range n {
			mk := p.cfg.PulseMake
			if k == n-1 {
				mk = p.cfg.PulseInterDigit
			}
			steps = append(steps, hookStep{false, p.cfg.PulseBreak}, hookStep{true, mk})
		}
	}
	return p.command("dial pulse", func() error {
		if err := p.hookReadyLocked(); err != nil {
			return err
		}
		return p.playHookLocked(steps)
	})
}

func (p *FXO) hookReadyLocked() error {
	switch {
	case !p.seized:
		return hal.ErrOnHook
	case p.hookBusy:
		return hal.ErrBusy
	}
	return nil
}

// hookStep sets the hook and holds it for a while.
type hookStep struct {
	off  bool
	hold time.Duration
}

// playHookLocked plays hook steps on the clock.
func (p *FXO) playHookLocked(steps []hookStep) error {
	if err := p.setHookLocked(steps[0].off); err != nil {
		return err
	}
	p.hookBusy = true
	var next func(i int)
	next = func(i int) {
		var t hal.Timer
		t = p.clock.AfterFunc(steps[i-1].hold, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.closed || p.hookSeq != t {
				return
			}
			p.hookSeq = nil
			if i == len(steps) {
				p.hookBusy = false
				return
			}
			if p.setHookLocked(steps[i].off) != nil {
				p.hookBusy = false
				return
			}
			next(i + 1)
		})
		p.hookSeq = t
	}
	next(1)
	return nil
}

// TxFrame fills f with the next 20 ms for the line: the consumer's audio
// while seized, else silence.
func (p *FXO) TxFrame(f *hal.Frame) {
	p.mu.Lock()
	seized := p.seized
	p.mu.Unlock()
	if !seized {
		*f = hal.Frame{}
		return
	}
	p.popTx(f, true)
}

// RxFrame takes 20 ms received from the line. On hook it listens for
// caller ID (FSK or DTMF per the plan); seized it watches for busy tone
// and queues the frame for the reader. The PCM pump calls it once per
// frame, from one goroutine.
func (p *FXO) RxFrame(f *hal.Frame) {
	p.mu.Lock()
	seized, closed := p.seized, p.closed
	p.mu.Unlock()
	if closed {
		return
	}
	if seized != p.rxSeizedWas {
		p.rxSeizedWas = seized
		p.resetDetectors()
	}
	if !seized {
		p.listenCallerID(f)
		return
	}
	if p.busy != nil && p.busy.Frame(f) != 0 {
		p.mu.Lock()
		if p.seized && !p.busyFired {
			p.busyFired = true
			p.emitLocked(hal.Event{Type: hal.Disconnect, Cause: hal.CauseBusyTone})
		}
		p.mu.Unlock()
	}
	p.pushRx(f)
}

func (p *FXO) resetDetectors() {
	if p.demod != nil {
		p.demod.Reset()
	}
	p.det.Reset()
	p.dtmfCID = p.dtmfCID[:0]
	if p.busy != nil {
		p.busy.Reset()
	}
}

func (p *FXO) listenCallerID(f *hal.Frame) {
	plan := p.cfg.CallerID
	if p.demod != nil {
		if msg, ok := p.demod.Feed(f[:]); ok {
			if c, err := cid.Decode(msg, p.clock.Now()); err == nil {
				p.reportCallerID(c)
			}
		}
		return
	}
	p.dtmfEv = p.det.Detect(p.dtmfEv[:0], f[:])
	for _, ev := range p.dtmfEv {
		if ev.Kind != dtmf.KeyDown {
			continue
		}
		if len(p.dtmfCID) == cap(p.dtmfCID) {
			p.dtmfCID = p.dtmfCID[:0]
		}
		p.dtmfCID = append(p.dtmfCID, ev.Digit)
		s := string(p.dtmfCID)
		if !plan.DTMF.Complete(s) {
			continue
		}
		p.dtmfCID = p.dtmfCID[:0]
		if c, err := plan.DTMF.Parse(s); err == nil {
			p.reportCallerID(c)
		}
	}
}

func (p *FXO) reportCallerID(c hal.CallerID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emitLocked(hal.Event{Type: hal.CallerIDReceived, CallerID: &c})
}

// Fault reports a chip fault found by the driver.
func (p *FXO) Fault(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emitLocked(hal.Event{Type: hal.Fault, Err: err})
}

// Close stops every timer, puts the line on hook and closes the event
// channel and audio stream. Closing again is a no-op.
func (p *FXO) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	for _, t := range []*hal.Timer{&p.hookSeq, &p.ringOff, &p.ringStop, &p.batTimer, &p.polTimer} {
		stopTimer(t)
	}
	p.seized = false
	var err error
	if e := p.drv.SetHook(false); e != nil {
		err = fmt.Errorf("line: close %s: %w", p.name, e)
	}
	p.closeLocked()
	return err
}
