package pbx

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Routing is the dial plan the core follows beyond the extension
// directory: forwarding rules, feature codes, routes and ring groups.
// Without one (SetRouting never called) the core routes by the directory
// alone.
type Routing struct {
	Plan       *dialplan.Plan        // routes for numbers that are not extensions; nil: none
	Forwards   *dialplan.Forwards    // the live forwarding table; nil: no forwarding
	Features   dialplan.FeatureCodes // validated; zero value: no feature codes
	RingGroups []dialplan.RingGroup
	// Trunks originates calls to routes of kind trunk, by trunk name; nil:
	// such routes fail with 503.
	Trunks TrunkOriginator
	// Endpoint allocates the media endpoint of a feature-code call (the
	// phone is answered, then hung up); nil answers such calls with 480.
	Endpoint func() (*relay.Endpoint, error)
	// ForwardsChanged is called after a feature code changed the table
	// (to persist it); it runs on the dialling call's goroutine.
	ForwardsChanged func([]dialplan.Forward)
	// Intercept, when set, is asked where each call goes before it is
	// routed and again when the attempt fails (RoutingInterception,
	// intercept.go).
	Intercept InterceptFunc
}

// TrunkOriginator makes outgoing legs through a named SIP trunk.
type TrunkOriginator interface {
	OriginateTrunk(ctx context.Context, trunk, number string, from ua.Party, formats []sdp.Format) (CalleeLeg, error)
}

// ErrTrunkDown is returned by a TrunkOriginator whose trunk is not
// registered (the next matching route is then tried).
var ErrTrunkDown = errors.New("pbx: trunk not available")

// routingKey stores the Routing in Core.kinds, next to the per-kind
// originators.
type routingKey struct{}

// SetRouting installs (or, on reload, replaces) the dial plan.
func (c *Core) SetRouting(r *Routing) { c.kinds.Store(routingKey{}, r) }

func (c *Core) routing() *Routing {
	r, _ := c.kinds.Load(routingKey{})
	rt, _ := r.(*Routing)
	return rt
}

// Forwarding returns the live forwarding table, nil when none.
func (c *Core) Forwarding() *dialplan.Forwards {
	if rt := c.routing(); rt != nil {
		return rt.Forwards
	}
	return nil
}

// ForwardLoop is the status a call gets when its forwarding chain loops
// (or grows past dialplan.MaxForwardHops).
const (
	ForwardLoopCode   = 482
	ForwardLoopReason = "Loop Detected"
)

// routeDialled routes number through the dial plan with chain, the call's
// forwarding path so far: feature codes, ring groups, extensions (with
// their forwarding rules) and routes for the rest.
func (c *Core) routeDialled(rt *Routing, chain *dialplan.Chain, number string, from ua.Party, formats []sdp.Format) (CalleeLeg, *ConnectError) {
	if feat, ok := rt.Features.Parse(number); ok {
		return c.featureCall(rt, feat, number, from, formats)
	}
	if g, ok := rt.ringGroup(number); ok {
		return c.ringGroup(rt, chain, g, from, formats)
	}
	if _, ok := c.Directory().Lookup(number); ok {
		return c.routeExtension(rt, chain, number, from, formats)
	}
	if rt.Plan == nil {
		return c.originate(number, from, formats)
	}
	var last *ConnectError
	for _, d := range rt.Plan.Candidates(dialplan.Internal, number) {
		leg, err := c.routeDecision(rt, chain, d, from, formats)
		if err == nil {
			return leg, nil
		}
		last = err
		// A down trunk or busy FXO lines (503): the next route may serve.
		if d.Target.Kind != dialplan.TargetTrunk && d.Target.Kind != dialplan.TargetFXO || err.Code != 503 {
			return nil, err
		}
	}
	if last != nil {
		return nil, last
	}
	return nil, notFound(number)
}

func notFound(number string) *ConnectError {
	return &ConnectError{Target: number, State: "NotFound", Code: 404, Reason: "Not Found", Cause: "404 Not Found"}
}

// routeDecision carries out a matched route.
func (c *Core) routeDecision(rt *Routing, chain *dialplan.Chain, d dialplan.Decision, from ua.Party, formats []sdp.Format) (CalleeLeg, *ConnectError) {
	if d.CallerID.Number != "" {
		from.Number = d.CallerID.Number
	}
	if d.CallerID.Name != "" {
		from.DisplayName = d.CallerID.Name
	}
	name := d.Target.Name
	if name == "" {
		name = d.Number
	}
	switch d.Target.Kind {
	case dialplan.TargetExtension:
		if _, ok := c.Directory().Lookup(name); !ok {
			return nil, notFound(name)
		}
		return c.routeExtension(rt, chain, name, from, formats)
	case dialplan.TargetRingGroup:
		g, ok := rt.ringGroup(name)
		if !ok {
			return nil, notFound(name)
		}
		return c.ringGroup(rt, chain, g, from, formats)
	case dialplan.TargetAPI:
		return c.originate(name, from, formats)
	case dialplan.TargetFXO:
		return c.routeFXO(d, from, formats)
	case dialplan.TargetTrunk:
		if rt.Trunks == nil {
			return nil, unavailable(d.Number, 503, "Service Unavailable", "no trunks configured")
		}
		leg, err := rt.Trunks.OriginateTrunk(context.Background(), d.Target.Name, d.Number, from, formats)
		if err != nil {
			return nil, unavailable(d.Number, 503, "Service Unavailable", fmt.Sprintf("trunk %s: %v", d.Target.Name, err))
		}
		return leg, nil
	}
	return nil, unavailable(d.Number, 480, "Temporarily Unavailable", fmt.Sprintf("route %s: target kind %s not connected", d.Route, d.Target.Kind))
}

