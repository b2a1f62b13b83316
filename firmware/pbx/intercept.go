package pbx

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// RoutingInterception: with Routing.Intercept set, a call asks it where
// to go before the dial plan routes it (LastCallState Calling), and again
// when the attempt fails (NoAnswer, Busy, NotFound, Error). The answer
// routes the call to its Destination, rejects the caller (an empty
// Destination) or, when there is none, leaves the dial plan's routing
// and failure as they were. The hook is the firmware's (an HTTP POST):
// the core knows nothing of HTTP.

// InterceptRequest is what the core tells the interception hook.
type InterceptRequest struct {
	CallID          string
	CallerID        string // the number shown as the caller
	CallerName      string
	CallerExtension string // the caller's extension, "" for an outside caller
	// OriginalDialedNumber is what the caller dialled (for a trunk call,
	// its DID, as in the history's Dialed); LastDialedNumber the number the
	// last attempt rang and LastCalledExtension the same when it is an
	// extension ("" before the first attempt).
	OriginalDialedNumber string
	LastDialedNumber     string
	LastCalledExtension  string
	LastCallState        string // InterceptCalling or the failed attempt's state
}

// LastCallState values of an InterceptRequest.
const (
	InterceptCalling  = "Calling"
	InterceptNoAnswer = "NoAnswer"
	InterceptBusy     = "Busy"
	InterceptNotFound = "NotFound"
	InterceptError    = "Error"
)

// InterceptRoute is the hook's decision.
type InterceptRoute struct {
	// Destination is an extension, ring group or number the dial plan
	// routes, or a trunk's name; "" rejects the caller.
	Destination string
	RingTime    time.Duration // 0: the core's ring timeout
	CallerID    string        // the caller number shown to the destination; "": unchanged
	// DialedNumber is the number sent out when Destination is a trunk
	// ("": the original dialled number).
	DialedNumber string
}

// InterceptFunc asks where a call goes; ok false keeps the normal
// routing. It runs on the call's goroutine and must bound its own time.
type InterceptFunc func(ctx context.Context, req InterceptRequest) (rt InterceptRoute, ok bool)

// InterceptRejectCode is the SIP status a caller gets when the
// application answers a Route with an empty Destination.
const (
	InterceptRejectCode   = 603
	InterceptRejectReason = "Decline"
)

// maxIntercepts bounds the questions of one call, so an application that
// keeps sending a failing call to failing destinations cannot ring
// forever.
const maxIntercepts = 5

// interception is a call's RoutingInterception state.
type interception struct {
	ask      InterceptFunc
	asked    int
	ringTime time.Duration // of the last Route taken; 0: the core's
}

// routeIntercepted makes the call's first callee leg: the application's
// Route if it gives one, else the dial plan's, asking again when the
// dial plan cannot ring the number.
func (c *Call) routeIntercepted() (CalleeLeg, *ConnectError) {
	number := c.rec.Callee
	if rt := c.core.routing(); rt != nil && rt.Intercept != nil {
		c.icpt = &interception{ask: rt.Intercept}
	}
	if leg, err, ok := c.intercept(InterceptCalling, "", 0); ok {
		return leg, err
	}
	leg, err := c.core.routeFirst(c.a, number)
	if err != nil {
		if leg, err2, ok := c.intercept(err.State, number, err.Code); ok {
			return leg, err2
		}
	}
	return leg, err
}

