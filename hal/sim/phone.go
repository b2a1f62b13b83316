package sim

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
	"github.com/gatepbx/gatepbx/hal/line"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/tone"
)

// Errors of the virtual phone and CO.
var (
	// ErrOnHook: the action needs the handset lifted (or the line seized).
	ErrOnHook = errors.New("sim: on hook")
	// ErrBusy: a flash or pulse dialling is still playing out.
	ErrBusy = errors.New("sim: hook switch busy")
)

// Pulse dialling timings of the virtual rotary dial: 10 pulses per second,
// 60/40 break/make, 700 ms between digits.
const (
	pulseBreak = 60 * time.Millisecond
	pulseMake  = 40 * time.Millisecond
	pulseGap   = 700 * time.Millisecond
)

// Phone is the virtual phone on an FXS port. Lock order: the port's lock
// may be held when the phone's is taken (SetLinefeed), never the reverse,
// so the phone calls the port only without its own lock.
type Phone struct {
	name  string
	port  *line.FXS
	clock hal.Clock
	plan  cid.Plan

	mu        sync.Mutex
	offHook   bool
	linefeed  hal.Linefeed
	ringCount int
	mouth     *dtmf.Generator
	ear       *line.ToneDetector
	heard     tone.Kind
	demod     *cid.Demodulator // FSK caller ID, on hook
	det       *dtmf.Detector   // DTMF caller ID, on hook
	dtmfEv    []dtmf.Event
	cidDigits []byte
	keys      []byte             // DTMF heard off hook
	cas       *cid.AlertDetector // type-2 caller ID: the CAS, off hook
	cwListen  int                // frames left to hear its data (0: not listening)
	callerID  *hal.CallerID
	hookTimer hal.Timer
	stopped   bool
	voice     voice // Say
	level     meter // what the phone hears, off hook
}

func newPhone(name string, clock hal.Clock, cfg line.Config, reg region.Region) (*Phone, error) {
	mouth, err := dtmf.NewGenerator(dtmf.DefaultGeneratorConfig())
	if err != nil {
		return nil, err
	}
	det, err := dtmf.NewDetector(dtmf.DefaultConfig())
	if err != nil {
		return nil, err
	}
	var tones []tone.Tone
	for _, k := range []tone.Kind{tone.Dial, tone.Ringback, tone.Busy, tone.Congestion, tone.CallWaiting} {
		t, err := tone.Lookup(reg.Tones, k)
		if err != nil {
			return nil, fmt.Errorf("sim: phone %s: %w", name, err)
		}
		tones = append(tones, t)
	}
	p := &Phone{name: name, clock: clock, plan: cfg.CallerID, mouth: mouth, det: det,
		ear: line.NewToneDetector(tones, 3), linefeed: hal.LinefeedOpen, cas: cid.NewAlertDetector()}
	if p.plan.Signalling == cid.FSK {
		p.demod = cid.NewDemodulator(p.plan.Burst.Modem, -40)
	}
	port, err := line.NewFXS(name, phoneDriver{p}, clock, cfg)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	p.port = port
	return p, nil
}

// phoneDriver is the virtual SLIC: it shows the phone the linefeed.
type phoneDriver struct{ p *Phone }

func (d phoneDriver) SetLinefeed(lf hal.Linefeed) error {
	p := d.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if lf == hal.LinefeedRinging && p.linefeed != hal.LinefeedRinging {
		p.ringCount++
	}
	p.linefeed = lf
	return nil
}

// Port is the FXS port the phone hangs on.
func (p *Phone) Port() *line.FXS { return p.port }

// OffHook lifts the handset (answering if it rings). Lifting a lifted
// handset does nothing.
func (p *Phone) OffHook() error { return p.setHook(true) }

// OnHook hangs up.
func (p *Phone) OnHook() error { return p.setHook(false) }

