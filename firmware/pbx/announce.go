package pbx

import (
	"context"
	"errors"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// PlayFunc sends audio onto a party's endpoint in the party's negotiated
// audio format, returning when it is done or ctx ends.
type PlayFunc func(ctx context.Context, w PacketWriter, f sdp.Format) error

// ErrAnnouncementStopped: an Announce was cut short because the call is
// being transferred (a transfer ends a playback, as in other PBXs).
var ErrAnnouncementStopped = errors.New("pbx: announcement stopped by a transfer")

// Announce plays to party (caller, callee or both) of an answered call
// what play sends, and returns when it is done: the HTTP API's Play and
// Speak. Meanwhile the two parties do not hear each other, as during
// SendDTMF (the same machinery runs it); afterwards the call is as it
// was. A transfer of the call (blind or attended, by the API or a
// phone's REFER) stops it: ErrAnnouncementStopped. Other errors as
// SendDTMF's.
func (c *Core) Announce(ctx context.Context, callID string, party Party, play PlayFunc) error {
	if party&PartyBoth == 0 || party&^PartyBoth != 0 {
		return ErrBadParty
	}
	return c.ask(ctx, callID, command{kind: cmdDTMF, party: party, play: play})
}

// keysBlockTransfer reports whether a transfer must be refused (491):
// a SendDTMF is sending keys, or a transfer already waits for an
// announcement to stop. An announcement alone does not block one.
func (c *Call) keysBlockTransfer() bool {
	d := c.dtmf
	return d != nil && (!d.announce || d.then != nil)
}

// stopAnnouncement cuts short the announcement playing, for a transfer
// that goes ahead now: its writers are cancelled and, until they have
// returned (endDTMF), rewire keeps the parties unbridged and silent;
// then the media follows the transfer and Announce returns
// ErrAnnouncementStopped. The owner goroutine does not wait.
func (c *Call) stopAnnouncement() {
	if d := c.dtmf; d != nil && d.announce && !d.stopped {
		d.stopped = true
		d.cancel()
		c.core.log.Info("announcement stopped by a transfer", "call", c.id)
	}
}

// awaitAnnouncement stops the announcement playing and keeps cmd (an
// attended transfer's handover, which gives a party this call's writers
// may still write to into another call's hands) to be run once they have
// returned; it reports whether cmd waits.
func (c *Call) awaitAnnouncement(cmd command) bool {
	d := c.dtmf
	if d == nil || !d.announce || d.then != nil {
		return false
	}
	c.stopAnnouncement()
	d.then = &cmd
	return true
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
