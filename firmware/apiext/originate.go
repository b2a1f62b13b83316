package apiext

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Calls an API extension places (HTTP Call and Request, the OzML verbs):
// the extension's Leg is the calling party of an ordinary core call,
// handed to Core.Incoming as an origin. When the dialled number answers,
// the script runs on the answered call through the same media agent as
// for calls to the extension; its far party is then the callee.

// ErrNoExtension: the named API extension does not exist or is not of
// kind api (HTTP 401).
var ErrNoExtension = errors.New("apiext: no such API extension")

// ErrNotStarted: the core refused the call (shutting down).
var ErrNotStarted = errors.New("apiext: call not started")

// originOffer is what an extension offers the number it calls: its
// agent's codec and telephone events (the core adds the other G.711 law).
var originOffer = []sdp.Format{sdp.PCMU, sdp.TelephoneEvent}

// origin is a Leg as the calling party of the core's call.
type origin struct {
	*Leg
	ringing  chan struct{} // one token per 180, dropped when full
	answered chan struct{} // closed by Answer
	answerMu sync.Once
	failed   chan *pbx.ConnectError // Reject's, buffered
}

var _ pbx.CallerLeg = (*origin)(nil)

func (o *origin) Caller() ua.Party      { return o.from }
func (o *origin) Dialed() string        { return o.dialed }
func (o *origin) Offered() []sdp.Format { return o.media.formats }

// Ringing implements pbx.CallerLeg.
func (o *origin) Ringing() error {
	select {
	case o.ringing <- struct{}{}:
	default:
	}
	return nil
}

// Progress implements pbx.CallerLeg: early media reaches the agent.
func (o *origin) Progress([]sdp.Format) error { return nil }

// Answer implements pbx.CallerLeg: the callee answered.
func (o *origin) Answer([]sdp.Format) error {
	o.Leg.answered.Store(true)
	o.answerMu.Do(func() { close(o.answered) })
	return nil
}

// Reject implements pbx.CallerLeg: the callee could not be connected.
func (o *origin) Reject(code int, reason string) {
	select {
	case o.failed <- &pbx.ConnectError{Target: o.dialed, State: failState(code), Code: code, Reason: reason, Cause: fmt.Sprintf("%d %s", code, reason)}:
	default:
	}
	o.Leg.Hangup()
}

// failStates name the statuses the core rejects a caller with.
var failStates = map[int]string{
	404: "NotFound", 480: "NotAvailable", 486: "Busy", 487: "Cancelled", 603: "Rejected",
}

func failState(code int) string {
	if s, ok := failStates[code]; ok {
		return s
	}
	if code >= 500 {
		return "Error"
	}
	return "Rejected"
}

// placed is a call being placed: how to start it, and what to do on the
// answer.
type placed struct {
	ext      config.Extension
	dialed   string
	from     ua.Party
	ringTime time.Duration
	errorURL string
	finished string
}

// place makes the origin for p and starts its call.
func (o *Originator) place(p placed) (*origin, error) {
	media, err := newAgent(o.opts.Ports, originOffer, o.opts.Clock, o.opts.Now)
	if err != nil {
		return nil, err
	}
	media.bridge.SetCodec(relay.Codec{PT: sdp.PCMU.PT, Encoding: relay.PCMU, EventPT: sdp.TelephoneEvent.PT})
	l := newLeg(o, p.ext.Number, p.from, "", media)
	l.side, l.dialed = pbx.PartyCaller, p.dialed
	org := &origin{Leg: l, ringing: make(chan struct{}, 1), answered: make(chan struct{}), failed: make(chan *pbx.ConnectError, 1)}
	o.opts.Core.Incoming(org)
	if l.CallID() == "" {
		media.close()
		return nil, ErrNotStarted
	}
	l.log = l.log.With("call", l.callID, "api_extension", l.number, "dialed", p.dialed)
	return org, nil
}

// lookup finds an API extension.
func (o *Originator) lookup(number string) (config.Extension, error) {
	ext, ok := o.opts.Extension(strings.TrimSpace(number))
	if !ok || ext.Kind != config.KindAPI {
		return config.Extension{}, fmt.Errorf("%w: %q", ErrNoExtension, number)
	}
	return ext, nil
}

