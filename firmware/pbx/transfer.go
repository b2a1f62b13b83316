package pbx

import (
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// congestionTime is how long a transferee whose transfer failed after the
// transferor left hears the congestion tone before it is released.
const congestionTime = 4 * time.Second

// transfer is a blind transfer in progress: the target's leg rings while
// the transferee (the other side) waits.
type transfer struct {
	from     int // the transferor's side
	target   string
	leg      CalleeLeg
	report   ua.TransferReport // the REFER's NOTIFYs; nil for Core.BlindTransfer
	reply    chan error        // Core.BlindTransfer's waiter; nil for REFER
	timer    <-chan time.Time
	start    time.Time
	noAnswer bool
	early    bool  // the target's early media is bridged to the transferee
	sound    Sound // what the transferee hears meanwhile
	// fromStats are the transferor's RTP counters when it left early.
	fromStats relay.Stats
}

// startTransfer begins a blind transfer of side from's party to target:
// the target is rung on behalf of the other party (the transferee), who
// hears ringback meanwhile. The transferor leaves when the target answers;
// if the target fails, the call goes back to how it was. An announcement
// playing is stopped; a SendDTMF sending keys refuses the transfer.
func (c *Call) startTransfer(from int, target string, report ua.TransferReport) error {
	fail := func(err error, code int, reason string) error {
		if report != nil {
			report.Finish(code, reason)
		}
		return err
	}
	switch {
	case c.xfer != nil || c.keysBlockTransfer():
		return fail(ErrTransferring, 491, "Request Pending")
	case c.state != StateInCall && c.state != StateHold:
		return fail(ErrNotAnswered, 603, "Declined")
	}
	s := &c.parties[1-from]
	leg, err := c.core.route(target, ua.Party{Number: s.number, DisplayName: s.name}, s.leg.Formats())
	if err != nil {
		return fail(err, err.Code, err.Reason)
	}
	bindCall(leg, c.id)
	c.stopAnnouncement()
	clock := c.core.opts.Clock
	c.xfer = &transfer{
		from: from, target: target, leg: leg, report: report, sound: SoundRingback,
		timer: c.core.ringTimer(leg), start: clock.Now(), // a forwarding target's hops ring their own time
	}
	c.core.log.Info("blind transfer", "call", c.id, "transferor", c.parties[from].number, "transferee", s.number, "target", target)
	c.publish()
	c.rewire()
	return nil
}

// onTarget handles an event of the transfer target's leg.
func (c *Call) onTarget(ev ua.Event) {
	x := c.xfer
	switch ev.Kind {
	case ua.EventRinging:
		if x.report != nil {
			reason := "Ringing"
			if ev.Code == 183 {
				reason = "Session Progress"
			}
			x.report.Progress(ev.Code, reason)
		}
	case ua.EventEarlyMedia:
		x.early = true
		c.rewire()
	case ua.EventAnswered:
		c.completeTransfer()
	case ua.EventRefer:
		if ev.Refer != nil { // the target cannot transfer before it is in the call
			ev.Refer.Finish(491, "Request Pending")
		}
	case ua.EventFailed, ua.EventHangup:
		st, code, reason := failure(ev, x.noAnswer)
		c.failTransfer(&ConnectError{Target: x.target, State: st, Code: code, Reason: reason,
			Cause: fmt.Sprintf("%d %s", ev.Code, ev.Reason)})
	}
}

// completeTransfer bridges the transferee to the answered target, which
// takes the transferor's side; the transferor's leg is ended (after the
// REFER's final NOTIFY). The conversation so far is recorded as its own
// history record with state Transferred; the call ID stays.
func (c *Call) completeTransfer() {
	x := c.xfer
	c.xfer = nil
	now := c.core.opts.Clock.Now()
	old := c.parties[x.from]

	seg := c.rec
	seg.State, seg.End = "Transferred", now
	seg.Cause = fmt.Sprintf("blind transfer to %s by %s", x.target, old.number)
	callerLeg, calleeLeg := c.parties[callerSide].leg, c.parties[calleeSide].leg
	c.fillStats(&seg, callerLeg, calleeLeg)
	if old.gone {
		if x.from == callerSide {
			seg.RTPFromCaller, seg.RTPToCaller = x.fromStats.RxPackets, x.fromStats.TxPackets
		} else {
			seg.RTPFromCallee, seg.RTPToCallee = x.fromStats.RxPackets, x.fromStats.TxPackets
		}
	}
	c.core.record(seg, "")

	c.stopSound(x.from)
	answered := c.core.answeredAs(x.leg, x.target) // a forwarding target: who answered
	c.parties[x.from] = party{leg: x.leg, number: answered, name: c.core.Directory().DisplayName(answered)}
	c.parties[1-x.from].apiHeld, c.parties[1-x.from].holding = false, false
	if x.from == callerSide {
		c.rec.Caller, c.rec.CallerName = answered, c.parties[x.from].name
	} else {
		c.rec.Callee = answered
	}
	c.rec.Dialed, c.rec.Start, c.rec.Answer = x.target, x.start, now
	c.publish()
	c.rewire()
	if x.report != nil {
		x.report.Finish(200, "OK")
	}
	if !old.gone {
		c.leaving.Add(1)
		go func() {
			defer c.leaving.Done()
			if x.report != nil {
				select { // the transferor hears the outcome first
				case <-x.report.Done():
				case <-c.ending:
				}
			}
			old.leg.Hangup()
		}()
	}
	if x.reply != nil {
		x.reply <- nil
	}
}

// failTransfer takes the transferee back to the transferor, or, when the
// transferor has left, plays congestion and releases it.
func (c *Call) failTransfer(err *ConnectError) {
	x := c.xfer
	c.xfer = nil
	c.core.log.Info("transfer failed", "call", c.id, "target", x.target, "state", err.State)
	if x.report != nil {
		x.report.Finish(err.Code, err.Reason)
	}
	if c.parties[x.from].gone {
		s := 1 - x.from
		relay.Unbridge(c.parties[s].leg.Endpoint())
		c.play(s, SoundCongestion)
		c.release = c.core.opts.Clock.After(congestionTime)
	} else {
		c.publish()
		c.rewire()
	}
	if x.reply != nil {
		x.reply <- err
	}
}

// abortTransfer gives up a transfer because the call ends.
func (c *Call) abortTransfer() {
	x := c.xfer
	if x == nil {
		return
	}
	c.xfer = nil
	x.leg.Hangup()
	if x.report != nil {
		x.report.Finish(487, "Request Terminated")
	}
	if x.reply != nil {
		x.reply <- ErrCallEnded
	}
}