func unavailable(target string, code int, reason, cause string) *ConnectError {
	state := "NotAvailable"
	if code >= 500 {
		state = "Error"
	}
	return &ConnectError{Target: target, State: state, Code: code, Reason: reason, Cause: cause}
}

func (rt *Routing) ringGroup(number string) (dialplan.RingGroup, bool) {
	for _, g := range rt.RingGroups {
		if g.Number == number {
			return g, true
		}
	}
	return dialplan.RingGroup{}, false
}

// routeExtension rings the extension ext by its forwarding rule: DND and
// unconditional forwards decide at once, busy and no-answer forwards are
// watched by a hunt leg.
func (c *Core) routeExtension(rt *Routing, chain *dialplan.Chain, ext string, from ua.Party, formats []sdp.Format) (CalleeLeg, *ConnectError) {
	if rt.Forwards == nil {
		return c.originate(ext, from, formats)
	}
	rule := rt.Forwards.Get(ext)
	if rule.Always != "" {
		return c.forwardTo(rt, chain, ext, dialplan.Unconditional, from, formats)
	}
	if cause := busyCause(c, rule); cause != "" {
		if rule.Busy != "" {
			return c.forwardTo(rt, chain, ext, dialplan.Busy, from, formats)
		}
		return nil, &ConnectError{Target: ext, State: "Busy", Code: 486, Reason: "Busy Here", Cause: cause}
	}
	leg, err := c.originate(ext, from, formats)
	if err != nil {
		if err.State == "NotRegistered" && rule.NoAnswer != "" {
			return c.forwardTo(rt, chain, ext, dialplan.NoAnswer, from, formats)
		}
		return nil, err
	}
	if rule.Busy == "" && rule.NoAnswer == "" {
		return leg, nil
	}
	h := c.newHunt(leg)
	h.fallback = func(cond dialplan.Condition) (CalleeLeg, string, *ConnectError) {
		target, err := c.forwardHop(rt, chain, ext, cond)
		if err != nil {
			return nil, "", err
		}
		l, err := c.routeDialled(rt, chain, target, from, formats)
		return l, target, err
	}
	h.busyFwd = rule.Busy != ""
	h.ring, h.noAnsFwd = rule.RingFor(), rule.NoAnswer != ""
	h.start([]CalleeLeg{leg}, []string{ext})
	return h, nil
}

// forwardTo follows ext's rule for cond through the chain and routes the
// call to the target.
func (c *Core) forwardTo(rt *Routing, chain *dialplan.Chain, ext string, cond dialplan.Condition, from ua.Party, formats []sdp.Format) (CalleeLeg, *ConnectError) {
	target, err := c.forwardHop(rt, chain, ext, cond)
	if err != nil {
		return nil, err
	}
	leg, err := c.routeDialled(rt, chain, target, from, formats)
	if err != nil {
		return nil, err
	}
	return c.namedLeg(leg, target), nil
}

// namedLeg makes leg, routed to the extension number, tell who answered:
// a hunt (AnsweredBy) and a SIP leg (Callee) do so themselves; an analog
// or API extension's leg is wrapped to name number.
func (c *Core) namedLeg(leg CalleeLeg, number string) CalleeLeg {
	if _, ok := leg.(*hunt); ok {
		return leg
	}
	if _, ok := leg.(interface{ Callee() string }); ok {
		return leg
	}
	if _, ext := c.Directory().Lookup(number); !ext {
		return leg
	}
	return numberedLeg{CalleeLeg: leg, number: number}
}

// numberedLeg is the callee leg of an analog or API extension reached by
// forwarding, with the number of the extension it rings (answeredAs).
// Events, Done and media are the leg's own (an unbuffered Events channel
// keeps Settled's guarantee); BindCall and ReceiveKey reach it too.
type numberedLeg struct {
	CalleeLeg
	number string
}

func (l numberedLeg) Callee() string         { return l.number }
func (l numberedLeg) BindCall(callID string) { bindCall(l.CalleeLeg, callID) }

// keyReceiver is the KeyReceiver behind leg, if any: the leg itself, or
// the extension's leg a forward (numberedLeg) or a hunt's winner wraps.
func keyReceiver(leg Leg) (KeyReceiver, bool) {
	switch l := leg.(type) {
	case numberedLeg:
		leg = l.CalleeLeg
	case *hunt:
		l.mu.Lock()
		leg = l.cur
		l.mu.Unlock()
	}
	r, ok := leg.(KeyReceiver)
	return r, ok
}

// forwardHop follows ext's rule for cond through the chain to the number
// the call goes to next. The chain followed the target's unconditional
// forwards already; its other rules apply when it is rung.
func (c *Core) forwardHop(rt *Routing, chain *dialplan.Chain, ext string, cond dialplan.Condition) (string, *ConnectError) {
	target, forwarded, err := chain.Forward(rt.Forwards, ext, cond)
	if err != nil {
		return "", &ConnectError{Target: ext, State: "Rejected", Code: ForwardLoopCode, Reason: ForwardLoopReason, Cause: err.Error()}
	}
	if !forwarded {
		return "", unavailable(ext, 480, "Temporarily Unavailable", "no forward target")
	}
	c.log.Info("call forwarded", "from", ext, "to", target, "condition", cond.String(), "path", chain.Path())
	return target, nil
}
