package pbx

import (
	"slices"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/media/relay"
)

// CallSnapshot is a copy of a live call's public state. The call's owner
// goroutine publishes a fresh one on every state change; readers get
// copies and never touch the Call itself.
type CallSnapshot struct {
	ID         string
	Caller     string // the calling party's number
	CallerName string // its display name ("" when none)
	Callee     string // the extension the call was routed to
	Dialed     string // what the caller dialled
	State      State  // Setup, Ringing or InCall
	Start      time.Time
	Answer     time.Time // zero until answered

	// the parties' endpoints, for RTPStats (their counters are atomic)
	callerEP, calleeEP *relay.Endpoint
	// calleeLeg is the callee side's leg, for pickups of a ringing call
	// (its early dialog's Call-ID).
	calleeLeg Leg
	// fromTrunk: the caller is a provider's caller ID, not an extension.
	fromTrunk bool
}

// snapshot builds the call's current snapshot; only the owner goroutine
// (or Incoming, before that goroutine starts) calls it.
func (c *Call) snapshot() CallSnapshot {
	s := CallSnapshot{
		ID: c.id, Caller: c.rec.Caller, CallerName: c.rec.CallerName, Callee: c.rec.Callee,
		Dialed: c.rec.Dialed, State: c.state, Start: c.rec.Start, Answer: c.rec.Answer,
		fromTrunk: c.rec.Direction == "inbound",
	}
	if l := c.parties[callerSide].leg; l != nil {
		s.callerEP = l.Endpoint()
	}
	if l := c.parties[calleeSide].leg; l != nil {
		s.calleeEP, s.calleeLeg = l.Endpoint(), l
	}
	return s
}

// RTPStats returns the RTP counters of a live call's caller and callee
// legs (as the history record will hold them); ok is false when there is
// no such call.
func (c *Core) RTPStats(callID string) (caller, callee relay.Stats, ok bool) {
	c.mu.Lock()
	s, ok := c.snapshots[callID]
	c.mu.Unlock()
	if !ok {
		return relay.Stats{}, relay.Stats{}, false
	}
	if s.callerEP != nil {
		caller = s.callerEP.Stats()
	}
	if s.calleeEP != nil {
		callee = s.calleeEP.Stats()
	}
	return caller, callee, true
}

// setState moves the call to s and publishes the new snapshot. Only the
// owner goroutine calls it.
func (c *Call) setState(s State) {
	c.state = s
	snap := c.snapshot()
	c.core.mu.Lock()
	if _, live := c.core.snapshots[c.id]; live {
		c.core.snapshots[c.id] = snap
	}
	c.core.mu.Unlock()
}

// Calls returns a snapshot of every call in progress, oldest first.
func (c *Core) Calls() []CallSnapshot {
	c.mu.Lock()
	out := make([]CallSnapshot, 0, len(c.snapshots))
	for _, s := range c.snapshots {
		out = append(out, s)
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b CallSnapshot) int {
		if d := a.Start.Compare(b.Start); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
