package pbx

import (
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
)

// Call waiting, the per-hop ring time and who answered: the core's view
// of which extensions are in a call decides, for every leg kind alike,
// whether a second call may ring a busy extension.

// InCall reports whether the extension number takes part in a live call:
// it placed a call (ringing or answered), or it answered one (including
// by pickup or as a forward target). A call merely ringing it does not
// count.
func (c *Core) InCall(number string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.snapshots {
		switch {
		case s.Caller == number && !s.fromTrunk:
			return true
		case s.Callee == number && !s.Answer.IsZero():
			return true
		}
	}
	return false
}

// busyCause says why an extension with rule must be treated as busy
// before it is rung: do not disturb, or call waiting off while it is in a
// call; "" when it may ring.
func busyCause(c *Core, rule dialplan.Forward) string {
	switch {
	case rule.DND:
		return "do not disturb"
	case rule.NoCallWaiting && c.InCall(rule.Extension):
		return "in a call, call waiting off"
	}
	return ""
}

// ringTimer bounds how long the callee leg l may ring before the call
// ends with 480: the core's ring timeout, except for a hunt leg
// (forwarding, ring groups), which gives each hop its own ring time.
func (c *Core) ringTimer(l CalleeLeg) <-chan time.Time {
	if _, ok := l.(*hunt); ok {
		return nil
	}
	return c.opts.Clock.After(c.opts.RingTimeout)
}

// answeredBy is the number that answered on leg l, rung as number: the
// winner of a hunt, else number.
func answeredBy(l Leg, number string) string {
	if h, ok := l.(*hunt); ok {
		if w := h.AnsweredBy(); w != "" {
			return w
		}
	}
	return number
}

// answeredAs is the number the call's history and snapshot name as the
// callee once leg b answered a call routed to number: the extension a
// hunt's winner rang, or the extension a SIP leg rang (an unconditional
// forward's target), else number.
func (c *Core) answeredAs(b Leg, number string) string {
	if _, ok := b.(*hunt); ok {
		return answeredBy(b, number)
	}
	if x, ok := b.(interface{ Callee() string }); ok {
		if _, ext := c.Directory().Lookup(x.Callee()); ext {
			return x.Callee()
		}
	}
	return number
}
