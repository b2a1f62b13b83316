package line

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
	"github.com/gatepbx/gatepbx/media/dtmf"
)

// FXSDriver is what an FXS port needs from its chip. SetLinefeed must be
// quick; on error the driver has already put its chip in the safe state.
type FXSDriver interface {
	SetLinefeed(hal.Linefeed) error
}

// hook states of an FXS line.
const (
	hookOn    = iota // idle on hook
	hookOff          // off hook
	hookBreak        // off hook, then on hook for less than FlashMax so far
)

// FXS is a station port run by the line engine. It implements hal.FXS and
// hal.AudioPort; the driver side is RawHook, TxFrame and RxFrame.
type FXS struct {
	port
	drv FXSDriver

	// Raw hook input and its debouncing.
	raw      bool // loop closed, as last reported
	rawAt    time.Time
	level    bool // debounced loop state
	debGen   uint64
	debTimer hal.Timer

	hook       int
	breakStart time.Time
	breakTimer hal.Timer
	pulses     int
	digitTimer hal.Timer

	idle       hal.Linefeed // ForwardActive or ReverseActive
	linefeed   hal.Linefeed
	disconnect hal.Timer
	ring       *ringing

	// txAudio is caller-ID or alert audio being played to the phone; it
	// takes precedence over the consumer's frames.
	txAudio []int16
	// offHook is a call-waiting caller-ID exchange in progress.
	offHook *offHook

	det    *dtmf.Detector // used only by the RxFrame caller
	dtmfEv []dtmf.Event
}

var (
	_ hal.FXS       = (*FXS)(nil)
	_ hal.AudioPort = (*FXS)(nil)
)

// ringing is one Ring request playing out; timer callbacks compare theirs
// with the port's current one so a replaced ring ignores late callbacks.
type ringing struct {
	cadence  hal.Cadence
	step     int
	burst    int // bursts started
	bellOn   bool
	callerID *hal.CallerID
	cidSent  bool
	timer    hal.Timer
}

// NewFXS returns an FXS port driving drv on clock (nil: hal.SystemClock).
// It sets the linefeed to forward active.
func NewFXS(name string, drv FXSDriver, clock hal.Clock, cfg Config) (*FXS, error) {
	f := &FXS{drv: drv, idle: hal.LinefeedForwardActive, dtmfEv: make([]dtmf.Event, 0, 8)}
	if err := f.init(name, hal.KindFXS, clock, cfg); err != nil {
		return nil, err
	}
	det, err := dtmf.NewDetector(dtmf.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("line: port %s: %w", name, err)
	}
	f.det = det
	f.linefeed = 0xff // unknown: forces the first write
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.setLinefeedLocked(hal.LinefeedForwardActive); err != nil {
		return nil, err
	}
	return f, nil
}

// RawHook reports the chip's raw loop state (true: loop closed, off hook).
// Drivers call it from their interrupt or poll loop on every change.
func (p *FXS) RawHook(offHook bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || offHook == p.raw {
		return
	}
	p.raw, p.rawAt = offHook, p.clock.Now()
	p.debGen++
	if p.debTimer != nil {
		p.debTimer.Stop()
	}
	gen := p.debGen
	p.debTimer = p.clock.AfterFunc(p.cfg.Debounce, func() { p.debounced(gen) })
}

func (p *FXS) debounced(gen uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen != p.debGen || p.closed || p.raw == p.level {
		return
	}
	p.level = p.raw
	if p.level {
		p.makeLocked(p.rawAt)
	} else {
		p.breakLocked(p.rawAt)
	}
}

// makeLocked handles the loop closing at time at.
func (p *FXS) makeLocked(at time.Time) {
	switch p.hook {
	case hookOn:
		p.hook = hookOff
		p.det.Reset()
		if p.ring != nil { // ring trip
			p.stopRingLocked()
			p.setLinefeedLocked(p.idle)
		}
		p.emitLocked(hal.Event{Type: hal.OffHook, At: at})
	case hookBreak:
		p.hook = hookOff
		stopTimer(&p.breakTimer)
		length := at.Sub(p.breakStart)
		switch {
		case length >= p.cfg.PulseBreakMin && length <= p.cfg.PulseBreakMax:
			p.pulses++
			p.armDigitLocked(at)
		case length >= p.cfg.FlashMin && length <= p.cfg.FlashMax:
			p.flushDigitLocked(p.breakStart)
			p.emitLocked(hal.Event{Type: hal.Flash, At: at, Duration: length})
		default: // between the windows: a glitch
			if p.pulses > 0 {
				p.armDigitLocked(at)
			}
		}
	}
}