// Call places req: APIExtension calls Dialed; when answered, req.Script
// runs on the call, or the reply of a CallConnected notification to
// req.URL (default: the extension's own url or script). It returns the
// new call's ID once dialling has started; failures later reach
// req.ErrorURL as CallError, the end of the answered call req.FinishedURL
// as CallFinished.
func (o *Originator) Call(req ozml.CallRequest) (string, error) {
	ext, err := o.lookup(req.APIExtension)
	if err != nil {
		return "", err
	}
	p := placed{
		ext: ext, dialed: strings.TrimSpace(req.Dialed), from: callerOf(ext, req.CallerID, req.CallerDisplayName),
		ringTime: req.RingTime, errorURL: req.ErrorURL, finished: req.FinishedURL,
	}
	org, err := o.place(p)
	if err != nil {
		return "", err
	}
	target := req.URL
	if target == "" {
		target = ext.URL
		if target == "" {
			target = ext.Script
		}
	}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		org.runCall(p, req.Script, target)
	}()
	return org.callID, nil
}

// failure is the core's reason for the failure when it gave one, else
// state and cause.
func (o *origin) failure(state, cause string) *pbx.ConnectError {
	select {
	case ce := <-o.failed:
		return ce
	default:
	}
	return &pbx.ConnectError{Target: o.dialed, State: state, Code: 487, Reason: "Request Terminated", Cause: cause}
}

// callerOf is the party an extension's call shows: CallerId and
// CallerDisplayName, by default the extension's number and name.
func callerOf(ext config.Extension, id, name string) ua.Party {
	p := ua.Party{Number: strings.TrimSpace(id), DisplayName: name}
	if p.Number == "" {
		p.Number = ext.Number
	}
	if p.DisplayName == "" {
		p.DisplayName = ext.DisplayName
	}
	return p
}

// waitAnswer waits for the answer (nil), a failure, the ring time or ctx.
func (o *origin) waitAnswer(ctx context.Context, ringTime time.Duration, ringing func()) *pbx.ConnectError {
	var timeout <-chan time.Time
	if ringTime > 0 {
		t := o.o.opts.Clock.NewTicker(ringTime)
		defer t.Stop()
		timeout = t.C()
	}
	for {
		select {
		case <-o.answered:
			return nil
		case ce := <-o.failed:
			return ce
		case <-o.ringing:
			if ringing != nil {
				ringing()
			}
		case <-timeout:
			_ = o.hangup() // CANCEL to the callee
			return o.failure("NoAnswer", "no answer within RingTime")
		case <-ctx.Done():
			_ = o.hangup()
			return o.failure("Cancelled", "cancelled")
		case <-o.done:
			return o.failure("Error", "call ended before the answer")
		}
	}
}

// runCall is the goroutine of a Call: wait for the answer, run the
// script, notify.
func (o *origin) runCall(p placed, inline *ozml.Document, target string) {
	defer o.media.close()
	defer o.Leg.Hangup()
	if ce := o.waitAnswer(o.ctx, p.ringTime, nil); ce != nil {
		o.log.Info("API extension call failed", "state", ce.State, "cause", ce.Cause)
		o.notifyError(p, ce)
		return
	}
	answered := o.o.opts.Now()
	o.o.track(o.callID, o.Leg)
	defer o.o.untrack(o.callID, o.Leg)
	state := "CalleeHangUp"
	defer func() { o.notifyFinished(p, state, o.o.opts.Now().Sub(answered)) }()
	if err := o.o.opts.Core.Settled(o.ctx, o.callID); err != nil {
		return
	}
	doc := inline
	if doc == nil {
		if target == "" {
			o.log.Warn("API extension call answered with no OzML to run (no Url, no ResponseOzML, none configured)")
			_ = o.hangup()
			state = "CallerHangUp"
			return
		}
		var err error
		doc, err = o.o.opts.Interp.Load(o.ctx, target, string(notify.CallConnected), script{o.Leg}, nil)
		if err != nil {
			if o.ctx.Err() != nil {
				return
			}
			o.log.Warn("CallConnected gave no usable OzML; hanging up", "target", target, "err", err)
			_ = o.hangup()
			state = "CallerHangUp"
			return
		}
	}
	res := o.o.opts.Interp.Run(o.ctx, script{o.Leg}, doc, ozml.RunOptions{Answered: true})
	switch res.Outcome {
	case ozml.HungUp:
		state = "CallerHangUp"
	case ozml.LeftScript:
		state = "Transferred"
	}
	o.log.Info("API extension call's script ended", "outcome", res.Outcome, "reason", res.Reason, "err", res.Err)
}

