package pbx

import (
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// ringGroup rings g's members step by step (all at once when
// simultaneous): the first to answer wins, the others are cancelled; when
// every step is over, g.NoAnswer is dialled (through the chain) or the
// caller gets the last failure (480 when the time ran out). Members are
// rung directly, without their own forwarding rules; members that cannot
// be rung (not registered, in do not disturb, or in a call with call
// waiting off) are skipped.
func (c *Core) ringGroup(rt *Routing, chain *dialplan.Chain, g dialplan.RingGroup, from ua.Party, formats []sdp.Format) (CalleeLeg, *ConnectError) {
	steps := g.Steps()
	var last *ConnectError
	next := func() ([]CalleeLeg, []string, time.Duration) {
		for len(steps) > 0 {
			s := steps[0]
			steps = steps[1:]
			var legs []CalleeLeg
			var numbers []string
			for _, m := range s.Members {
				if rt.Forwards != nil {
					if cause := busyCause(c, rt.Forwards.Get(m)); cause != "" {
						last = &ConnectError{Target: m, State: "Busy", Code: 486, Reason: "Busy Here", Cause: cause}
						continue
					}
				}
				leg, err := c.originate(m, from, formats)
				if err != nil {
					last = err
					continue
				}
				legs, numbers = append(legs, leg), append(numbers, m)
			}
			if len(legs) > 0 {
				return legs, numbers, s.Ring
			}
		}
		return nil, nil, 0
	}
	first, numbers, ring := next()
	if len(first) == 0 {
		if g.NoAnswer != "" {
			return c.routeDialled(rt, chain, g.NoAnswer, from, formats)
		}
		if last == nil {
			last = unavailable(g.Number, 480, "Temporarily Unavailable", "ring group has no members")
		}
		return nil, last
	}
	h := c.newHunt(first[0])
	h.next, h.ring = next, ring
	if g.NoAnswer != "" {
		h.noAnsFwd, h.group = true, true
		h.fallback = func(dialplan.Condition) (CalleeLeg, string, *ConnectError) {
			l, err := c.routeDialled(rt, chain, g.NoAnswer, from, formats)
			return l, g.NoAnswer, err
		}
	}
	h.start(first, numbers)
	return h, nil
}