func (p *Phone) setHook(off bool) error {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return fmt.Errorf("sim: %s: %w", p.name, hal.ErrClosed)
	}
	if p.hookTimer != nil {
		p.mu.Unlock()
		return fmt.Errorf("sim: %s: %w", p.name, ErrBusy)
	}
	if p.offHook == off {
		p.mu.Unlock()
		return nil
	}
	p.offHook = off
	p.heard = 0
	p.level = meter{}
	p.ear.Reset()
	p.mouth.Play("")
	p.det.Reset()
	p.cas.Reset()
	p.cwListen = 0
	if off {
		p.ringCount = 0
		p.keys = p.keys[:0]
	} else {
		p.resetCallerIDLocked()
	}
	p.mu.Unlock()
	p.port.RawHook(off)
	return nil
}

// Flash presses the hook switch for d (a hook flash at 100-700 ms; longer
// is a hang-up, as on a real line).
func (p *Phone) Flash(d time.Duration) error {
	return p.hookSequence([]hookStep{{false, d}})
}

// DialPulse dials digits with the virtual rotary dial.
func (p *Phone) DialPulse(digits string) error {
	var steps []hookStep
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return fmt.Errorf("sim: %s dial pulse %q: %q is not a digit", p.name, digits, digits[i])
		}
		n := int(digits[i] - '0')
		if n == 0 {
			n = 10
		}
		for k := range n {
			steps = append(steps, hookStep{false, pulseBreak})
			if k < n-1 {
				steps = append(steps, hookStep{true, pulseMake})
			}
		}
		steps = append(steps, hookStep{true, pulseGap})
	}
	return p.hookSequence(steps)
}

// hookStep holds the hook switch in a state for a while.
type hookStep struct {
	off  bool
	hold time.Duration
}

// hookSequence plays hook steps on the clock, ending off hook.
func (p *Phone) hookSequence(steps []hookStep) error {
	p.mu.Lock()
	switch {
	case p.stopped:
		p.mu.Unlock()
		return fmt.Errorf("sim: %s: %w", p.name, hal.ErrClosed)
	case !p.offHook:
		p.mu.Unlock()
		return fmt.Errorf("sim: %s: %w", p.name, ErrOnHook)
	case p.hookTimer != nil:
		p.mu.Unlock()
		return fmt.Errorf("sim: %s: %w", p.name, ErrBusy)
	}
	p.mu.Unlock()
	p.playStep(steps, 0)
	return nil
}

func (p *Phone) playStep(steps []hookStep, i int) {
	p.port.RawHook(steps[i].off)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.hookTimer = p.clock.AfterFunc(steps[i].hold, func() {
		if i+1 < len(steps) {
			p.playStep(steps, i+1)
			return
		}
		p.port.RawHook(true)
		p.mu.Lock()
		p.hookTimer = nil
		p.mu.Unlock()
	})
}

// DialDTMF plays digits as DTMF tones into the line (100 ms on, 100 ms
// off, −10 dBm0 each); the port's detector turns them into digits.
func (p *Phone) DialDTMF(digits string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.offHook {
		return fmt.Errorf("sim: %s dial: %w", p.name, ErrOnHook)
	}
	if err := p.mouth.Play(digits); err != nil {
		return fmt.Errorf("sim: %s: %w", p.name, err)
	}
	return nil
}

// Heard returns the last call-progress tone the phone recognised since it
// last changed hook state or ClearHeard.
func (p *Phone) Heard() tone.Kind {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.heard
}

// ClearHeard forgets the tone heard so far.
func (p *Phone) ClearHeard() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.heard = 0
	p.ear.Reset()
}

// maxHeardKeys bounds what HeardKeys keeps.
const maxHeardKeys = 64

// HeardKeys returns the DTMF keys the phone heard in the audio since it
// last went off hook (e.g. the API's SendDTMF).
func (p *Phone) HeardKeys() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.keys)
}

// IsOffHook reports whether the handset is lifted.
func (p *Phone) IsOffHook() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.offHook
}

// BellOn reports whether the bell is ringing now (linefeed ringing).
func (p *Phone) BellOn() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.linefeed == hal.LinefeedRinging
}