func (o *origin) notifyError(p placed, ce *pbx.ConnectError) {
	if p.errorURL == "" || o.o.opts.Notify == nil {
		return
	}
	n := o.notification(notify.CallError, p.errorURL, ce.State)
	n.ErrorMessage = ce.Error()
	o.o.opts.Notify(n)
}

func (o *origin) notifyFinished(p placed, state string, talk time.Duration) {
	if p.finished == "" || o.o.opts.Notify == nil {
		return
	}
	n := o.notification(notify.CallFinished, p.finished, state)
	n.Duration = talk
	o.o.opts.Notify(n)
}

func (o *origin) notification(name notify.Name, url, state string) notify.Notification {
	return notify.Notification{
		Name: name, URL: url, CallID: o.callID, Caller: o.from.Number, CallerID: o.from.Number,
		CallerDisplayName: o.from.DisplayName, Callee: o.dialed, Dialed: o.dialed, APIExtension: o.number, CallState: state,
	}
}

// requestStates map a failed call's state to Request's words.
var requestStates = map[string]string{
	"Busy": ozml.StateBusy, "NotFound": ozml.StateNotFound, "NotAvailable": ozml.StateNotFound,
	"NotRegistered": ozml.StateNotFound, "Rejected": ozml.StateRejected,
}

// Request places a call from p.ExtensionAddress to p.DialedAddress (a
// number, or number@host, sip: optional) and reports its states on the
// channel: Setup, Ringing, InCall (with the answered call, which the
// receiver runs its block on and hangs up), then Completed when the
// call ends; or Busy, NotFound, Rejected or Error. ctx ending hangs the
// call up.
func (o *Originator) Request(ctx context.Context, p ozml.RequestParams) (<-chan ozml.RequestEvent, error) {
	ext, err := o.lookup(p.ExtensionAddress)
	if err != nil {
		return nil, err
	}
	org, err := o.place(placed{ext: ext, dialed: addressNumber(p.DialedAddress), from: callerOf(ext, p.CallerPhoneNumber, p.CallerDisplayName)})
	if err != nil {
		return nil, err
	}
	events := make(chan ozml.RequestEvent, 8)
	events <- ozml.RequestEvent{State: ozml.StateSetup}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer close(events)
		org.runRequest(ctx, p.RingTime, events)
	}()
	return events, nil
}

func (o *origin) runRequest(ctx context.Context, ringTime time.Duration, events chan<- ozml.RequestEvent) {
	defer o.media.close()
	defer o.Leg.Hangup()
	send := func(ev ozml.RequestEvent) {
		select {
		case events <- ev:
		case <-ctx.Done():
		}
	}
	rang := false
	ce := o.waitAnswer(ctx, ringTime, func() {
		if !rang {
			rang = true
			send(ozml.RequestEvent{State: ozml.StateRinging})
		}
	})
	if ce != nil {
		st, ok := requestStates[ce.State]
		if !ok {
			st = ozml.StateError
		}
		send(ozml.RequestEvent{State: st, Err: ce})
		return
	}
	o.o.track(o.callID, o.Leg)
	defer o.o.untrack(o.callID, o.Leg)
	if err := o.o.opts.Core.Settled(ctx, o.callID); err != nil {
		send(ozml.RequestEvent{State: ozml.StateError, Err: err})
		return
	}
	send(ozml.RequestEvent{State: ozml.StateInCall, Call: script{o.Leg}})
	select {
	case <-o.done:
	case <-ctx.Done():
		_ = o.hangup()
		return
	}
	send(ozml.RequestEvent{State: ozml.StateCompleted})
}

// addressNumber is the user part of a Request address: "102@localhost",
// "sip:102@host" and "102" are all 102.
func addressNumber(a string) string {
	a = strings.TrimSpace(a)
	a = strings.TrimPrefix(strings.TrimPrefix(a, "sip:"), "sips:")
	if i := strings.IndexByte(a, '@'); i >= 0 {
		a = a[:i]
	}
	return a
}
