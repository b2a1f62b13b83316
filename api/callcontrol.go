package api

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Call control: BlindTransfer, Hold, Unhold. The core does the work
// (Calls); these functions check parameters and turn outcomes into codes.

// Errors a Calls implementation returns from call control.
var (
	// ErrCallNotFound: no call with that ID (601).
	ErrCallNotFound = errors.New("api: call not found")
	// ErrCallState: the call cannot do that now, e.g. a transfer of a call
	// that is not answered yet or already transferring (303).
	ErrCallState = errors.New("api: not possible in the call's state")
	// ErrInProgress: the wait ended before the outcome; the command goes
	// on in the appliance (200).
	ErrInProgress = errors.New("api: still in progress")
)

// CallNotFoundError is ErrCallNotFound naming the call, for commands
// with two call IDs.
type CallNotFoundError struct{ ID string }

func (e *CallNotFoundError) Error() string        { return "api: call not found: " + e.ID }
func (e *CallNotFoundError) Is(target error) bool { return target == ErrCallNotFound }

// ConnectError is a Calls error saying a number could not be connected
// (402 with Target and State).
type ConnectError struct {
	Target string
	State  string // Busy, NoAnswer, NotFound, NotRegistered, Rejected, Error, ...
}

func (e *ConnectError) Error() string { return "api: connect to " + e.Target + " failed: " + e.State }

// Party names a side of a call: "caller", "callee", or for Hold and
// Unhold also "all".
type Party string

// Parties.
const (
	PartyCaller Party = "caller"
	PartyCallee Party = "callee"
	PartyAll    Party = "all"
)

// TransferRequest is a BlindTransfer command's parameters.
type TransferRequest struct {
	CallID     string
	Transferor Party // PartyCaller or PartyCallee: the side that leaves
	Target     string
	// FinishedURL is where the FinishedUrl notification goes when the
	// transferred call ends ("" for none).
	FinishedURL string
}

// AttendedRequest is an AttendedTransfer command's parameters.
type AttendedRequest struct {
	TransferredCallID string // the call whose far party moves
	TargetCallID      string // the call it joins
	// Transferor is the transferor's side in the transferred call; ""
	// means the party both calls share.
	Transferor Party
}

// transferWait bounds how long BlindTransfer waits for the target to
// answer or fail; it stays under the HTTP server's write timeout. A
// target still ringing then is answered 200 (the transfer goes on).
const transferWait = 25 * time.Second

// parseParty reads a Party parameter in any case; all is accepted only
// when allowAll.
func parseParty(v string, allowAll bool) (Party, bool) {
	switch p := Party(asciiLower(strings.TrimSpace(v))); p {
	case PartyCaller, PartyCallee:
		return p, true
	case PartyAll:
		return p, allowAll
	}
	return "", false
}

// blindTransfer: CallId, TransferorParty (alias TranferorParty), Target,
// FinishedUrl → 200 once the target answered (the transferor's leg is
// ended); 402 when the target failed (the call stays as it was); 601, 302,
// 303.
func (h *Handler) blindTransfer(req *request) reply {
	id, ok := req.required("CallId")
	if !ok {
		return req.invalid("CallId")
	}
	party, ok := parseParty(req.params.value("TransferorParty"), false)
	if !ok {
		return req.invalid("TransferorParty")
	}
	target, ok := req.required("Target")
	if !ok {
		return req.invalid("Target")
	}
	if h.opts.Calls == nil {
		return reply{code: CodeCallNotFound, args: []string{id}}
	}
	ctx, cancel := context.WithTimeout(req.context(), transferWait)
	defer cancel()
	err := h.opts.Calls.BlindTransfer(ctx, TransferRequest{
		CallID: id, Transferor: party, Target: target, FinishedURL: req.params.value("FinishedUrl"),
	})
	return h.controlReply(req, id, err)
}

// forwardCall: CallId, Destination → 200 once the destination is being
// rung instead (the old callee is cancelled); 402 when it cannot be rung
// (the call keeps ringing where it was); 303 when the call is answered;
// 601, 302.
func (h *Handler) forwardCall(req *request) reply {
	id, ok := req.required("CallId")
	if !ok {
		return req.invalid("CallId")
	}
	dest, ok := req.required("Destination")
	if !ok {
		return req.invalid("Destination")
	}
	if h.opts.Calls == nil {
		return reply{code: CodeCallNotFound, args: []string{id}}
	}
	ctx, cancel := context.WithTimeout(req.context(), transferWait)
	defer cancel()
	return h.controlReply(req, id, h.opts.Calls.Forward(ctx, id, dest))
}