// rerouteFailed asks the application where a call goes after its callee
// leg failed with state and code; it returns the new callee leg, or nil
// when the call fails as it would without interception. A Route that
// rejects or cannot be rung ends the call with its own status in reject.
func (c *Call) rerouteFailed(state string, code int) (nb CalleeLeg, reject *ConnectError) {
	leg, err, ok := c.intercept(state, c.rec.Callee, code)
	if !ok {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	relay.Unbridge(c.a.Endpoint()) // early media of the failed callee
	bindCall(leg, c.id)
	c.parties[calleeSide] = party{leg: leg, number: c.rec.Callee, name: c.core.Directory().DisplayName(c.rec.Callee)}
	c.publish()
	return leg, nil
}

// intercept asks the hook, with the state of the last attempt (to last,
// failed with SIP status code), and carries out its Route: ok is false
// when there is no hook, no answer, or the state is not one the
// reference asks about.
func (c *Call) intercept(state, last string, code int) (leg CalleeLeg, err *ConnectError, ok bool) {
	ic := c.icpt
	if ic == nil || ic.asked >= maxIntercepts {
		return nil, nil, false
	}
	if state != InterceptCalling {
		if state, ok = interceptState(state, code); !ok {
			return nil, nil, false
		}
	}
	ic.asked++
	caller := c.a.Caller()
	req := InterceptRequest{
		CallID: c.id, CallerID: caller.Number, CallerName: caller.DisplayName,
		OriginalDialedNumber: c.rec.Dialed, LastDialedNumber: last, LastCallState: state,
	}
	dir := c.core.Directory()
	if _, ext := dir.Lookup(caller.Number); ext && trunkOf(c.a) == "" {
		req.CallerExtension = caller.Number
	}
	if _, ext := dir.Lookup(last); ext {
		req.LastCalledExtension = last
	}
	route, ok := ic.ask(context.Background(), req)
	if !ok {
		return nil, nil, false
	}
	log := c.core.log.With("call", c.id, "state", state)
	if route.Destination == "" {
		log.Info("routing interception rejected the caller")
		return nil, &ConnectError{Target: c.rec.Callee, State: "Rejected", Code: InterceptRejectCode, Reason: InterceptRejectReason,
			Cause: "rejected by routing interception"}, true
	}
	log.Info("routing interception routes the call", "destination", route.Destination)
	if route.CallerID != "" {
		caller.Number = route.CallerID
	}
	leg, callee, err := c.core.routeTo(route, caller, c.a.Offered(), c.rec.Dialed)
	if err != nil {
		log.Info("routing interception destination failed", "destination", route.Destination, "err", err)
		return nil, err, true
	}
	c.rec.Callee, ic.ringTime = callee, route.RingTime
	return leg, nil, true
}

// interceptState maps a failed attempt's state and SIP status to the
// LastCallState the application is asked with; ok is false for failures
// it is not asked about (a cancel, a loop, a rejecting callee).
func interceptState(state string, code int) (string, bool) {
	switch {
	case state == "NoAnswer" || state == "NotRegistered" || state == "NotAvailable" || code == 480 || code == 408:
		return InterceptNoAnswer, true
	case state == "Busy" || code == 486 || code == 600:
		return InterceptBusy, true
	case state == "NotFound" || code == 404 || code == 604:
		return InterceptNotFound, true
	case state == "Error" || code >= 500 && code < 600:
		return InterceptError, true
	}
	return "", false
}

// routeTo rings a Route's destination on behalf of from: a number (digits,
// "*", "#", "+") goes through the dial plan like a dialled one; anything
// else is a trunk's name, which sends DialedNumber (else dialed) out.
// callee is the number rung.
func (c *Core) routeTo(r InterceptRoute, from ua.Party, formats []sdp.Format, dialed string) (leg CalleeLeg, callee string, err *ConnectError) {
	if !strings.ContainsFunc(r.Destination, func(c rune) bool { return !strings.ContainsRune("0123456789*#+", c) }) {
		leg, err = c.route(r.Destination, from, formats)
		return leg, r.Destination, err
	}
	number := r.DialedNumber
	if number == "" {
		number = dialed
	}
	rt := c.routing()
	if rt == nil || rt.Trunks == nil {
		return nil, "", notFound(r.Destination)
	}
	leg, terr := rt.Trunks.OriginateTrunk(context.Background(), r.Destination, number, from, formats)
	if terr != nil {
		return nil, "", unavailable(number, 503, "Service Unavailable", fmt.Sprintf("trunk %s: %v", r.Destination, terr))
	}
	return leg, number, nil
}

// ringTimer is the call's ring timer for callee leg b: the Route's ring
// time when the application gave one, else the core's.
func (c *Call) ringTimer(b CalleeLeg) <-chan time.Time {
	if ic := c.icpt; ic != nil && ic.ringTime > 0 {
		if _, ok := b.(*hunt); !ok {
			return c.core.opts.Clock.After(ic.ringTime)
		}
	}
	return c.core.ringTimer(b)
}
