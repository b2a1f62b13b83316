package pbx

import (
	"context"
	"fmt"
	"slices"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/media/relay"
)

// Call pickup: a phone answers a call ringing another extension. The
// picker's leg is answered, the ringing callee leg is cancelled and the
// caller is answered and bridged to the picker, in the ringing call's own
// goroutine (it keeps its ID; its history names the picker as callee).
// Three ways ask for it: the directed pickup code (** + extension), the
// group pickup code (*8: the oldest call ringing an extension of the
// picker's pickup group) and an INVITE with Replaces naming the early
// dialog of a ringing leg (RFC 3891; baresip, Grandstream).

// cmdPickup: the ringing call's callee is replaced by join.incoming.
const cmdPickup cmdKind = 101

// Pickup answers for a pickup that finds nothing to take.
const (
	PickupNothingCode   = 404
	PickupNothingReason = "Not Found"
)

// EarlyPicker is a caller leg that asks to pick up the ringing call whose
// early dialog has Call-ID PicksUp() (ua.InboundLeg: an INVITE with
// Replaces naming a dialog that is not confirmed).
type EarlyPicker interface {
	PicksUp() string
}

// callIDer is a callee leg with a SIP Call-ID (ua.OutboundLeg).
type callIDer interface {
	CallID() string
}

// pickup carries out leg's pickup request, if it is one (a pickup code
// or an INVITE with Replaces aimed at an early dialog); false when leg is
// an ordinary call.
func (c *Core) pickup(leg CallerLeg) bool {
	if trunkOf(leg) != "" {
		return false // a provider's caller ID proves nothing: its DID is routed
	}
	if p, ok := leg.(EarlyPicker); ok && p.PicksUp() != "" {
		id := p.PicksUp()
		c.pickupMatching(leg, "early dialog "+id, 481, "Call/Transaction Does Not Exist", func(s CallSnapshot) bool {
			return slices.Contains(legCallIDs(s.calleeLeg), id)
		})
		return true
	}
	rt := c.routing()
	if rt == nil {
		return false
	}
	feat, ok := rt.Features.Parse(leg.Dialed())
	if !ok || feat.Action != dialplan.ActionPickup && feat.Action != dialplan.ActionDirectedPickup {
		return false
	}
	dir := c.Directory()
	picker := leg.Caller().Number
	me, ok := dir.Lookup(picker)
	if !ok {
		leg.Reject(403, "Forbidden")
		return true
	}
	rings := func(s CallSnapshot, ext string) bool {
		if s.Callee == ext {
			return true
		}
		g, ok := rt.ringGroup(s.Callee)
		return ok && slices.Contains(g.Members, ext)
	}
	match := func(s CallSnapshot) bool { return rings(s, feat.Arg) }
	what := "directed pickup of " + feat.Arg
	if feat.Action == dialplan.ActionPickup {
		what = "group pickup in group " + fmt.Sprintf("%q", me.PickupGroup)
		match = func(s CallSnapshot) bool {
			if g, ok := rt.ringGroup(s.Callee); ok {
				return slices.ContainsFunc(g.Members, func(m string) bool {
					e, ok := dir.Lookup(m)
					return ok && m != picker && e.PickupGroup == me.PickupGroup
				})
			}
			e, ok := dir.Lookup(s.Callee)
			return ok && s.Callee != picker && e.PickupGroup == me.PickupGroup
		}
	}
	c.pickupMatching(leg, what, PickupNothingCode, PickupNothingReason, match)
	return true
}

// pickupMatching hands leg to the oldest ringing call that match accepts;
// with none, leg gets code.
func (c *Core) pickupMatching(leg CallerLeg, what string, code int, reason string, match func(CallSnapshot) bool) {
	var id string
	for _, s := range c.Calls() {
		if s.State == StateRinging && s.Caller != leg.Caller().Number && match(s) {
			id = s.ID
			break
		}
	}
	if id == "" {
		c.log.Info("pickup: nothing ringing", "picker", leg.Caller().Number, "what", what)
		leg.Reject(code, reason)
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := c.ask(context.Background(), id, command{kind: cmdPickup, join: &join{side: calleeSide, incoming: leg}}); err != nil {
			c.log.Info("pickup refused", "call", id, "picker", leg.Caller().Number, "what", what, "err", err)
			leg.Reject(code, reason)
		}
	}()
}

// legCallIDs lists the SIP Call-IDs of l's dialogs: its own, or a hunt's
// inner legs'.
func legCallIDs(l Leg) []string {
	switch x := l.(type) {
	case *hunt:
		x.mu.Lock()
		all := slices.Clone(x.all)
		x.mu.Unlock()
		var ids []string
		for _, in := range all {
			ids = append(ids, legCallIDs(in)...)
		}
		return ids
	case callIDer:
		return []string{x.CallID()}
	}
	return nil
}

// pickUp, in the ringing call's goroutine, answers the picker of cmd,
// cancels the ringing callee b and answers the caller with the picker in
// the callee's place. answered reports success; a picker that cannot be
// answered leaves the call ringing (state ""); a caller that cannot be
// answered ends it (state Error).
func (c *Call) pickUp(b CalleeLeg, cmd command) (state, cause string, answered bool) {
	p := cmd.join.incoming
	if err := p.Answer(c.a.Offered()); err != nil {
		p.Hangup()
		cmd.answer(fmt.Errorf("pbx: answer the picking phone: %w", err))
		return "", "", false
	}
	relay.Unbridge(c.a.Endpoint()) // early media of the ringing callee
	b.Hangup()                     // CANCEL; its 487 is not read any more
	picker := p.Caller()
	c.parties[calleeSide] = party{leg: p, number: picker.Number, name: picker.DisplayName}
	if err := c.a.Answer(p.Formats()); err != nil {
		p.Hangup()
		cmd.answer(nil)
		return "Error", err.Error(), false
	}
	now := c.core.opts.Clock.Now()
	c.rec.Callee, c.rec.Answer, c.mediaSince = picker.Number, now, now
	c.setState(StateInCall)
	c.rewire()
	c.core.log.Info("call picked up", "call", c.id, "by", picker.Number)
	cmd.answer(nil)
	return "", "", true
}
