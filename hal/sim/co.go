package sim

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
	"github.com/gatepbx/gatepbx/hal/line"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/tone"
)

// lineVolts is the virtual CO's battery.
const lineVolts = 48

// CO is the virtual central office behind an FXO port. Lock order as for
// Phone: the port's lock may be held when the CO's is taken (SetHook).
type CO struct {
	name  string
	port  *line.FXO
	clock hal.Clock
	plan  cid.Plan
	tones string // media/tone region

	mu        sync.Mutex
	seized    bool
	ring      *coRing
	battery   bool
	reversed  bool
	speech    []int16 // caller ID or alert audio being played
	gen       *tone.Generator
	det       *dtmf.Detector
	dtmfEv    []dtmf.Event
	digits    []byte
	breakAt   time.Time // seized line opened (a pulse or flash)
	pulses    int
	digitWait hal.Timer
	stopped   bool
	voice     voice // Say
	level     meter // what the CO hears while seized
	out       coOut // a call the exchange makes through this line
}

// coRing is one ringing attempt; callbacks of a replaced one do nothing.
type coRing struct {
	cadence hal.Cadence
	step    int
	timer   hal.Timer
}

func newCO(name string, clock hal.Clock, cfg line.Config, reg region.Region) (*CO, error) {
	det, err := dtmf.NewDetector(dtmf.DefaultConfig())
	if err != nil {
		return nil, err
	}
	c := &CO{name: name, clock: clock, plan: cfg.CallerID, tones: reg.Tones, det: det, battery: true}
	port, err := line.NewFXO(name, coDriver{c}, clock, cfg)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	c.port = port
	port.RawLine(lineVolts)
	return c, nil
}

// coDriver is the virtual DAA: the CO sees the hook.
type coDriver struct{ c *CO }

func (d coDriver) SetHook(off bool) error {
	c := d.c
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	switch {
	case off && !c.seized:
		c.seized = true
		c.level = meter{}
		c.det.Reset()
		switch {
		case c.ring != nil: // answered
			c.stopRingLocked()
			if c.out.active { // what the last call out left playing
				c.out.active, c.gen = false, nil
			}
		case c.breakAt.IsZero() || now.Sub(c.breakAt) > newCallBreak:
			c.seizedOutLocked()
		}
		if !c.breakAt.IsZero() {
			c.endBreakLocked(now.Sub(c.breakAt))
		}
	case !off && c.seized:
		c.seized = false
		c.breakAt = now
		if c.digitWait != nil {
			c.digitWait.Stop()
			c.digitWait = nil
		}
	}
	return nil
}

// endBreakLocked counts a short break as a dial pulse; the digit ends
// after a make of 300 ms.
func (c *CO) endBreakLocked(d time.Duration) {
	c.breakAt = time.Time{}
	if d < 20*time.Millisecond || d > 90*time.Millisecond {
		return
	}
	c.pulses++
	c.digitWait = c.clock.AfterFunc(300*time.Millisecond, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.pulses > 0 && c.pulses <= 10 {
			c.digits = append(c.digits, byte('0'+c.pulses%10))
			c.dialledLocked(byte('0' + c.pulses%10))
		}
		c.pulses = 0
		c.digitWait = nil
	})
}

// Port is the FXO port on this line.
func (c *CO) Port() *line.FXO { return c.port }

// Ring rings the line with cadence, sending callerID (nil for none) as
// the region's plan says, until the exchange answers (seizes) or StopRing.
func (c *CO) Ring(cadence hal.Cadence, callerID *hal.CallerID) error {
	if err := cadence.Validate(); err != nil {
		return fmt.Errorf("sim: %s ring: %w", c.name, err)
	}
	var data []int16
	if callerID != nil {
		var err error
		if data, err = c.plan.Render(*callerID); err != nil {
			return fmt.Errorf("sim: %s ring: %w", c.name, err)
		}
	}
	c.mu.Lock()
	if c.stopped || c.seized {
		c.mu.Unlock()
		return fmt.Errorf("sim: %s ring: line busy or closed", c.name)
	}
	c.stopRingLocked()
	cadence.On, cadence.Off = slices.Clone(cadence.On), slices.Clone(cadence.Off)
	r := &coRing{cadence: cadence}
	c.ring = r
	c.mu.Unlock()
	if data != nil && c.plan.Placement == cid.BeforeRing {
		// Reversal, then the data, then the first burst.
		c.port.RawLine(-lineVolts)
		c.after(r, c.plan.Delay, func() {
			c.say(data)
			c.after(r, samples(len(data))+c.plan.Trailer, func() {
				c.port.RawLine(lineVolts)
				c.burst(r, nil)
			})
		})
		return nil
	}
	c.burst(r, data)
	return nil
}

func samples(n int) time.Duration { return time.Duration(n) * time.Second / hal.SampleRate }