// RingCount is how many ring bursts reached the phone since it last went
// off hook.
func (p *Phone) RingCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ringCount
}

// Linefeed is the line state the SLIC drives.
func (p *Phone) Linefeed() hal.Linefeed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.linefeed
}

// LastCallerID is the caller ID the phone decoded from the line since it
// last hung up (while ringing, or in a call from a call-waiting CAS
// exchange, which it acknowledges with DTMF D), or nil.
func (p *Phone) LastCallerID() *hal.CallerID {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.callerID == nil {
		return nil
	}
	c := *p.callerID
	return &c
}

func (p *Phone) resetCallerIDLocked() {
	p.callerID = nil
	p.cidDigits = p.cidDigits[:0]
	p.det.Reset()
	if p.demod != nil {
		p.demod.Reset()
	}
}

// hear takes one frame the port sent to the phone.
func (p *Phone) hear(f *hal.Frame) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offHook {
		p.level.add(f)
		if k := p.ear.Frame(f); k != 0 {
			p.heard = k
		}
		p.dtmfEv = p.det.Detect(p.dtmfEv[:0], f[:])
		for _, ev := range p.dtmfEv {
			if ev.Kind == dtmf.KeyDown && len(p.keys) < maxHeardKeys {
				p.keys = append(p.keys, ev.Digit)
			}
		}
		p.hearOffHookCallerIDLocked(f)
		return
	}
	if p.demod != nil {
		if msg, ok := p.demod.Feed(f[:]); ok {
			if c, err := cid.Decode(msg, p.clock.Now()); err == nil {
				p.callerID = &c
			}
		}
		return
	}
	p.dtmfEv = p.det.Detect(p.dtmfEv[:0], f[:])
	for _, ev := range p.dtmfEv {
		if ev.Kind != dtmf.KeyDown || len(p.cidDigits) > 32 {
			continue
		}
		p.cidDigits = append(p.cidDigits, ev.Digit)
		if s := string(p.cidDigits); p.plan.DTMF.Complete(s) {
			if c, err := p.plan.DTMF.Parse(s); err == nil {
				p.callerID = &c
			}
			p.cidDigits = p.cidDigits[:0]
		}
	}
}

// cwListenFrames bounds how long after acknowledging a CAS the phone
// listens for the data (2 s).
const cwListenFrames = 100

// hearOffHookCallerIDLocked is the phone's type-2 caller ID: on a CAS it
// acknowledges with DTMF D and decodes the FSK data that follows (the
// region's modem), which LastCallerID then returns.
func (p *Phone) hearOffHookCallerIDLocked(f *hal.Frame) {
	if p.demod == nil {
		return // a DTMF caller-ID region: no type 2
	}
	if p.cwListen > 0 {
		p.cwListen--
		if msg, ok := p.demod.Feed(f[:]); ok {
			if c, err := cid.Decode(msg, p.clock.Now()); err == nil {
				p.callerID = &c
			}
			p.cwListen = 0
		}
		return
	}
	if p.cas.Frame(f) {
		p.mouth.Play("D")
		p.demod.Reset()
		p.cwListen = cwListenFrames
	}
}

// speak fills the frame the phone sends: DTMF while dialling, else what
// Say queued, else silence.
func (p *Phone) speak(f *hal.Frame) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.offHook:
		*f = hal.Frame{}
	case !p.mouth.Done():
		p.mouth.Fill(f[:])
	case !p.voice.fill(f):
		*f = hal.Frame{}
	}
}

// Say queues 8 kHz audio for the phone to send once off hook (after any
// DTMF being dialled), e.g. a test tone the far end should hear.
func (p *Phone) Say(samples []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.voice.queue = append(p.voice.queue, samples...)
}

// Level is the level, in dBm0, of what the phone has been hearing off
// hook lately (about the last 100 ms); −100 for silence.
func (p *Phone) Level() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level.dBm0()
}

func (p *Phone) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.hookTimer != nil {
		p.hookTimer.Stop()
		p.hookTimer = nil
	}
}