// breakLocked handles the loop opening at time at.
func (p *FXS) breakLocked(at time.Time) {
	if p.hook != hookOff {
		return
	}
	p.hook = hookBreak
	p.breakStart = at
	stopTimer(&p.digitTimer)
	// A make at exactly FlashMax is confirmed Debounce later.
	wait := p.cfg.FlashMax + p.cfg.Debounce - p.clock.Now().Sub(at)
	p.breakTimer = p.clock.AfterFunc(max(wait, 0)+time.Nanosecond, p.hangUp)
}

// hangUp runs when a break outlasts the flash window.
func (p *FXS) hangUp() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.hook != hookBreak {
		return
	}
	p.hook = hookOn
	p.breakTimer = nil
	p.pulses = 0 // a digit cut short by hanging up is noise
	p.endOffHookLocked()
	p.drainTx()
	p.emitLocked(hal.Event{Type: hal.OnHook, At: p.breakStart})
}

func (p *FXS) armDigitLocked(at time.Time) {
	stopTimer(&p.digitTimer)
	wait := p.cfg.PulseDigitGap - p.clock.Now().Sub(at)
	p.digitTimer = p.clock.AfterFunc(max(wait, 0), func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed || p.hook != hookOff {
			return
		}
		p.flushDigitLocked(time.Time{})
	})
}

// flushDigitLocked reports the pulses counted so far as a digit.
func (p *FXS) flushDigitLocked(at time.Time) {
	if p.pulses == 0 {
		return
	}
	n := p.pulses
	p.pulses = 0
	stopTimer(&p.digitTimer)
	if n > 10 {
		return // not a digit
	}
	p.emitLocked(hal.Event{Type: hal.Digit, Digit: byte('0' + n%10), Source: hal.SourcePulse, At: at})
}

// OffHook reports the debounced hook state (a break shorter than the flash
// window still counts as off hook).
func (p *FXS) OffHook() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hook != hookOn
}

// Linefeed returns the state last set on the chip.
func (p *FXS) Linefeed() hal.Linefeed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.linefeed
}

func (p *FXS) setLinefeedLocked(lf hal.Linefeed) error {
	if lf == p.linefeed && lf != hal.LinefeedOpen {
		return nil
	}
	if err := p.drv.SetLinefeed(lf); err != nil {
		err = fmt.Errorf("line: %s linefeed %v: %w", p.name, lf, err)
		p.emitLocked(hal.Event{Type: hal.Fault, Err: err})
		return err
	}
	p.linefeed = lf
	return nil
}

func (p *FXS) checkOpenLocked(what string) error {
	if p.closed {
		return fmt.Errorf("line: %s %s: %w", what, p.name, hal.ErrClosed)
	}
	return nil
}

// SetLinefeed drives the line directly, ending any ringing.
func (p *FXS) SetLinefeed(lf hal.Linefeed) error {
	if !lf.Valid() {
		return fmt.Errorf("line: %s linefeed %v: invalid state", p.name, lf)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkOpenLocked("set linefeed"); err != nil {
		return err
	}
	p.stopRingLocked()
	stopTimer(&p.disconnect)
	return p.setLinefeedLocked(lf)
}

// ReversePolarity sets the idle/talk feed polarity.
func (p *FXS) ReversePolarity(reversed bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkOpenLocked("reverse polarity"); err != nil {
		return err
	}
	p.idle = hal.LinefeedForwardActive
	if reversed {
		p.idle = hal.LinefeedReverseActive
	}
	if p.ring != nil || p.disconnect != nil {
		return nil // applied when ringing or the disconnect ends
	}
	return p.setLinefeedLocked(p.idle)
}

// Disconnect opens the loop for d, then restores the idle feed.
func (p *FXS) Disconnect(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("line: %s disconnect: duration %v must be positive", p.name, d)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkOpenLocked("disconnect"); err != nil {
		return err
	}
	p.stopRingLocked()
	stopTimer(&p.disconnect)
	if err := p.setLinefeedLocked(hal.LinefeedOpen); err != nil {
		return err
	}
	var t hal.Timer
	t = p.clock.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed || p.disconnect != t {
			return
		}
		p.disconnect = nil
		p.setLinefeedLocked(p.idle)
	})
	p.disconnect = t
	return nil
}