// after runs f after d unless r has been replaced or stopped.
func (c *CO) after(r *coRing, d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ring != r {
		return
	}
	r.timer = c.clock.AfterFunc(d, func() {
		c.mu.Lock()
		current := c.ring == r && !c.stopped
		c.mu.Unlock()
		if current {
			f()
		}
	})
}

// burst rings one burst, then pauses (sending data in the first pause).
func (c *CO) burst(r *coRing, data []int16) {
	c.port.RawRing(true)
	on, off := r.cadence.On[r.step], r.cadence.Off[r.step]
	r.step = (r.step + 1) % len(r.cadence.On)
	c.after(r, on, func() {
		c.port.RawRing(false)
		if data != nil {
			off = max(off, c.plan.Delay+samples(len(data))+c.plan.Trailer)
			c.after(r, c.plan.Delay, func() {
				c.say(data)
				c.after(r, off-c.plan.Delay, func() { c.burst(r, nil) })
			})
			return
		}
		c.after(r, off, func() { c.burst(r, nil) })
	})
}

func (c *CO) say(audio []int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.speech = audio
}

// StopRing stops ringing (the caller gave up).
func (c *CO) StopRing() {
	c.mu.Lock()
	stopped := c.ring != nil
	c.stopRingLocked()
	c.mu.Unlock()
	if stopped {
		c.port.RawRing(false)
	}
}

func (c *CO) stopRingLocked() {
	if c.ring == nil {
		return
	}
	if c.ring.timer != nil {
		c.ring.timer.Stop()
	}
	c.ring = nil
	c.speech = nil
}

// ReversePolarity flips the line polarity.
func (c *CO) ReversePolarity() {
	c.mu.Lock()
	c.reversed = !c.reversed
	v := c.voltsLocked()
	c.mu.Unlock()
	c.port.RawLine(v)
}

// DropBattery removes line battery (a disconnect on many lines).
func (c *CO) DropBattery() { c.setBattery(false) }

// RestoreBattery puts battery back.
func (c *CO) RestoreBattery() { c.setBattery(true) }

func (c *CO) setBattery(on bool) {
	c.mu.Lock()
	c.battery = on
	v := c.voltsLocked()
	c.mu.Unlock()
	c.port.RawLine(v)
}

func (c *CO) voltsLocked() int {
	switch {
	case !c.battery:
		return 0
	case c.reversed:
		return -lineVolts
	}
	return lineVolts
}

// PlayTone plays the region's tone of kind to the exchange while the line
// is seized (e.g. tone.Busy after the far end hung up); kind 0 stops it.
func (c *CO) PlayTone(kind tone.Kind) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kind == 0 {
		c.gen = nil
		return nil
	}
	t, err := tone.Lookup(c.tones, kind)
	if err != nil {
		return fmt.Errorf("sim: %s: %w", c.name, err)
	}
	g, err := tone.NewGenerator(t)
	if err != nil {
		return fmt.Errorf("sim: %s: %w", c.name, err)
	}
	c.gen = g
	return nil
}

// Seized reports whether the exchange holds the line off hook.
func (c *CO) Seized() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seized
}

// Ringing reports whether the CO is ringing the line.
func (c *CO) Ringing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ring != nil
}

// Digits returns the digits dialled towards the CO (DTMF heard on the
// seized line, and pulses) and forgets them.
func (c *CO) Digits() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := string(c.digits)
	c.digits = c.digits[:0]
	return s
}

// hear takes a frame the exchange sent down the line.
func (c *CO) hear(f *hal.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.seized {
		return
	}
	c.level.add(f)
	c.dtmfEv = c.det.Detect(c.dtmfEv[:0], f[:])
	for _, ev := range c.dtmfEv {
		if ev.Kind == dtmf.KeyDown && len(c.digits) < 64 {
			c.digits = append(c.digits, ev.Digit)
			c.dialledLocked(ev.Digit)
		}
	}
}

// speak fills the frame the CO sends: caller-ID audio, else a tone while
// seized, else silence.
func (c *CO) speak(f *hal.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.speech) > 0 {
		n := copy(f[:], c.speech)
		clear(f[n:])
		c.speech = c.speech[n:]
		return
	}
	if c.seized && c.gen != nil {
		c.gen.Fill(f[:])
		return
	}
	if !c.seized || !c.voice.fill(f) {
		*f = hal.Frame{}
	}
}

// Say queues 8 kHz audio for the far end to send once the line is seized
// (when no tone is playing).
func (c *CO) Say(samples []int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.voice.queue = append(c.voice.queue, samples...)
}

// Level is the level, in dBm0, of what the CO has been hearing on the
// seized line lately; −100 for silence.
func (c *CO) Level() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.level.dBm0()
}

func (c *CO) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.stopRingLocked()
	if c.digitWait != nil {
		c.digitWait.Stop()
		c.digitWait = nil
	}
}
