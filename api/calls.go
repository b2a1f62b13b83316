package api

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Calls is what the API needs of the call core.
type Calls interface {
	// ActiveCalls returns a snapshot of every call in progress.
	ActiveCalls() []CallInfo
	// Hangup asks the call to end; false when there is no such call.
	Hangup(callID string) bool
	// BlindTransfer transfers the party opposite t.Transferor to t.Target
	// and waits for the outcome until ctx ends: nil when the target
	// answered, ErrCallNotFound, ErrCallState, a *ConnectError when the
	// target failed (the call stays as it was), ErrInProgress when ctx
	// ended first.
	BlindTransfer(ctx context.Context, t TransferRequest) error
	// Hold makes party (caller, callee or all) of an answered call hear
	// music on hold; Unhold takes it back. Errors as BlindTransfer's.
	Hold(ctx context.Context, callID string, party Party) error
	Unhold(ctx context.Context, callID string, party Party) error
	// Forward rings destination instead of the callee of a call that is
	// still ringing. Errors as BlindTransfer's (ErrCallState when the call
	// is answered; a *ConnectError leaves it ringing where it was).
	Forward(ctx context.Context, callID, destination string) error
	// AttendedTransfer joins the far parties of two answered calls that
	// share a party (the transferor), whose legs are ended. An unknown ID
	// is a *CallNotFoundError; otherwise errors as BlindTransfer's.
	AttendedTransfer(ctx context.Context, t AttendedRequest) error
	// SendDTMF sends keys (already checked: 0-9 * # A-D) to party of an
	// answered call and returns once they are sent. Errors as Hold's.
	SendDTMF(ctx context.Context, callID, keys string, party Party) error
}

// CallInfo is one call in progress.
type CallInfo struct {
	ID         string
	Caller     string // the calling party's number
	CallerName string // its display name; kept for notifications, not listed
	Callee     string // the extension the call was routed to
	Dialed     string // what the caller dialled
	State      string // one of the CallState constants
	Start      time.Time
	Answer     time.Time // zero until answered
}

// Call states reported by ListActiveCalls.
const (
	CallStateSetup    = "Setup"
	CallStateRinging  = "Ringing"
	CallStateInCall   = "InCall"
	CallStateHold     = "Hold"         // a party hears music on hold
	CallStateTransfer = "Transferring" // a transfer target rings
)

// timeLayout is how the reference writes times: "2019-04-09 10:34:07".
const timeLayout = "2006-01-02 15:04:05"

// hangup: CallId → 200, or 601 when no such call, 302 when missing.
func (h *Handler) hangup(req *request) reply {
	id, ok := req.required("CallId")
	if !ok {
		return req.invalid("CallId")
	}
	if h.opts.Calls == nil || !h.opts.Calls.Hangup(id) {
		return reply{code: CodeCallNotFound, args: []string{id}}
	}
	return reply{code: CodeOK}
}

// listActiveCalls lists the calls in progress, oldest first, in the
// shape of the reference's example:
//
//	<ActiveCalls><Call><CallId/><Source/><CallerId/><Destination/>
//	<CallerDialed/><CalleeDialed/><StartTime/><RingDuration/>
//	<TalkDuration/><CallState/></Call>...</ActiveCalls>
func (h *Handler) listActiveCalls(req *request) reply {
	var calls []CallInfo
	if h.opts.Calls != nil {
		calls = h.opts.Calls.ActiveCalls()
	}
	slices.SortFunc(calls, func(a, b CallInfo) int {
		if d := a.Start.Compare(b.Start); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	now := req.now
	return reply{code: CodeOK, body: func(w *xmlWriter) {
		if len(calls) == 0 {
			w.empty("ActiveCalls")
			return
		}
		w.open("ActiveCalls")
		for _, c := range calls {
			ring, talk := callDurations(c, now)
			w.open("Call")
			w.leaf("CallId", c.ID)
			w.leaf("Source", c.Caller)
			w.leaf("CallerId", c.Caller)
			w.leaf("Destination", c.Callee)
			w.leaf("CallerDialed", c.Dialed)
			w.leaf("CalleeDialed", c.Callee)
			w.leafTime("StartTime", c.Start, h.loc)
			w.leafSeconds("RingDuration", ring)
			w.leafSeconds("TalkDuration", talk)
			w.leaf("CallState", c.State)
			w.close("Call")
		}
		w.close("ActiveCalls")
	}}
}

// callDurations splits a call's age into ringing (start to answer, or to
// now while unanswered) and talking (answer to now).
func callDurations(c CallInfo, now time.Time) (ring, talk time.Duration) {
	if c.Answer.IsZero() {
		return max(now.Sub(c.Start), 0), 0
	}
	return max(c.Answer.Sub(c.Start), 0), max(now.Sub(c.Answer), 0)
}
