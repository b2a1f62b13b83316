package pbx

import (
	"context"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// PlayFunc sends audio onto a party's endpoint in the party's negotiated
// audio format, returning when it is done or ctx ends.
type PlayFunc func(ctx context.Context, w PacketWriter, f sdp.Format) error

// Announce plays to party (caller, callee or both) of an answered call
// what play sends, and returns when it is done: the HTTP API's Play and
// Speak. Meanwhile the two parties do not hear each other, as during
// SendDTMF (the same machinery runs it); afterwards the call is as it
// was. Errors as SendDTMF's.
func (c *Core) Announce(ctx context.Context, callID string, party Party, play PlayFunc) error {
	if party&PartyBoth == 0 || party&^PartyBoth != 0 {
		return ErrBadParty
	}
	return c.ask(ctx, callID, command{kind: cmdDTMF, party: party, play: play})
}

// Endpoints returns the relay endpoints of a live call's caller and
// callee legs (for recording through their audio taps); ok is false when
// there is no such call.
func (c *Core) Endpoints(callID string) (caller, callee *relay.Endpoint, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.snapshots[callID]
	return s.callerEP, s.calleeEP, ok
}

// Ended returns a channel closed when the call ends (at once when there
// is no such call).
func (c *Core) Ended(callID string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if call, ok := c.calls[callID]; ok {
		return call.done
	}
	closed := make(chan struct{})
	close(closed)
	return closed
}
