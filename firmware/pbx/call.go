package pbx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// State of a call as the API and history name it.
type State string

// Call states.
const (
	StateSetup     State = "Setup"
	StateRinging   State = "Ringing"
	StateInCall    State = "InCall"
	StateCompleted State = "Completed"
)

type cmdKind int

const cmdHangup cmdKind = iota + 1

type command struct {
	kind  cmdKind
	state string // final state to record
}

// Call joins a caller's leg (a) with a callee's leg (b). Its fields are
// owned by run's goroutine.
type Call struct {
	core  *Core
	id    string
	a     CallerLeg
	b     CalleeLeg
	state State
	inbox chan command
	rec   history.Record
}

// ID is the call's short unique ID.
func (c *Call) ID() string { return c.id }

func (c *Call) send(cmd command) {
	select {
	case c.inbox <- cmd:
	default: // a hangup is already queued
	}
}

// run is the call's owner goroutine.
func (c *Call) run() {
	defer c.core.remove(c)
	log := c.core.log.With("call", c.id, "caller", c.rec.Caller, "dialed", c.rec.Dialed)
	final, cause := c.connect()
	c.end(final, cause)
	log.Info("call ended", "state", final, "cause", cause,
		"duration", c.rec.End.Sub(c.rec.Start).Round(time.Millisecond).String())
}

// connect routes, rings, answers and bridges; it returns when the call is over.
func (c *Call) connect() (state, cause string) {
	ext, ok := c.core.Directory().Lookup(c.rec.Dialed)
	if !ok {
		c.a.Reject(404, "Not Found")
		return "NotFound", "404 Not Found"
	}
	if ext.Kind != "sip" {
		// Analog ports and API extensions come with their own issues.
		c.a.Reject(480, "Temporarily Unavailable")
		return "NotAvailable", fmt.Sprintf("extension kind %s not connected", ext.Kind)
	}
	orig, _ := c.core.sip.Load().(Originator)
	if orig == nil {
		c.a.Reject(503, "Service Unavailable")
		return "Error", "no SIP originator"
	}
	b, err := orig.Originate(context.Background(), ext.Number, c.a.Caller(), c.a.Offered())
	if errors.Is(err, ua.ErrNotRegistered) {
		c.a.Reject(480, "Temporarily Unavailable")
		return "NotRegistered", "480 Temporarily Unavailable"
	}
	if err != nil {
		c.a.Reject(503, "Service Unavailable")
		return "Error", err.Error()
	}
	c.b = b
	clock := c.core.opts.Clock
	ringTimeout := clock.After(c.core.opts.RingTimeout)
	var mediaCheck <-chan time.Time
	noAnswer := false
	for {
		select {
		case ev := <-c.a.Events():
			switch ev.Kind {
			case ua.EventCancelled:
				b.Hangup()
				c.drainB()
				return "Cancelled", "CANCEL"
			case ua.EventHangup:
				b.Hangup()
				return "CallerHangUp", "BYE from caller"
			}
		case ev := <-b.Events():
			switch ev.Kind {
			case ua.EventRinging:
				// A provisional answer reordered behind the 200 must not
				// take an answered call back to Ringing.
				if c.state != StateInCall {
					c.setState(StateRinging)
					c.a.Ringing()
				}
			case ua.EventEarlyMedia:
				// The callee plays ringback or an announcement: the caller
				// hears it through the relay before the answer.
				if err := c.a.Progress(b.Formats()); err == nil {
					relay.Bridge(c.a.Endpoint(), b.Endpoint())
				}
			case ua.EventAnswered:
				if err := c.a.Answer(b.Formats()); err != nil {
					b.Hangup()
					return "Error", err.Error()
				}
				relay.Bridge(c.a.Endpoint(), b.Endpoint())
				c.rec.Answer = clock.Now()
				c.setState(StateInCall)
				mediaCheck = c.mediaTimer()
			case ua.EventFailed:
				st, code, reason := failure(ev, noAnswer)
				c.a.Reject(code, reason)
				return st, fmt.Sprintf("%d %s", ev.Code, ev.Reason)
			case ua.EventHangup:
				c.a.Hangup()
				return "CalleeHangUp", "BYE from callee"
			}
		case <-ringTimeout:
			if c.state != StateInCall {
				noAnswer = true
				b.Hangup() // CANCEL; the 487 arrives as EventFailed
			}
		case <-mediaCheck:
			if c.mediaDead() {
				c.a.Hangup()
				b.Hangup()
				return "MediaTimeout", "no RTP"
			}
			mediaCheck = c.mediaTimer()
		case cmd := <-c.inbox:
			if cmd.kind == cmdHangup {
				if c.state == StateInCall {
					c.a.Hangup()
					b.Hangup()
				} else {
					b.Hangup()
					c.a.Reject(503, "Service Unavailable")
					c.drainB()
				}
				return cmd.state, "hung up by the appliance"
			}
		}
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
	case ev.Code >= 400 && ev.Code < 700:
		return "Rejected", ev.Code, ev.Reason
	}
	return "Error", 500, "Server Internal Error"
}

// drainB waits for the callee leg to finish after a CANCEL.
func (c *Call) drainB() {
	select {
	case <-c.b.Done():
	case <-c.core.opts.Clock.After(32 * time.Second):
	}
}

func (c *Call) mediaTimer() <-chan time.Time {
	if c.core.opts.MediaTimeout <= 0 {
		return nil
	}
	return c.core.opts.Clock.After(c.core.opts.MediaTimeout / 4)
}

// mediaDead reports whether either leg has sent no RTP for the timeout.
func (c *Call) mediaDead() bool {
	now := c.core.opts.Clock.Now()
	limit := c.core.opts.MediaTimeout
	for _, ep := range []*relay.Endpoint{c.a.Endpoint(), c.b.Endpoint()} {
		last := ep.LastReceived()
		if last.IsZero() || last.Before(c.rec.Answer) {
			last = c.rec.Answer
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
	a := c.a.Endpoint().Stats()
	c.rec.RTPFromCaller, c.rec.RTPToCaller = a.RxPackets, a.TxPackets
	if c.b != nil {
		b := c.b.Endpoint().Stats()
		c.rec.RTPFromCallee, c.rec.RTPToCallee = b.RxPackets, b.TxPackets
	}
	if c.core.opts.History != nil {
		if err := c.core.opts.History.Append(c.rec); err != nil {
			c.core.log.Error("call history not written", "call", c.id, "err", err)
		}
	}
}