// Ring starts ringing with cadence, sending callerID per the port's
// caller-ID plan. It returns once ringing (or the pre-ring caller-ID
// sequence) has started.
func (p *FXS) Ring(ctx context.Context, cadence hal.Cadence, callerID *hal.CallerID) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("line: ring %s: %w", p.name, err)
	}
	if err := cadence.Validate(); err != nil {
		return fmt.Errorf("line: ring %s: %w", p.name, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkOpenLocked("ring"); err != nil {
		return err
	}
	if p.hook != hookOn {
		return fmt.Errorf("line: ring %s: %w", p.name, hal.ErrOffHook)
	}
	p.stopRingLocked()
	stopTimer(&p.disconnect)
	cadence.On, cadence.Off = slices.Clone(cadence.On), slices.Clone(cadence.Off)
	r := &ringing{cadence: cadence}
	if callerID != nil {
		c := *callerID
		r.callerID = &c
	}
	p.ring = r
	plan := p.cfg.CallerID
	if r.callerID != nil && plan.Placement == cid.BeforeRing {
		return p.preRingLocked(r)
	}
	return p.burstLocked(r)
}

// preRingLocked starts the before-ringing caller-ID sequence: polarity
// reversal, Delay, optional DT-AS, AlertToData, data, Trailer, first burst.
func (p *FXS) preRingLocked(r *ringing) error {
	plan := p.cfg.CallerID
	data, err := plan.Render(*r.callerID)
	if err != nil {
		p.ring = nil
		return fmt.Errorf("line: ring %s: %w", p.name, err)
	}
	var alert []int16
	if plan.Alert == cid.AlertDTAS {
		if alert, err = cid.RenderDTAS(plan.AlertLevel); err != nil {
			p.ring = nil
			return fmt.Errorf("line: ring %s: %w", p.name, err)
		}
	}
	if err := p.setLinefeedLocked(hal.LinefeedReverseOHT); err != nil {
		p.ring = nil
		return err
	}
	r.cidSent = true
	step := func(d time.Duration, f func()) {
		r.timer = p.clock.AfterFunc(d, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.ring == r && !p.closed {
				f()
			}
		})
	}
	sendData := func() {
		p.txAudio = data
		step(samplesDuration(len(data))+plan.Trailer, func() {
			if p.setLinefeedLocked(hal.LinefeedForwardOHT) == nil {
				p.burstLocked(r)
			}
		})
	}
	if alert == nil {
		step(plan.Delay, sendData)
		return nil
	}
	step(plan.Delay, func() {
		p.txAudio = alert
		step(samplesDuration(len(alert))+plan.AlertToData, sendData)
	})
	return nil
}

func samplesDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / hal.SampleRate
}

// burstLocked starts ring burst r.step.
func (p *FXS) burstLocked(r *ringing) error {
	p.txAudio = nil
	if err := p.setLinefeedLocked(hal.LinefeedRinging); err != nil {
		p.ring = nil
		return err
	}
	r.bellOn = true
	r.burst++
	r.timer = p.clock.AfterFunc(r.cadence.On[r.step], func() { p.endBurst(r) })
	return nil
}

// endBurst ends a burst: on-hook transmission for the pause, with caller
// ID in the first pause when the plan says so (lengthening the pause if
// the data does not fit).
func (p *FXS) endBurst(r *ringing) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ring != r || p.closed {
		return
	}
	r.bellOn = false
	if p.setLinefeedLocked(hal.LinefeedForwardOHT) != nil {
		p.ring = nil
		return
	}
	pause := r.cadence.Off[r.step]
	plan := p.cfg.CallerID
	if r.callerID != nil && !r.cidSent && plan.Placement == cid.AfterFirstRing {
		r.cidSent = true
		if data, err := plan.Render(*r.callerID); err == nil {
			pause = max(pause, plan.Delay+samplesDuration(len(data))+plan.Trailer)
			r.timer = p.clock.AfterFunc(plan.Delay, func() {
				p.mu.Lock()
				defer p.mu.Unlock()
				if p.ring != r || p.closed {
					return
				}
				p.txAudio = data
				r.timer = p.clock.AfterFunc(pause-plan.Delay, func() { p.nextBurst(r) })
			})
			return
		}
	}
	if pause == 0 {
		p.nextBurstLocked(r)
		return
	}
	r.timer = p.clock.AfterFunc(pause, func() { p.nextBurst(r) })
}

