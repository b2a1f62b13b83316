package analog

import (
	"context"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Two calls on one FXS port, as Asterisk's chan_dahdi and ATAs do it:
//
//	consultation  flash in a call: the far party is held (music on hold),
//	              second dial tone; a number makes a consultation call.
//	              Hanging up then transfers: the held party takes the
//	              phone's place in the consultation (the core's attended
//	              transfer, as for a SIP phone's REFER with Replaces). If
//	              the consultation still rings, the held party waits (on
//	              hold) and joins it when the target answers; no answer
//	              hangs the held party up. A flash during the consultation
//	              drops it and returns to the held party; so does its
//	              failure or the target hanging up.
//	call waiting  a call to a port in a call rings in as call-waiting
//	              tone mixed into the call's audio, followed by the
//	              caller's number as type-2 (off-hook) caller ID when the
//	              port can send it; a flash holds the first call and
//	              answers the second, each further flash swaps.
//	              When the active call ends the held one comes back.
//	recall        hanging up with a call on hold (or after a flash with
//	              nothing dialled) rings the phone for the held call;
//	              hanging up with a call waiting rings the phone for it.
//	              Unanswered for Options.RecallTimeout, the ringing stops
//	              and that call is released.

// flashLocked acts on a hook flash.
func (l *fxsLine) flashLocked() {
	switch {
	case l.state == fxsTalking && l.waiting != nil: // answer the waiting call
		l.leg.emit(ua.Event{Kind: ua.EventHold, Reason: "hook flash"})
		w := l.waiting
		l.held, l.consult, l.waiting, l.cw = l.leg, false, nil, nil
		l.leg, l.talk, l.gen = w, true, nil
		w.startMedia()
		w.emit(ua.Event{Kind: ua.EventAnswered})
	case l.state == fxsTalking && l.held != nil && !l.consult: // swap
		l.leg.emit(ua.Event{Kind: ua.EventHold, Reason: "hook flash"})
		l.leg, l.held = l.held, l.leg
		l.resumeLocked()
	case (l.state == fxsTalking || l.state == fxsCalling) && l.consult && l.held != nil: // drop the consultation
		ev := ua.Event{Kind: ua.EventHangup, Reason: "hook flash"}
		if l.state == fxsCalling {
			ev.Kind = ua.EventCancelled
		}
		l.leg.emit(ev)
		l.leg.finish()
		l.leg, l.held, l.consult = l.held, nil, false
		l.resumeLocked()
	case l.state == fxsTalking: // hold the far party, second dial tone
		l.leg.emit(ua.Event{Kind: ua.EventHold, Reason: "hook flash"})
		l.state, l.talk, l.digits = fxsFlashDial, false, l.digits[:0]
		l.play(tone.Dial)
		l.arm(l.a.o.FirstDigit)
	case l.state == fxsFlashDial: // changed their mind: back to the call
		l.resumeLocked()
	default:
		l.a.log.Debug("analog: hook flash ignored", "port", l.name, "state", l.state)
	}
}

// handOverLocked: the phone hung up during a consultation; the held party
// takes its place there.
func (l *fxsLine) handOverLocked() {
	held, c, answered := l.held, l.leg, l.state == fxsTalking
	l.state, l.leg, l.held, l.consult, l.talk, l.gen, l.cw = fxsIdle, nil, nil, false, false, nil, nil
	c.joins, held.joinedBy = held, c
	if answered {
		l.referLocked(c)
	} // else: when the target answers (connect)
}

// referLocked asks the core to join the held leg c.joins to c's callee:
// an attended transfer with the held leg as the transferor's leg in the
// first call and c as the replaced leg.
func (l *fxsLine) referLocked(c *Leg) {
	held := c.joins
	c.joins, held.joinedBy = nil, nil
	held.emit(ua.Event{Kind: ua.EventRefer, Target: c.dialed, Replaces: "hook flash", ReplacesLeg: c,
		Refer: &handover{l: l, held: held, consult: c, done: make(chan struct{})}})
}

// handover follows the core's attended transfer of a phone that hung up:
// if it fails, both of the phone's calls end.
type handover struct {
	l             *fxsLine
	held, consult *Leg
	once          sync.Once
	done          chan struct{}
}

func (h *handover) Progress(int, string) {}

func (h *handover) Finish(code int, _ string) {
	h.once.Do(func() { close(h.done) })
	if code < 300 {
		return // the core hangs both legs up
	}
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	for _, leg := range []*Leg{h.held, h.consult} {
		leg.emit(ua.Event{Kind: ua.EventHangup, Reason: "transfer failed"})
		leg.finish()
	}
}

func (h *handover) Done() <-chan struct{} { return h.done }

// ringBackLocked rings the idle phone for a call left on hold or waiting.
func (l *fxsLine) ringBackLocked() {
	switch {
	case l.held != nil:
		if l.ringLocked(l.farParty(l.held)) {
			l.state = fxsRecall
			l.armRecall()
			return
		}
		l.held.emit(ua.Event{Kind: ua.EventHangup, Reason: "recall failed"})
		l.held.finish()
		l.held, l.consult = nil, false
	case l.waiting != nil:
		w := l.waiting
		l.waiting = nil
		if l.ringLocked(w.caller) {
			l.state, l.leg = fxsRinging, w
			l.armRecall()
			return
		}
		w.emit(ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"})
		w.finish()
	}
}

// armRecall limits the recall ring to Options.RecallTimeout.
func (l *fxsLine) armRecall() {
	l.timer.start(l.a.o.Clock, l.a.recallLimit(), &l.mu, l.recallTimeout, l.a.o.Incoming)
}

// recallTimeout: nobody answered the recall ring; the held call is hung
// up, a waiting caller gets 480. The lock is held.
func (l *fxsLine) recallTimeout() *Leg {
	var leg *Leg
	ev := ua.Event{Kind: ua.EventHangup, Reason: "recall not answered"}
	switch {
	case l.state == fxsRecall && l.held != nil:
		leg, l.held, l.consult = l.held, nil, false
	case l.state == fxsRinging && l.leg != nil:
		leg, l.leg = l.leg, nil
		ev = ua.Event{Kind: ua.EventFailed, Code: 480, Reason: "Temporarily Unavailable"}
	default:
		return nil
	}
	_ = l.port.StopRing()
	l.state = fxsIdle
	l.a.log.Info("analog: recall not answered, call released", "port", l.name)
	leg.emit(ev)
	leg.finish()
	return nil
}

// ringLocked rings the phone with who as caller ID.
func (l *fxsLine) ringLocked(who ua.Party) bool {
	cid := &hal.CallerID{Number: who.Number, Name: who.DisplayName, Time: l.a.o.Clock.Now()}
	if cid.Number == "" {
		cid.NumberAbsent = hal.AbsentUnavailable
	}
	if err := l.port.Ring(context.Background(), l.a.o.Region.Ring, cid); err != nil {
		l.a.log.Info("analog: ring failed", "port", l.name, "err", err)
		return false
	}
	return true
}

// farParty is who the phone talks to on leg: the caller of a call to the
// phone, the number dialled of a call it made.
func (l *fxsLine) farParty(leg *Leg) ua.Party {
	if leg.caller.Number == l.a.partyOf(l.name).Number {
		return ua.Party{Number: leg.dialed}
	}
	return leg.caller
}

// callWaitingLocked takes a call to a phone in a call as a waiting call;
// false when the phone cannot take one (not talking, or two calls
// already).
func (l *fxsLine) callWaitingLocked(leg *Leg) bool {
	if l.state != fxsTalking || l.leg == nil || l.held != nil || l.waiting != nil {
		return false
	}
	l.waiting, l.cw = leg, l.a.generator(tone.CallWaiting)
	leg.emit(ua.Event{Kind: ua.EventRinging, Code: 180})
	if port, ok := l.port.(offHookCaller); ok {
		l.a.o.Clock.AfterFunc(cwCallerIDDelay, func() { l.sendWaitingCallerID(port, leg) })
	}
	return true
}

// offHookCaller is a port that can send caller ID to a phone in a call
// (line.FXS).
type offHookCaller interface {
	SendOffHookCallerID(hal.CallerID) error
}

// cwCallerIDDelay lets the first call-waiting tone burst (the SAS, 300 ms
// in GR-30) play before the caller-ID exchange mutes the call.
const cwCallerIDDelay = 400 * time.Millisecond

// sendWaitingCallerID shows the waiting caller's number on the phone if
// the call still waits.
func (l *fxsLine) sendWaitingCallerID(port offHookCaller, leg *Leg) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.waiting != leg || l.state != fxsTalking {
		return
	}
	c := hal.CallerID{Number: leg.caller.Number, Name: leg.caller.DisplayName, Time: l.a.o.Clock.Now()}
	if c.Number == "" {
		c.NumberAbsent = hal.AbsentUnavailable
	}
	if err := port.SendOffHookCallerID(c); err != nil {
		l.a.log.Debug("analog: no call-waiting caller ID", "port", l.name, "err", err)
	}
}

// mixCallWaiting adds the call-waiting tone to a frame of the call.
func (l *fxsLine) mixCallWaiting(out *hal.Frame) {
	if l.cw == nil {
		return
	}
	l.cw.Fill(l.cwBuf[:])
	for i, v := range l.cwBuf {
		out[i] = int16(max(-32768, min(32767, int32(out[i])+int32(v))))
	}
}

// otherLegEndedLocked ends a leg of the port's second-call handling (the
// core hung it up or rejected it); false for a leg that is none of those.
func (l *fxsLine) otherLegEndedLocked(leg *Leg) bool {
	switch {
	case leg.joins != nil: // a consultation hung up on never got answered
		unpair(leg, leg.joins, ua.Event{Kind: ua.EventHangup, Reason: "transfer target did not answer"})
	case leg.joinedBy != nil: // the held party left while the target rang
		unpair(leg, leg.joinedBy, ua.Event{Kind: ua.EventCancelled, Reason: "transferee left"})
	case leg == l.waiting: // the waiting caller gave up
		leg.emit(ua.Event{Kind: ua.EventFailed, Code: 487, Reason: "Request Terminated"})
		leg.finish()
		l.waiting, l.cw = nil, nil
	case leg == l.held:
		leg.finish()
		l.held, l.consult = nil, false
		if l.state == fxsRecall {
			l.timer.stop()
			_ = l.port.StopRing()
			l.state = fxsIdle
		}
	case leg == l.leg && l.held != nil: // the active call ended: back to the held one
		leg.finish()
		l.leg, l.held, l.consult = l.held, nil, false
		l.resumeLocked()
	default:
		return false
	}
	return true
}

// unpair ends a consultation and the held leg waiting to join it when
// the core ended one of them (gone); the other is told ev.
func unpair(gone, other *Leg, ev ua.Event) {
	gone.joins, gone.joinedBy, other.joins, other.joinedBy = nil, nil, nil, nil
	other.emit(ev)
	other.finish()
	gone.finish()
}
