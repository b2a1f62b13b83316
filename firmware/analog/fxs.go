package analog

import (
	"context"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// fxsState is where an FXS line is in its call.
type fxsState int

const (
	fxsIdle      fxsState = iota // on hook, no call
	fxsDialing                   // off hook: dial tone, collecting digits
	fxsCalling                   // dialled: the core routes and rings the callee
	fxsRinging                   // called: the port rings
	fxsTalking                   // answered
	fxsFlashDial                 // flashed in a call: far party held, second dial tone
	fxsEnded                     // the call is over; a tone until on hook
	fxsRecall                    // hung up with a call on hold: the port rings for it
)

// maxDigits bounds a dialled number (config numbers are at most 32).
const maxDigits = 32

// fxsLine runs one FXS port. Everything is under mu: hal events (one
// goroutine), the core's leg commands, digit timers and the audio pump.
type fxsLine struct {
	a     *Adapter
	port  hal.FXS
	audio hal.AudioStream
	name  string

	mu     sync.Mutex
	state  fxsState
	digits []byte
	timer  lineTimer
	leg    *Leg
	talk   bool            // leg media flows to the phone
	gen    *tone.Generator // tone to the phone when not talking

	// A second call (fxswait.go): held is the call on hold while the
	// phone talks in leg (consult: leg is a consultation the phone made
	// after a flash; else call waiting answered by a flash); waiting is a
	// call ringing in during a call, announced by cw.
	held    *Leg
	consult bool
	waiting *Leg
	cw      *tone.Generator
	cwBuf   hal.Frame
}

func (l *fxsLine) onEvent(ev hal.Event) {
	var incoming *Leg
	l.mu.Lock()
	switch ev.Type {
	case hal.OffHook:
		switch l.state {
		case fxsIdle:
			l.state, l.digits = fxsDialing, l.digits[:0]
			l.play(tone.Dial)
			l.arm(l.a.o.FirstDigit)
		case fxsRinging: // ring trip: answered
			l.timer.stop() // a recall's timeout
			l.state, l.talk, l.gen = fxsTalking, true, nil
			l.leg.startMedia()
			l.leg.emit(ua.Event{Kind: ua.EventAnswered})
		case fxsRecall: // back to the held call
			l.leg, l.held = l.held, nil
			l.resumeLocked()
		}
	case hal.OnHook:
		l.hangupLocked()
	case hal.Digit:
		switch l.state {
		case fxsDialing, fxsFlashDial:
			incoming = l.digitLocked(ev.Digit)
		case fxsTalking:
			l.leg.emit(ua.Event{Kind: ua.EventDTMF, Digit: ev.Digit})
		}
	case hal.Flash:
		l.flashLocked()
	case hal.Fault:
		l.a.log.Warn("analog: port fault", "port", l.name, "err", ev.Err)
	}
	l.mu.Unlock()
	if incoming != nil {
		l.a.o.Incoming(incoming)
	}
}

// hangupLocked: the phone went on hook.
func (l *fxsLine) hangupLocked() {
	l.timer.stop()
	if l.consult && l.held != nil {
		l.handOverLocked() // transfer: the held party joins the consultation
		return
	}
	if l.state == fxsFlashDial { // nothing dialled after a flash: recall
		l.held, l.leg = l.leg, nil
	}
	if leg := l.leg; leg != nil {
		switch {
		case l.state == fxsCalling:
			leg.emit(ua.Event{Kind: ua.EventCancelled, Reason: "on hook"})
		case l.state == fxsTalking || l.state == fxsFlashDial:
			leg.emit(ua.Event{Kind: ua.EventHangup, Reason: "on hook"})
		}
		leg.finish()
	}
	l.state, l.leg, l.talk, l.gen, l.cw = fxsIdle, nil, false, nil, nil
	l.ringBackLocked() // a held or waiting call rings the phone
}

// digitLocked collects one dialled digit; it returns the caller leg when
// the number is complete.
func (l *fxsLine) digitLocked(d byte) *Leg {
	l.gen = nil // dial tone stops at the first digit
	if d == '#' && len(l.digits) > 0 {
		return l.completeLocked()
	}
	if len(l.digits) < maxDigits {
		l.digits = append(l.digits, d)
	}
	l.arm(l.a.o.InterDigit)
	return nil
}

// arm (re)starts the digit timer.
func (l *fxsLine) arm(d time.Duration) {
	l.timer.start(l.a.o.Clock, d, &l.mu, l.timeout, l.a.o.Incoming)
}

// timeout: the phone stopped dialling (or never started); the lock is
// held.
func (l *fxsLine) timeout() *Leg {
	switch {
	case l.state == fxsFlashDial && len(l.digits) == 0:
		l.resumeLocked()
	case l.state == fxsDialing && len(l.digits) == 0:
		l.endLocked(tone.Congestion)
	case l.state == fxsDialing || l.state == fxsFlashDial:
		return l.completeLocked()
	}
	return nil
}

// completeLocked acts on a complete number: a new call, or after a flash
// a consultation call while the first is held.
func (l *fxsLine) completeLocked() *Leg {
	if l.state == fxsDialing {
		return l.dialLocked()
	}
	held := l.leg
	l.leg = nil // dialLocked's failure must not end the held call
	leg := l.dialLocked()
	if leg == nil { // no endpoint: back to the held call
		l.leg = held
		l.resumeLocked()
		return nil
	}
	l.held, l.consult = held, true
	return leg
}

// resumeLocked takes the phone back to its held call, l.leg.
func (l *fxsLine) resumeLocked() {
	l.timer.stop()
	l.leg.emit(ua.Event{Kind: ua.EventUnhold, Reason: "hook flash"})
	l.state, l.talk, l.gen = fxsTalking, true, nil
}

// dialLocked makes the caller leg for the digits collected.
func (l *fxsLine) dialLocked() *Leg {
	l.timer.stop()
	leg, err := newLeg(l, l.name, l.a.o.Ports)
	if err != nil {
		l.a.log.Warn("analog: no RTP endpoint for a call", "port", l.name, "err", err)
		l.endLocked(tone.Congestion)
		return nil
	}
	leg.caller = l.a.partyOf(l.name)
	leg.dialed = string(l.digits)
	leg.offered = l.a.o.Codecs
	leg.setFormats(answerFormats(leg.offered))
	l.state, l.leg = fxsCalling, leg
	return leg
}

// endLocked leaves the phone with a tone until it hangs up.
func (l *fxsLine) endLocked(k tone.Kind) {
	l.timer.stop()
	if l.leg != nil {
		l.leg.finish()
	}
	l.state, l.leg, l.talk = fxsEnded, nil, false
	l.play(k)
}

// play starts a tone to the phone (the pump plays it while not talking).
func (l *fxsLine) play(k tone.Kind) { l.gen = l.a.generator(k) }

// fill is the audio pump's step.
func (l *fxsLine) fill(in, out *hal.Frame) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.talk && l.leg != nil:
		l.leg.m.frame(in, out)
		l.mixCallWaiting(out)
		return true
	case l.gen != nil:
		l.gen.Fill(out[:])
		return true
	}
	return false
}

