package pbx

import (
	"context"
	"fmt"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Attended transfer joins the far parties of two calls that share a party
// (the transferor, who usually holds one call while talking in the other):
// the transferee of the first call takes the transferor's place in the
// second call, and both of the transferor's legs are ended. A leg moves
// between two calls' goroutines through the core: the first call hands it
// over and ends (cmdDetach), the second takes it in (cmdAdopt).

// Attended is an attended-transfer request.
type Attended struct {
	TransferredCallID string // the call whose transferee moves
	TargetCallID      string // the call it joins; it keeps its ID
	// Transferor is the transferor's side in the transferred call; 0
	// means the party both calls share (by number).
	Transferor Party
}

// NoCallError is ErrNoCall naming the call.
type NoCallError struct{ ID string }

func (e *NoCallError) Error() string        { return "pbx: no call " + e.ID }
func (e *NoCallError) Is(target error) bool { return target == ErrNoCall }

// join is what the two calls of an attended transfer are told.
type join struct {
	side   int               // the transferor's side in the receiving call
	target string            // the call the transferee joins
	report ua.TransferReport // the REFER's NOTIFYs; nil for the API
	moved  *party            // cmdDetach: out; cmdAdopt: in
	// incoming is cmdReplace's leg that takes over side.
	incoming CallerLeg
}

// AttendedTransfer joins the transferee of a.TransferredCallID to the far
// party of a.TargetCallID in place of the transferor; the transferor's
// legs in both calls are ended. Both calls must be answered and not
// transferring (else ErrNotAnswered or ErrTransferring); an unknown ID is
// a *NoCallError. The target call keeps its ID.
func (c *Core) AttendedTransfer(ctx context.Context, a Attended) error {
	sa, sb, err := c.pair(a.TransferredCallID, a.TargetCallID)
	if err != nil {
		return err
	}
	aSide, bSide, ok := transferorSides(sa, sb, a.Transferor)
	if !ok {
		return fmt.Errorf("%w: no party shared by calls %s and %s", ErrBadParty, sa.ID, sb.ID)
	}
	return c.joinCalls(ctx, sa.ID, aSide, sb.ID, bSide, nil)
}

// pair returns the snapshots of two different answered calls.
func (c *Core) pair(aID, bID string) (sa, sb CallSnapshot, err error) {
	c.mu.Lock()
	sa, okA := c.snapshots[aID]
	sb, okB := c.snapshots[bID]
	c.mu.Unlock()
	switch {
	case !okA:
		return sa, sb, &NoCallError{ID: aID}
	case !okB:
		return sa, sb, &NoCallError{ID: bID}
	case aID == bID:
		return sa, sb, fmt.Errorf("%w: a call cannot be transferred into itself", ErrBadParty)
	}
	for _, s := range []CallSnapshot{sa, sb} {
		switch s.State {
		case StateInCall, StateHold:
		case StateTransferring:
			return sa, sb, ErrTransferring
		default:
			return sa, sb, ErrNotAnswered
		}
	}
	return sa, sb, nil
}

// transferorSides finds the transferor's side in each call: in the first
// call the side named (or, for 0, a party whose number is in both calls),
// in the second the side with that number.
func transferorSides(sa, sb CallSnapshot, named Party) (aSide, bSide int, ok bool) {
	numsA := [2]string{sa.Caller, sa.Callee}
	numsB := [2]string{sb.Caller, sb.Callee}
	for i := range numsA {
		if named == PartyCaller && i != callerSide || named == PartyCallee && i != calleeSide {
			continue
		}
		for j := range numsB {
			if numsA[i] != "" && numsA[i] == numsB[j] {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// joinCalls moves the transferee of call aID (the side opposite aSide)
// into call bID in place of its side bSide. report, when set, is the
// REFER to answer with the outcome.
func (c *Core) joinCalls(ctx context.Context, aID string, aSide int, bID string, bSide int, report ua.TransferReport) error {
	finish := func(code int, reason string) {
		if report != nil {
			report.Finish(code, reason)
		}
	}
	// Once the first call has handed its party over, the second must take
	// it in: a requester giving up between the two steps would otherwise
	// strand the party with no audio and no BYE. Both steps are quick
	// commands to the calls' own goroutines, which always answer (or end).
	ctx = context.WithoutCancel(ctx)
	var moved party
	if err := c.ask(ctx, aID, command{kind: cmdDetach, join: &join{side: aSide, target: bID, report: report, moved: &moved}}); err != nil {
		finish(503, "Service Unavailable")
		return err
	}
	if err := c.ask(ctx, bID, command{kind: cmdAdopt, join: &join{side: bSide, target: bID, moved: &moved}}); err != nil {
		// The target call went away meanwhile: nobody to join.
		c.log.Warn("attended transfer: target call gone, transferee released", "call", bID, "err", err)
		moved.leg.Hangup()
		finish(487, "Request Terminated")
		return err
	}
	finish(200, "OK")
	return nil
}

// detach hands this call's transferee (opposite j.side) over and ends the
// call: the transferee's leg is kept up, the transferor's is ended (after
// the REFER's final NOTIFY, if any). An announcement playing has been
// stopped first (onCommand: awaitAnnouncement).
func (c *Call) detach(cmd command) error {
	j := cmd.join
	if c.xfer != nil || c.dtmf != nil {
		return ErrTransferring
	}
	x := 1 - j.side
	if !c.parties[x].present() || !c.parties[j.side].present() {
		return ErrCallEnded
	}
	c.stopSound(x)
	relay.Unbridge(c.parties[x].leg.Endpoint())
	p := c.parties[x]
	*j.moved = party{leg: p.leg, number: p.number, name: p.name}
	c.parties[x].gone = true // handed over: neither hung up nor read here
	if j.report != nil {
		t := c.parties[j.side].leg
		c.stopSound(j.side)
		c.parties[j.side].gone = true
		c.leaving.Add(1)
		go func() {
			defer c.leaving.Done()
			<-j.report.Done() // the transferor hears the outcome first
			t.Hangup()
		}()
	}
	c.core.log.Info("attended transfer", "call", c.id, "transferee", p.number, "into", j.target)
	c.hangupAll() // the transferor, unless it waits for its NOTIFY
	cmd.answer(nil)
	return nil
}

// replaceLeg hands a call that replaces one of ours (INVITE with
// Replaces) to the call the replaced leg belongs to.
func (c *Core) replaceLeg(leg CallerLeg, replaced ua.Replaced) {
	id, side, ok := c.callOf(replaced.Endpoint())
	if !ok {
		leg.Reject(481, "Call/Transaction Does Not Exist")
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		err := c.ask(context.Background(), id, command{kind: cmdReplace, join: &join{side: side, incoming: leg}})
		if err != nil {
			c.log.Info("replacing call refused", "call", id, "caller", leg.Caller().Number, "err", err)
			leg.Reject(481, "Call/Transaction Does Not Exist")
		}
	}()
}

// takeOver answers j.incoming and puts it in place of side j.side, whose
// leg is ended (RFC 3891: the replaced dialog gets BYE).
func (c *Call) takeOver(j *join) error {
	switch {
	case c.xfer != nil || c.keysBlockTransfer():
		return ErrTransferring
	case !c.parties[j.side].present() || !c.parties[1-j.side].present():
		return ErrCallEnded
	}
	if err := j.incoming.Answer(c.parties[1-j.side].leg.Formats()); err != nil {
		j.incoming.Hangup()
		return fmt.Errorf("pbx: answer the replacing call: %w", err)
	}
	c.stopAnnouncement()
	caller := j.incoming.Caller()
	j.moved = &party{leg: j.incoming, number: caller.Number, name: caller.DisplayName}
	return c.adopt(command{join: j})
}

// adopt takes a transferee into this call in place of side j.side (the
// transferor, whose leg is ended). The conversation so far is recorded
// with state Transferred.
func (c *Call) adopt(cmd command) error {
	j := cmd.join
	switch {
	case c.xfer != nil || c.keysBlockTransfer():
		return ErrTransferring
	case !c.parties[j.side].present() || !c.parties[1-j.side].present():
		return ErrCallEnded
	}
	c.stopAnnouncement()
	now := c.core.opts.Clock.Now()
	old := c.parties[j.side]
	seg := c.rec
	seg.State, seg.End = "Transferred", now
	seg.Cause = fmt.Sprintf("attended transfer: %s replaced %s", j.moved.number, old.number)
	c.fillStats(&seg, c.parties[callerSide].leg, c.parties[calleeSide].leg)
	c.core.record(seg, "")

	c.stopSound(j.side)
	c.parties[j.side] = *j.moved
	c.parties[1-j.side].apiHeld, c.parties[1-j.side].holding = false, false
	if j.side == callerSide {
		c.rec.Caller, c.rec.CallerName = j.moved.number, j.moved.name
	} else {
		c.rec.Callee = j.moved.number
	}
	c.rec.Start, c.rec.Answer = now, now
	c.publish()
	c.rewire()
	c.leaving.Add(1)
	go func() { defer c.leaving.Done(); old.leg.Hangup() }()
	return nil
}

// referReplaces starts the attended transfer a phone asked for with a
// REFER carrying Replaces: side i (the REFER's sender) is the transferor
// here, and the replaced dialog is its leg in the other call.
func (c *Call) referReplaces(i int, ev ua.Event) {
	if ev.ReplacesLeg == nil {
		ev.Refer.Finish(481, "Call/Transaction Does Not Exist")
		return
	}
	bID, bSide, ok := c.core.callOf(ev.ReplacesLeg.Endpoint())
	if !ok || bID == c.id {
		ev.Refer.Finish(481, "Call/Transaction Does Not Exist")
		return
	}
	// The join runs outside this goroutine: it asks this call too.
	c.core.wg.Add(1)
	go func() {
		defer c.core.wg.Done()
		if err := c.core.joinCalls(context.Background(), c.id, i, bID, bSide, ev.Refer); err != nil {
			c.core.log.Info("attended transfer refused", "call", c.id, "into", bID, "err", err)
		}
	}()
}

// callOf finds the live call and side whose leg has endpoint ep.
func (c *Core) callOf(ep *relay.Endpoint) (id string, side int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, s := range c.snapshots {
		switch ep {
		case s.callerEP:
			return id, callerSide, true
		case s.calleeEP:
			return id, calleeSide, true
		}
	}
	return "", 0, false
}
