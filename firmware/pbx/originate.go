package pbx

import (
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Calls the appliance places itself (HTTP Call/CallSetup/Request, OzML):
// the party that "calls" is a leg the appliance made, handed to Incoming
// like a phone's INVITE, so routing, ringing, media and history are the
// ordinary ones.

// Dial makes a leg to number on behalf of from, offering formats, the way
// a call routes its callee. A number that cannot be rung is a
// *ConnectError.
func (c *Core) Dial(number string, from ua.Party, formats []sdp.Format) (CalleeLeg, error) {
	if c.closing.Load() {
		return nil, &ConnectError{Target: number, State: "Error", Code: 503, Reason: "Service Unavailable", Cause: "shutting down"}
	}
	leg, err := c.route(number, from, formats)
	if err != nil {
		return nil, err
	}
	return leg, nil
}

// DefaultOffer is what the appliance offers a phone it calls on its own
// behalf.
var DefaultOffer = []sdp.Format{sdp.PCMU, sdp.PCMA, sdp.TelephoneEvent}

// CallSetup is a click-to-dial request: Caller is rung first (it sees
// Callee as the caller); once it answers, the call to Callee proceeds as
// if Caller had dialled it.
type CallSetup struct {
	Caller, Callee string
	RingTime       time.Duration // how long Caller may ring; 0: the core's ring timeout
	// OnFail is told when Caller cannot be connected or Callee fails
	// (not when a connected call ends); it runs on a call goroutine and
	// must not block.
	OnFail func(*ConnectError)
}

// CallSetup rings s.Caller and returns; the rest happens in the
// background. Errors are only the immediate ones (Caller unknown or not
// reachable), as a *ConnectError, also given to OnFail.
func (c *Core) CallSetup(s CallSetup) error {
	dir := c.Directory()
	from := ua.Party{Number: s.Callee, DisplayName: dir.DisplayName(s.Callee)}
	leg, err := c.Dial(s.Caller, from, DefaultOffer)
	if err != nil {
		if ce, ok := err.(*ConnectError); ok && s.OnFail != nil {
			s.OnFail(ce)
		}
		return err
	}
	ring := s.RingTime
	if ring <= 0 {
		ring = c.opts.RingTimeout
	}
	go c.clickToDial(leg, s, ring) // ends with the leg's answer or failure, bounded by ring
	return nil
}

// clickToDial waits for the caller's leg to answer, then starts the call to the
// callee with it as the calling party.
func (c *Core) clickToDial(leg CalleeLeg, s CallSetup, ring time.Duration) {
	fail := func(state string, code int, reason, cause string) {
		if s.OnFail != nil {
			s.OnFail(&ConnectError{Target: s.Caller, State: state, Code: code, Reason: reason, Cause: cause})
		}
	}
	timer := c.opts.Clock.After(ring)
	noAnswer := false
	for {
		select {
		case ev := <-leg.Events():
			switch ev.Kind {
			case ua.EventAnswered:
				a := &setupLeg{CalleeLeg: leg, core: c, caller: ua.Party{Number: s.Caller, DisplayName: c.Directory().DisplayName(s.Caller)}, s: s}
				c.Incoming(a)
				return
			case ua.EventFailed:
				st, code, reason := failure(ev, noAnswer)
				fail(st, code, reason, ev.Reason)
				return
			case ua.EventHangup, ua.EventCancelled:
				fail("Error", 500, "Server Internal Error", "caller leg ended")
				return
			}
		case <-timer:
			timer, noAnswer = nil, true
			leg.Hangup() // CANCEL; the 487 arrives as EventFailed
		case <-leg.Done():
			// The final answer may be queued behind the leg's end.
			select {
			case ev := <-leg.Events():
				if ev.Kind == ua.EventFailed {
					st, code, reason := failure(ev, noAnswer)
					fail(st, code, reason, ev.Reason)
					return
				}
			default:
			}
			if noAnswer {
				fail("NoAnswer", 480, "Temporarily Unavailable", "no answer")
			} else {
				fail("Error", 500, "Server Internal Error", "caller leg ended")
			}
			return
		}
	}
}

// setupLeg is the answered leg to a click-to-dial's caller, as the
// calling party of the call to the callee: the caller hears ringback
// while the callee rings.
type setupLeg struct {
	CalleeLeg
	core   *Core
	caller ua.Party
	s      CallSetup

	mu   sync.Mutex
	stop func() // ringback
}

var _ CallerLeg = (*setupLeg)(nil)

func (l *setupLeg) Caller() ua.Party      { return l.caller }
func (l *setupLeg) Dialed() string        { return l.s.Callee }
func (l *setupLeg) Offered() []sdp.Format { return l.Formats() }

// Ringing plays ringback to the caller.
func (l *setupLeg) Ringing() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop == nil && l.core.opts.Player != nil {
		l.stop = l.core.opts.Player.Play(l.Endpoint(), audioFormat(l.Formats()), SoundRingback)
	}
	return nil
}

func (l *setupLeg) stopRingback() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop != nil {
		l.stop()
		l.stop = nil
	}
}

// Progress stops the ringback: the callee's early media is bridged.
func (l *setupLeg) Progress([]sdp.Format) error { l.stopRingback(); return nil }

// Answer stops the ringback; the caller's leg is answered already.
func (l *setupLeg) Answer([]sdp.Format) error { l.stopRingback(); return nil }

// Reject: the callee failed; the caller is hung up and OnFail told.
func (l *setupLeg) Reject(code int, reason string) {
	l.stopRingback()
	l.CalleeLeg.Hangup()
	if l.s.OnFail != nil {
		l.s.OnFail(&ConnectError{Target: l.s.Callee, State: rejectState(code), Code: code, Reason: reason, Cause: reason})
	}
}

// Hangup ends the caller's leg.
func (l *setupLeg) Hangup() {
	l.stopRingback()
	l.CalleeLeg.Hangup()
}

// rejectStates name the statuses a call gives its caller when the callee
// fails (see failure), for OnFail.
var rejectStates = map[int]string{
	404: "NotFound", 480: "NoAnswer", 486: "Busy", 487: "Cancelled", 603: "Rejected", 503: "Error", 500: "Error",
}

func rejectState(code int) string {
	if s, ok := rejectStates[code]; ok {
		return s
	}
	return "Rejected"
}