func (p *FXS) nextBurst(r *ringing) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ring != r || p.closed {
		return
	}
	p.nextBurstLocked(r)
}

func (p *FXS) nextBurstLocked(r *ringing) {
	r.step = (r.step + 1) % len(r.cadence.On)
	p.burstLocked(r)
}

// StopRing ends ringing and restores the idle feed.
func (p *FXS) StopRing() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkOpenLocked("stop ring"); err != nil {
		return err
	}
	if p.ring == nil {
		return nil
	}
	p.stopRingLocked()
	return p.setLinefeedLocked(p.idle)
}

func (p *FXS) stopRingLocked() {
	if p.ring == nil {
		return
	}
	stopTimer(&p.ring.timer)
	p.ring = nil
	p.txAudio = nil
}

// Ringing reports whether a ring (or its pre-ring caller ID) is in
// progress, and whether the bell is sounding now.
func (p *FXS) Ringing() (ringing, bellOn bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ring != nil, p.ring != nil && p.ring.bellOn
}

// TxFrame fills f with the next 20 ms for the phone: caller-ID or alert
// audio while it plays, else the consumer's audio when off hook (silence
// and an underrun when there is none), else silence. The PCM pump calls
// it once per frame.
func (p *FXS) TxFrame(f *hal.Frame) {
	p.mu.Lock()
	off := p.hook != hookOn
	if n := len(p.txAudio); n > 0 || p.offHook != nil && off {
		k := copy(f[:], p.txAudio)
		clear(f[k:])
		p.txAudio = p.txAudio[k:]
		if len(p.txAudio) == 0 {
			p.txAudio = nil
		}
		p.mu.Unlock()
		if off { // the far party is muted, not delayed
			p.drainTx()
		}
		return
	}
	p.mu.Unlock()
	if !off {
		*f = hal.Frame{}
		p.drainTx()
		return
	}
	p.popTx(f, true)
}

// RxFrame takes 20 ms received from the phone: while off hook it runs DTMF
// detection (Digit events) and queues the frame for the reader. The PCM
// pump calls it once per frame, from one goroutine.
func (p *FXS) RxFrame(f *hal.Frame) {
	p.mu.Lock()
	off := p.hook != hookOn && !p.closed
	p.mu.Unlock()
	if !off {
		return
	}
	p.dtmfEv = p.det.Detect(p.dtmfEv[:0], f[:])
	p.mu.Lock()
	for _, ev := range p.dtmfEv {
		if ev.Kind == dtmf.KeyDown && !p.ackLocked(ev.Digit) {
			p.emitLocked(hal.Event{Type: hal.Digit, Digit: ev.Digit, Source: hal.SourceDTMF})
		}
	}
	muted := p.offHook != nil
	p.mu.Unlock()
	if muted { // the far party does not hear the exchange
		var silence hal.Frame
		p.pushRx(&silence)
		return
	}
	p.pushRx(f)
}

// Fault reports a chip fault (power alarm, SPI error) found by the driver.
func (p *FXS) Fault(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emitLocked(hal.Event{Type: hal.Fault, Err: err})
}

// Close stops every timer, opens the line and closes the event channel
// and audio stream. Closing again is a no-op.
func (p *FXS) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.stopRingLocked()
	p.endOffHookLocked()
	for _, t := range []*hal.Timer{&p.debTimer, &p.breakTimer, &p.digitTimer, &p.disconnect} {
		stopTimer(t)
	}
	var err error
	if e := p.drv.SetLinefeed(hal.LinefeedOpen); e != nil {
		err = fmt.Errorf("line: close %s: %w", p.name, e)
	}
	p.linefeed = hal.LinefeedOpen
	p.closeLocked()
	return errors.Join(err)
}

func stopTimer(t *hal.Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}
