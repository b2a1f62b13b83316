package pbx

import (
	"fmt"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// State of a call as the API and history name it.
type State string

// Call states.
const (
	StateSetup        State = "Setup"
	StateRinging      State = "Ringing"
	StateInCall       State = "InCall"
	StateHold         State = "Hold"         // a party hears music on hold
	StateTransferring State = "Transferring" // a transfer target rings
	StateCompleted    State = "Completed"
)

type cmdKind int

const (
	cmdHangup cmdKind = iota + 1
	cmdTransfer
	cmdHold
	cmdUnhold
	cmdForward
	cmdDetach // attended transfer: hand the transferee over and end
	cmdAdopt  // attended transfer: take the transferee in the transferor's place
	cmdDTMF
	cmdReplace // a new leg takes over a side (INVITE with Replaces)
)

type command struct {
	kind  cmdKind
	state string     // cmdHangup: final state to record
	party Party      // cmdHold, cmdUnhold
	xfer  Transfer   // cmdTransfer
	dest  string     // cmdForward: the destination; cmdDTMF: the keys
	join  *join      // cmdDetach, cmdAdopt, cmdReplace
	play  PlayFunc   // cmdDTMF: audio to send instead of keys (Announce)
	reply chan error // buffered; nil for cmdHangup
}

// answer replies to a command's sender, if it waits.
func (cmd command) answer(err error) {
	if cmd.reply != nil {
		cmd.reply <- err
	}
}

// side indexes a call's parties: the caller's side and the callee's.
const (
	callerSide = 0
	calleeSide = 1
)

// party is one side of a call: its current leg and what it hears.
type party struct {
	leg     Leg
	number  string
	name    string
	gone    bool  // the leg hung up while a transfer kept the call going
	apiHeld bool  // held by Hold (API, OzML)
	holding bool  // the party's own phone put the call on hold
	playing Sound // what the appliance plays to it
	stop    func()
}

func (p *party) events() <-chan ua.Event {
	if p.leg == nil || p.gone {
		return nil
	}
	return p.leg.Events()
}

func (p *party) present() bool { return p.leg != nil && !p.gone }

// Call is one conversation: a caller's side and a callee's side, each with
// its current leg. Transfers replace a side's leg; the ID stays. All
// fields are owned by run's goroutine.
type Call struct {
	core    *Core
	id      string
	a       CallerLeg // the leg that called; the caller side until a transfer
	parties [2]party
	xfer    *transfer
	dtmf    *dtmfSend
	state   State
	inbox   chan command
	done    chan struct{} // closed when run returns
	ending  chan struct{} // closed when the call starts ending
	rec     history.Record
	// mediaSince is when the media last changed shape (answer, unhold,
	// transfer): the media timer counts silence from there.
	mediaSince time.Time
	release    <-chan time.Time // a failed transfer's survivor is released then
	finished   string           // FinishedUrl of the last transfer
	leaving    sync.WaitGroup   // transferor legs being hung up
	icpt       *interception    // RoutingInterception (intercept.go); nil: none
}

// ID is the call's short unique ID.
func (c *Call) ID() string { return c.id }

// send queues a hangup without waiting (the inbox may be full of one).
func (c *Call) send(cmd command) {
	select {
	case c.inbox <- cmd:
	default: // a hangup is already queued
	}
}

// run is the call's owner goroutine.
func (c *Call) run() {
	defer c.core.remove(c)
	defer close(c.done)
	log := c.core.log.With("call", c.id, "caller", c.rec.Caller, "dialed", c.rec.Dialed)
	final, cause, answered := c.connect()
	if answered {
		final, cause = c.talk()
	}
	c.stopDTMF()
	c.stopSounds()
	close(c.ending) // transferors still waiting for their last NOTIFY go now
	c.leaving.Wait()
	c.end(final, cause)
	log.Info("call ended", "state", final, "cause", cause, "callee", c.rec.Callee,
		"duration", c.rec.End.Sub(c.rec.Start).Round(time.Millisecond).String())
}

// connect routes, rings and answers; it returns answered, or how the call
// ended before that.
func (c *Call) connect() (state, cause string, answered bool) {
	c.parties[callerSide] = party{leg: c.a, number: c.rec.Caller, name: c.rec.CallerName}
	b, err := c.routeIntercepted() // intercept.go; else routeFirst
	if err != nil {
		c.a.Reject(err.Code, err.Reason)
		return err.State, err.Cause, false
	}
	c.parties[calleeSide] = party{leg: b, number: c.rec.Callee, name: c.core.Directory().DisplayName(c.rec.Callee)}
	bindCall(b, c.id)
	clock := c.core.opts.Clock
	ringTimeout := c.ringTimer(b)
	noAnswer := false
	for {
		select {
		case ev := <-c.a.Events():
			switch ev.Kind {
			case ua.EventCancelled:
				b.Hangup()
				c.drain(b)
				return "Cancelled", "CANCEL", false
			case ua.EventHangup:
				b.Hangup()
				return "CallerHangUp", "BYE from caller", false
			}
		case ev := <-b.Events():
			switch ev.Kind {
			case ua.EventRinging:
				// A provisional answer reordered behind the 200 must not
				// take an answered call back to Ringing.
				c.setState(StateRinging)
				c.a.Ringing()
			case ua.EventEarlyMedia:
				// The callee plays ringback or an announcement: the caller
				// hears it through the relay before the answer.
				if err := c.a.Progress(b.Formats()); err == nil {
					relay.Bridge(c.a.Endpoint(), b.Endpoint())
				}
			case ua.EventAnswered:
				if err := c.a.Answer(b.Formats()); err != nil {
					b.Hangup()
					return "Error", err.Error(), false
				}
				now := clock.Now()
				c.rec.Answer, c.mediaSince = now, now
				c.rec.Callee = c.core.answeredAs(b, c.rec.Callee)
				c.parties[calleeSide].number = c.rec.Callee
				c.setState(StateInCall)
				c.rewire()
				return "", "", true
			case ua.EventFailed:
				st, code, reason := failure(ev, noAnswer)
				if nb, rej := c.rerouteFailed(st, ev.Code); nb != nil {
					b, noAnswer, ringTimeout = nb, false, c.ringTimer(nb)
					continue
				} else if rej != nil {
					st, code, reason = rej.State, rej.Code, rej.Reason
				}
				c.a.Reject(code, reason)
				return st, fmt.Sprintf("%d %s", ev.Code, ev.Reason), false
			case ua.EventHangup:
				c.a.Hangup()
				return "CalleeHangUp", "BYE from callee", false
			}
		case <-ringTimeout:
			noAnswer = true
			b.Hangup() // CANCEL; the 487 arrives as EventFailed
		case cmd := <-c.inbox:
			if cmd.kind == cmdForward {
				if nb := c.forward(b, cmd); nb != nil {
					b, noAnswer = nb, false
					ringTimeout = c.core.ringTimer(nb)
				}
				continue
			}
			if cmd.kind == cmdPickup {
				if st, cause, ok := c.pickUp(b, cmd); ok || st != "" {
					return st, cause, ok
				}
				continue
			}
			if cmd.kind != cmdHangup {
				cmd.answer(ErrNotAnswered)
				continue
			}
			b.Hangup()
			c.a.Reject(503, "Service Unavailable")
			c.drain(b)
			return cmd.state, "hung up by the appliance", false
		}
	}
}

// forward rings cmd.dest instead of the callee b for a call not answered
// yet: the new leg is made first, so a destination that cannot be rung
// leaves b ringing; then b is cancelled. It returns the new callee leg,
// nil when nothing changed.
func (c *Call) forward(b CalleeLeg, cmd command) CalleeLeg {
	nb, err := c.core.route(cmd.dest, c.a.Caller(), c.a.Offered())
	if err != nil {
		cmd.answer(err)
		return nil
	}
	c.core.log.Info("call forwarded", "call", c.id, "from", c.rec.Callee, "to", cmd.dest)
	bindCall(nb, c.id)
	relay.Unbridge(c.a.Endpoint()) // early media of the old callee
	b.Hangup()                     // CANCEL; its 487 is not read any more
	c.parties[calleeSide] = party{leg: nb, number: cmd.dest, name: c.core.Directory().DisplayName(cmd.dest)}
	c.rec.Callee = cmd.dest
	c.publish()
	cmd.answer(nil)
	return nb
}

// talk runs an answered call until it ends: hang-ups, holds, transfers,
// commands and the media timer.
func (c *Call) talk() (state, cause string) {
	mediaCheck := c.mediaTimer()
	for {
		var targetEvents <-chan ua.Event
		var targetTimer <-chan time.Time
		if x := c.xfer; x != nil {
			targetEvents, targetTimer = x.leg.Events(), x.timer
		}
		var dtmfDone <-chan error
		if c.dtmf != nil {
			dtmfDone = c.dtmf.done
		}
		select {
		case ev := <-c.parties[callerSide].events():
			if st, cause, over := c.onParty(callerSide, ev); over {
				return st, cause
			}
		case ev := <-c.parties[calleeSide].events():
			if st, cause, over := c.onParty(calleeSide, ev); over {
				return st, cause
			}
		case ev := <-targetEvents:
			c.onTarget(ev)
		case <-targetTimer:
			c.xfer.timer = nil
			c.xfer.noAnswer = true
			c.xfer.leg.Hangup() // CANCEL; the 487 arrives as EventFailed
		case err := <-dtmfDone:
			if cmd := c.endDTMF(err); cmd != nil {
				if st, cause, over := c.onCommand(*cmd); over {
					return st, cause
				}
			}
		case <-c.release:
			c.hangupAll()
			return "TransferFailed", "transfer target failed and the transferor had left"
		case <-mediaCheck:
			if c.mediaDead() {
				c.hangupAll()
				return "MediaTimeout", "no RTP"
			}
			mediaCheck = c.mediaTimer()
		case cmd := <-c.inbox:
			if st, cause, over := c.onCommand(cmd); over {
				return st, cause
			}
		}
	}
}

// hangupStates name who ended an answered call, by side.
var hangupStates = [2][2]string{
	{"CallerHangUp", "BYE from caller"},
	{"CalleeHangUp", "BYE from callee"},
}

// onParty handles an event of side i's leg; over reports the end of the call.
func (c *Call) onParty(i int, ev ua.Event) (state, cause string, over bool) {
	p := &c.parties[i]
	switch ev.Kind {
	case ua.EventHangup, ua.EventCancelled, ua.EventFailed:
		if x := c.xfer; x != nil && x.from == i {
			// The transferor leaves early; the transferee keeps waiting
			// for the target.
			p.gone = true
			x.fromStats = p.leg.Endpoint().Stats()
			c.stopSound(i)
			return "", "", false
		}
		c.abortTransfer()
		p.gone = true
		c.hangupAll()
		return hangupStates[i][0], hangupStates[i][1], true
	case ua.EventHold, ua.EventUnhold:
		p.holding = ev.Kind == ua.EventHold
		c.rewire()
		c.publish()
	case ua.EventDTMF:
		if ev.Signalled {
			c.relayKey(i, ev.Digit)
		}
	case ua.EventRefer:
		if ev.Refer == nil {
			return "", "", false
		}
		if ev.Replaces != "" {
			c.referReplaces(i, ev)
			return "", "", false
		}
		err := c.startTransfer(i, ev.Target, ev.Refer)
		if err != nil {
			c.core.log.Info("transfer refused", "call", c.id, "target", ev.Target, "err", err)
		}
	}
	return "", "", false
}

// onCommand runs a command sent by Core; over reports the end of the call.
func (c *Call) onCommand(cmd command) (state, cause string, over bool) {
	switch cmd.kind {
	case cmdHangup:
		c.abortTransfer()
		c.hangupAll()
		return cmd.state, "hung up by the appliance", true
	case cmdDetach:
		if c.awaitAnnouncement(cmd) {
			return "", "", false
		}
		if err := c.detach(cmd); err != nil {
			cmd.answer(err)
			return "", "", false
		}
		return "Transferred", "attended transfer into call " + cmd.join.target, true
	case cmdAdopt:
		cmd.answer(c.adopt(cmd))
	case cmdTransfer:
		c.finished = cmd.xfer.FinishedURL
		side := callerSide
		if cmd.xfer.Transferor == PartyCallee {
			side = calleeSide
		}
		if err := c.startTransfer(side, cmd.xfer.Target, nil); err != nil {
			cmd.answer(err)
			return "", "", false
		}
		c.xfer.reply = cmd.reply
	case cmdForward:
		cmd.answer(ErrAnswered)
	case cmdDTMF:
		c.startDTMF(cmd)
	case cmdReplace:
		cmd.answer(c.takeOver(cmd.join))
	case cmdPickup:
		cmd.answer(ErrAnswered)
	case cmdSync:
		cmd.answer(nil)
	case cmdHold, cmdUnhold:
		if c.xfer != nil {
			cmd.answer(ErrTransferring)
			return "", "", false
		}
		for i, bit := range [2]Party{PartyCaller, PartyCallee} {
			if cmd.party&bit != 0 {
				c.parties[i].apiHeld = cmd.kind == cmdHold
			}
		}
		c.rewire()
		c.publish()
		cmd.answer(nil)
	}
	return "", "", false
}

// held reports whether side i hears music on hold: held by a command, or
// put on hold by the other party's phone.
func (c *Call) held(i int) bool {
	o := &c.parties[1-i]
	return c.parties[i].apiHeld || (o.holding && o.present())
}

// rewire makes the media match the call's state: bridged when nobody is
// held and no transfer is ringing, else each party hears what it should.
// Only the owner goroutine changes bridges.
func (c *Call) rewire() {
	c.mediaSince = c.core.opts.Clock.Now()
	if c.dtmf != nil {
		c.stopSounds()
		for i := range c.parties {
			if c.parties[i].present() {
				relay.Unbridge(c.parties[i].leg.Endpoint())
			}
		}
		return
	}
	if x := c.xfer; x != nil {
		s := 1 - x.from
		c.stopSound(x.from)
		if c.parties[x.from].present() {
			relay.Unbridge(c.parties[x.from].leg.Endpoint())
		}
		if x.early {
			c.stopSound(s)
			relay.Bridge(c.parties[s].leg.Endpoint(), x.leg.Endpoint())
		} else {
			relay.Unbridge(c.parties[s].leg.Endpoint())
			c.play(s, x.sound)
		}
		return
	}
	if !c.held(callerSide) && !c.held(calleeSide) && c.parties[callerSide].present() && c.parties[calleeSide].present() {
		c.stopSounds()
		relay.Bridge(c.parties[callerSide].leg.Endpoint(), c.parties[calleeSide].leg.Endpoint())
		return
	}
	for i := range c.parties {
		if !c.parties[i].present() {
			continue
		}
		relay.Unbridge(c.parties[i].leg.Endpoint())
		switch {
		case c.held(i):
			c.play(i, SoundMusicOnHold)
		case c.release != nil: // a failed transfer's survivor, released soon
			c.play(i, SoundCongestion)
		default:
			c.stopSound(i)
		}
	}
}

// play makes side i hear s (the endpoint must not be bridged).
func (c *Call) play(i int, s Sound) {
	p := &c.parties[i]
	if p.playing == s {
		return
	}
	c.stopSound(i)
	if s == SoundNone || !p.present() || c.core.opts.Player == nil {
		return
	}
	p.stop = c.core.opts.Player.Play(p.leg.Endpoint(), audioFormat(p.leg.Formats()), s)
	p.playing = s
}

func (c *Call) stopSound(i int) {
	p := &c.parties[i]
	if p.stop != nil {
		p.stop()
	}
	p.stop, p.playing = nil, SoundNone
}

func (c *Call) stopSounds() {
	for i := range c.parties {
		c.stopSound(i)
	}
}

// hangupAll ends every leg still up.
func (c *Call) hangupAll() {
	c.stopSounds()
	for i := range c.parties {
		if p := &c.parties[i]; p.present() {
			p.leg.Hangup()
		}
	}
}

// publish republishes the snapshot with the state the parties give.
func (c *Call) publish() {
	switch {
	case c.state == StateSetup || c.state == StateRinging:
		c.setState(c.state)
	case c.xfer != nil:
		c.setState(StateTransferring)
	case c.held(callerSide) || c.held(calleeSide):
		c.setState(StateHold)
	default:
		c.setState(StateInCall)
	}
}

// failure maps a callee's final answer to the caller's answer and a state.
func failure(ev ua.Event, noAnswer bool) (state string, code int, reason string) {
	switch {
	case noAnswer:
		return "NoAnswer", 480, "Temporarily Unavailable"
	case ev.Code == 486 || ev.Code == 600:
		return "Busy", 486, "Busy Here"
	case ev.Code == 603:
		return "Rejected", 603, "Decline"
	case ev.Code == 404 || ev.Code == 604:
		return "NotFound", 404, "Not Found"
	case ev.Code == 408 || ev.Code == 480:
		return "NoAnswer", 480, "Temporarily Unavailable"
	case ev.Code == 487:
		return "Cancelled", 487, "Request Terminated"
	case ev.Code >= 500 && ev.Code < 600:
		// The far end failed rather than refused (500, 502, 503, ...):
		// history and OzML's OnError see an error.
		return "Error", ev.Code, ev.Reason
	case ev.Code >= 400 && ev.Code < 700:
		return "Rejected", ev.Code, ev.Reason
	}
	return "Error", 500, "Server Internal Error"
}

// drain waits for a leg to finish after a CANCEL.
func (c *Call) drain(l Leg) {
	select {
	case <-l.Done():
	case <-c.core.opts.Clock.After(32 * time.Second):
	}
}

func (c *Call) mediaTimer() <-chan time.Time {
	if c.core.opts.MediaTimeout <= 0 {
		return nil
	}
	return c.core.opts.Clock.After(c.core.opts.MediaTimeout / 4)
}

// mediaDead reports whether a party of a plain bridged call has sent no
// RTP for the timeout. Holds and transfers pause the check: a holding
// phone may send nothing at all.
func (c *Call) mediaDead() bool {
	if c.xfer != nil || c.dtmf != nil || c.release != nil || c.held(callerSide) || c.held(calleeSide) {
		return false
	}
	now := c.core.opts.Clock.Now()
	limit := c.core.opts.MediaTimeout
	for i := range c.parties {
		p := &c.parties[i]
		if !p.present() {
			continue
		}
		last := p.leg.Endpoint().LastReceived()
		if last.IsZero() || last.Before(c.mediaSince) {
			last = c.mediaSince
		}
		if now.Sub(last) > limit {
			return true
		}
	}
	return false
}

// end records the call durably before the goroutine exits.
func (c *Call) end(state, cause string) {
	c.state = StateCompleted
	c.rec.State = state
	c.rec.Cause = cause
	c.rec.End = c.core.opts.Clock.Now()
	c.fillStats(&c.rec, c.parties[callerSide].leg, c.parties[calleeSide].leg)
	c.core.record(c.rec, c.finished)
}

// fillStats copies the RTP counters of the caller's and callee's legs.
func (c *Call) fillStats(r *history.Record, caller, callee Leg) {
	if caller != nil {
		s := caller.Endpoint().Stats()
		r.RTPFromCaller, r.RTPToCaller = s.RxPackets, s.TxPackets
	}
	if callee != nil {
		s := callee.Endpoint().Stats()
		r.RTPFromCallee, r.RTPToCallee = s.RxPackets, s.TxPackets
	}
}