// originate rings the phone for a call from the core.
func (l *fxsLine) originate(from ua.Party, offer []sdp.Format) (*Leg, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	leg, err := newLeg(l, l.name, l.a.o.Ports)
	if err != nil {
		return nil, err
	}
	leg.caller = from
	leg.dialed = l.a.partyOf(l.name).Number
	leg.setFormats(answerFormats(offer))
	if l.callWaitingLocked(leg) {
		return leg, nil
	}
	if l.state != fxsIdle || l.port.OffHook() {
		leg.emit(ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"})
		leg.finish()
		return leg, nil
	}
	cid := &hal.CallerID{Number: from.Number, Name: from.DisplayName, Time: l.a.o.Clock.Now()}
	if cid.Number == "" {
		cid.NumberAbsent = hal.AbsentUnavailable
	}
	if err := l.port.Ring(context.Background(), l.a.o.Region.Ring, cid); err != nil {
		l.a.log.Info("analog: ring failed", "port", l.name, "err", err)
		leg.emit(ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"})
		leg.finish()
		return leg, nil
	}
	l.state, l.leg = fxsRinging, leg
	leg.emit(ua.Event{Kind: ua.EventRinging, Code: 180})
	return leg, nil
}

// The core's commands on this line's leg.

func (l *fxsLine) ringing(leg *Leg) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leg == leg && l.state == fxsCalling && !l.talk {
		l.play(tone.Ringback)
	}
}

// progress connects the phone to early media; the call is not answered.
func (l *fxsLine) progress(leg *Leg) error { return l.connect(leg, fxsCalling) }

func (l *fxsLine) answer(leg *Leg) error { return l.connect(leg, fxsTalking) }

// connect lets the leg's media reach the phone, in state st.
func (l *fxsLine) connect(leg *Leg, st fxsState) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if leg.ended() {
		return ErrLegEnded
	}
	if leg.joins != nil { // a consultation the phone hung up on
		if st == fxsTalking {
			leg.startMedia()
			l.referLocked(leg)
		}
		return nil
	}
	if l.leg != leg {
		return ErrLegEnded
	}
	leg.startMedia()
	if !l.talk || l.state != st { // the phone's dialling must not reach the far party
		leg.m.flushOutbound()
	}
	l.state, l.talk, l.gen = st, true, nil
	return nil
}

func (l *fxsLine) reject(leg *Leg, code int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.otherLegEndedLocked(leg) {
		return
	}
	if l.leg != leg {
		leg.finish()
		return
	}
	k := tone.Congestion
	if code == 486 || code == 600 {
		k = tone.Busy
	}
	l.endLocked(k)
}

func (l *fxsLine) hangup(leg *Leg) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.otherLegEndedLocked(leg) {
		return
	}
	if l.leg != leg {
		leg.finish()
		return
	}
	if l.state == fxsRinging {
		l.timer.stop() // a recall's timeout
		_ = l.port.StopRing()
		leg.emit(ua.Event{Kind: ua.EventFailed, Code: 487, Reason: "Request Terminated"})
		leg.finish()
		l.state, l.leg = fxsIdle, nil
		return
	}
	l.endLocked(tone.Busy)
}
