package pbx

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Call control for the HTTP API, OzML and anything else that steers calls
// by ID. Each method hands a command to the call's owner goroutine; the
// same code serves the phones' own requests (REFER, hold re-INVITEs).

// Party names the sides of a call a command applies to.
type Party int

// Parties. PartyBoth is for Hold and Unhold only.
const (
	PartyCaller Party = 1 << iota
	PartyCallee
	PartyBoth = PartyCaller | PartyCallee
)

// ParseParty reads "caller", "callee" or "all"/"both", in any case.
func ParseParty(s string) (Party, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "caller":
		return PartyCaller, true
	case "callee":
		return PartyCallee, true
	case "all", "both":
		return PartyBoth, true
	}
	return 0, false
}

// Errors of the call-control methods.
var (
	ErrNoCall       = errors.New("pbx: no such call")
	ErrNotAnswered  = errors.New("pbx: call not answered")
	ErrTransferring = errors.New("pbx: a transfer of this call is in progress")
	ErrCallEnded    = errors.New("pbx: call ended")
	ErrAnswered     = errors.New("pbx: call already answered")
	// ErrPending: the caller's context ended before the transfer's
	// outcome; the transfer goes on (on failure the call stays as it was).
	ErrPending  = errors.New("pbx: transfer still in progress")
	ErrBadParty = errors.New("pbx: invalid party")
)

// ConnectError says why a number could not be connected: unknown,
// unreachable, busy, not answering, ...
type ConnectError struct {
	Target string
	State  string // history word: NotFound, NotAvailable, NotRegistered, Busy, NoAnswer, Rejected, Error
	Code   int    // SIP status for a phone waiting on it
	Reason string // its reason phrase
	Cause  string // detail for logs and history
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("pbx: connect to %s failed: %s (%s)", e.Target, e.State, e.Cause)
}

// Transfer is a blind-transfer request.
type Transfer struct {
	CallID     string
	Transferor Party  // PartyCaller or PartyCallee: the side that leaves
	Target     string // the number the other side is transferred to
	// FinishedURL is handed to Options.OnEnd when the call ends.
	FinishedURL string
}

// BlindTransfer transfers the party opposite t.Transferor to t.Target:
// the target is rung on that party's behalf; when it answers, it takes
// the transferor's side and the transferor's leg is ended. It waits for
// the outcome: nil when the target answered, a *ConnectError when it
// failed (the call is then as it was), ErrPending when ctx ended first.
// The call ID stays the same. Works for every leg kind.
func (c *Core) BlindTransfer(ctx context.Context, t Transfer) error {
	if t.Transferor != PartyCaller && t.Transferor != PartyCallee {
		return ErrBadParty
	}
	return c.ask(ctx, t.CallID, command{kind: cmdTransfer, xfer: t})
}

// Hold puts party (caller, callee or both) of an answered call on hold:
// it hears music on hold until Unhold. Holding a held party is a no-op.
// Hold, Unhold and Forward wait for the call's answer until ctx ends
// (ErrPending).
func (c *Core) Hold(ctx context.Context, callID string, party Party) error {
	if party&PartyBoth == 0 || party&^PartyBoth != 0 {
		return ErrBadParty
	}
	return c.ask(ctx, callID, command{kind: cmdHold, party: party})
}

// Unhold takes party back from a Hold; unholding a party that is not held
// is a no-op. A hold its own phone's re-INVITE made stays until the phone
// resumes.
func (c *Core) Unhold(ctx context.Context, callID string, party Party) error {
	if party&PartyBoth == 0 || party&^PartyBoth != 0 {
		return ErrBadParty
	}
	return c.ask(ctx, callID, command{kind: cmdUnhold, party: party})
}

// Forward rings destination instead of the callee of a call that is not
// answered yet (Setup or Ringing); the caller keeps waiting. A destination
// that cannot be rung (*ConnectError) leaves the call ringing where it
// was; ErrAnswered when the call is already answered.
func (c *Core) Forward(ctx context.Context, callID, destination string) error {
	return c.ask(ctx, callID, command{kind: cmdForward, dest: destination})
}

// ask sends cmd to the call and waits for its answer.
func (c *Core) ask(ctx context.Context, callID string, cmd command) error {
	c.mu.Lock()
	call, ok := c.calls[callID]
	c.mu.Unlock()
	if !ok {
		return ErrNoCall
	}
	cmd.reply = make(chan error, 1)
	select {
	case call.inbox <- cmd:
	case <-call.done:
		return ErrNoCall
	case <-ctx.Done():
		return ErrPending
	}
	select {
	case err := <-cmd.reply:
		return err
	case <-call.done:
		select {
		case err := <-cmd.reply:
			return err
		default:
			return ErrCallEnded
		}
	case <-ctx.Done():
		return ErrPending
	}
}

// route makes a leg to number on behalf of from, offering formats. It is
// the one place calls are originated: first calls, transfers, forwards.
// With a Routing (SetRouting) the dial plan decides: feature codes, ring
// groups, extensions with their forwarding rules, routes (routing.go);
// each route call starts its own forwarding chain at number.
func (c *Core) route(number string, from ua.Party, formats []sdp.Format) (CalleeLeg, *ConnectError) {
	if rt := c.routing(); rt != nil {
		return c.routeDialled(rt, dialplan.NewChain(number), number, from, formats)
	}
	return c.originate(number, from, formats)
}

// originate makes a leg to the extension number by its kind's
// Originator, without any dial plan.
func (c *Core) originate(number string, from ua.Party, formats []sdp.Format) (CalleeLeg, *ConnectError) {
	ext, ok := c.Directory().Lookup(number)
	if !ok {
		return nil, notFound(number)
	}
	orig, _ := c.sip.Load().(Originator)
	if ext.Kind != "sip" {
		o, ok := c.kinds.Load(ext.Kind)
		if !ok {
			return nil, &ConnectError{Target: number, State: "NotAvailable", Code: 480, Reason: "Temporarily Unavailable",
				Cause: fmt.Sprintf("extension kind %s not connected", ext.Kind)}
		}
		orig = o.(Originator)
	}
	if orig == nil {
		return nil, &ConnectError{Target: number, State: "Error", Code: 503, Reason: "Service Unavailable", Cause: "no SIP originator"}
	}
	leg, err := orig.Originate(context.Background(), ext.Number, from, formats)
	if errors.Is(err, ua.ErrNotRegistered) {
		return nil, &ConnectError{Target: number, State: "NotRegistered", Code: 480, Reason: "Temporarily Unavailable", Cause: "480 Temporarily Unavailable"}
	}
	if err != nil {
		return nil, &ConnectError{Target: number, State: "Error", Code: 503, Reason: "Service Unavailable", Cause: err.Error()}
	}
	return leg, nil
}

// record appends a history record and tells Options.OnEnd.
func (c *Core) record(r history.Record, finishedURL string) {
	if c.opts.History != nil {
		if err := c.opts.History.Append(r); err != nil {
			c.log.Error("call history not written", "call", r.CallID, "err", err)
		}
	}
	if c.opts.OnEnd != nil {
		c.opts.OnEnd(r, finishedURL)
	}
}