// attendedTransfer: TransferredCallId (alias TranferredCallId),
// TargetCallId, optional TransferorParty → 200 once joined; 601 naming
// the unknown call; 303 when a call is not answered, is transferring or
// the two calls share no party; 302.
func (h *Handler) attendedTransfer(req *request) reply {
	from, ok := req.required("TransferredCallId")
	if !ok {
		return req.invalid("TransferredCallId")
	}
	to, ok := req.required("TargetCallId")
	if !ok {
		return req.invalid("TargetCallId")
	}
	var party Party
	if v := req.params.value("TransferorParty"); v != "" {
		if party, ok = parseParty(v, false); !ok {
			return req.invalid("TransferorParty")
		}
	}
	if h.opts.Calls == nil {
		return reply{code: CodeCallNotFound, args: []string{from}}
	}
	ctx, cancel := context.WithTimeout(req.context(), transferWait)
	defer cancel()
	err := h.opts.Calls.AttendedTransfer(ctx, AttendedRequest{TransferredCallID: from, TargetCallID: to, Transferor: party})
	return h.controlReply(req, from, err)
}

// maxDTMFKeys bounds SendDTMF's Keys.
const maxDTMFKeys = 32

// validKeys reports whether keys are 1 to maxDTMFKeys DTMF digits.
func validKeys(keys string) bool {
	if keys == "" || len(keys) > maxDTMFKeys {
		return false
	}
	for i := 0; i < len(keys); i++ {
		if !strings.ContainsRune("0123456789*#ABCDabcd", rune(keys[i])) {
			return false
		}
	}
	return true
}

// sendDTMF: CallId, Keys (up to 32 of 0-9 * # A-D), Party (caller,
// callee or all) → 200 once sent; 601, 302, 303.
func (h *Handler) sendDTMF(req *request) reply {
	id, ok := req.required("CallId")
	if !ok {
		return req.invalid("CallId")
	}
	keys := req.params.value("Keys")
	if !validKeys(keys) {
		return req.invalid("Keys")
	}
	party, ok := parseParty(req.params.value("Party"), true)
	if !ok {
		return req.invalid("Party")
	}
	if h.opts.Calls == nil {
		return reply{code: CodeCallNotFound, args: []string{id}}
	}
	ctx, cancel := context.WithTimeout(req.context(), transferWait)
	defer cancel()
	return h.controlReply(req, id, h.opts.Calls.SendDTMF(ctx, id, keys, party))
}

// hold: CallId, Party (caller, callee or all; default all) → 200; 601,
// 302, 303.
func (h *Handler) hold(req *request) reply { return h.holdOrUnhold(req, true) }

// unhold: as hold.
func (h *Handler) unhold(req *request) reply { return h.holdOrUnhold(req, false) }

func (h *Handler) holdOrUnhold(req *request, hold bool) reply {
	id, ok := req.required("CallId")
	if !ok {
		return req.invalid("CallId")
	}
	party := PartyAll
	if v, present := req.params.get("Party"); present && v != "" {
		if party, ok = parseParty(v, true); !ok {
			return req.invalid("Party")
		}
	}
	if h.opts.Calls == nil {
		return reply{code: CodeCallNotFound, args: []string{id}}
	}
	ctx, cancel := context.WithTimeout(req.context(), transferWait)
	defer cancel()
	var err error
	if hold {
		err = h.opts.Calls.Hold(ctx, id, party)
	} else {
		err = h.opts.Calls.Unhold(ctx, id, party)
	}
	return h.controlReply(req, id, err)
}

// controlReply turns a call-control outcome into a reply.
func (h *Handler) controlReply(req *request, id string, err error) reply {
	var ce *ConnectError
	switch {
	case err == nil, errors.Is(err, ErrInProgress):
		return reply{code: CodeOK}
	case errors.Is(err, ErrCallNotFound):
		var nf *CallNotFoundError
		if errors.As(err, &nf) {
			id = nf.ID
		}
		return reply{code: CodeCallNotFound, args: []string{id}}
	case errors.As(err, &ce):
		return reply{code: CodeCallConnectFailed, args: []string{ce.Target, ce.State}}
	case errors.Is(err, ErrCallState):
		return reply{code: CodeInappropriateCommand, args: []string{req.name}}
	}
	h.log.Warn("api: call control failed", "command", req.name, "call", id, "err", err)
	target := req.params.value("Target")
	if target == "" {
		target = req.params.value("Destination")
	}
	return reply{code: CodeCallConnectFailed, args: []string{target, "Error"}}
}
