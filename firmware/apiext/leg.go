package apiext

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/api/ozml/fetch"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Leg is the callee side of a call to an API extension: a pbx.CalleeLeg
// for the core and the ozml.Call its script drives.
type Leg struct {
	o      *Originator
	log    *slog.Logger
	number string   // the API extension
	from   ua.Party // the calling party (for a call the extension places: the extension as shown)
	// side is the extension's side of the call: PartyCallee when called,
	// PartyCaller when it placed the call (to dialed).
	side   pbx.Party
	dialed string
	target string // the application's URL or the script's name
	media  *agent
	events chan ua.Event // unbuffered: a sent event has been taken

	ctx      context.Context // ends when the leg is hung up
	cancel   context.CancelFunc
	done     chan struct{}
	hangOnce sync.Once

	bound    chan struct{}
	bindOnce sync.Once
	callID   string // set before bound is closed

	answered atomic.Bool
	final    atomic.Bool // a final event (failed, hangup) was sent
}

var (
	_ pbx.CalleeLeg  = (*Leg)(nil)
	_ pbx.CallBinder = (*Leg)(nil)
	_ ozml.Call      = script{}
)

// script is the leg as its script sees it: ozml.Call's Hangup (the
// script ends the call) differs from pbx.Leg's (the core ends the leg).
type script struct{ *Leg }

// Hangup implements ozml.Call. Once the core has taken the hang-up the
// leg is over (the core does not hang up the side that left).
func (s script) Hangup(context.Context) error {
	err := s.hangup()
	if err == nil {
		s.Leg.Hangup()
	}
	return err
}

func newLeg(o *Originator, number string, from ua.Party, target string, media *agent) *Leg {
	ctx, cancel := context.WithCancel(context.Background())
	return &Leg{
		o: o, log: o.log, number: number, from: from, target: target, media: media, side: pbx.PartyCallee, dialed: number,
		events: make(chan ua.Event), ctx: ctx, cancel: cancel, done: make(chan struct{}), bound: make(chan struct{}),
	}
}

// Events implements pbx.Leg.
func (l *Leg) Events() <-chan ua.Event { return l.events }

// Endpoint implements pbx.Leg: the endpoint the core bridges to the caller.
func (l *Leg) Endpoint() *relay.Endpoint { return l.media.bridge }

// Formats implements pbx.Leg.
func (l *Leg) Formats() []sdp.Format { return l.media.formats }

// Hangup implements pbx.Leg: the core ends the leg (the caller left, a
// transfer completed, shutdown). The script stops.
func (l *Leg) Hangup() {
	l.hangOnce.Do(func() {
		l.cancel()
		close(l.done)
	})
}

// Done implements pbx.Leg.
func (l *Leg) Done() <-chan struct{} { return l.done }

// BindCall implements pbx.CallBinder.
func (l *Leg) BindCall(callID string) {
	l.bindOnce.Do(func() {
		l.callID = callID
		close(l.bound)
	})
}

// CallID is the ID of the leg's call ("" until the core bound it).
func (l *Leg) CallID() string {
	select {
	case <-l.bound:
		return l.callID
	default:
		return ""
	}
}

// emit hands ev to the core's call goroutine.
func (l *Leg) emit(ev ua.Event) error {
	if l.final.Load() {
		return fmt.Errorf("apiext: leg already ended: %w", ozml.ErrCallEnded)
	}
	select {
	case l.events <- ev:
		if ev.Kind == ua.EventFailed || ev.Kind == ua.EventHangup {
			l.final.Store(true)
		}
		return nil
	case <-l.done:
		return fmt.Errorf("apiext: %w", ozml.ErrCallEnded)
	}
}

// Failure statuses for a call whose first document cannot be had.
const (
	statusUnreachable = 503 // application down, timed out, script missing
	statusBadReply    = 502 // non-2xx from the application
	statusBadDocument = 500 // not OzML
	statusNoScript    = 480 // empty reply: nothing to do with the call
)

// firstFailure maps why the first document failed to a SIP status.
func firstFailure(err error) (int, string) {
	var se *fetch.StatusError
	var pe *ozml.ParseError
	switch {
	case errors.Is(err, ozml.ErrEmpty):
		return statusNoScript, "Temporarily Unavailable"
	case errors.As(err, &se):
		return statusBadReply, "Bad Gateway"
	case errors.As(err, &pe), errors.Is(err, ozml.ErrLimit), errors.Is(err, fetch.ErrTooLarge):
		return statusBadDocument, "Server Internal Error"
	}
	return statusUnreachable, "Service Unavailable"
}

// run is the leg's script goroutine: ring, fetch the first document, run
// it, free the media.
func (l *Leg) run() {
	defer l.media.close()
	defer l.Hangup()
	defer func() {
		// A bug must end this call only.
		if p := recover(); p != nil {
			l.log.Error("apiext: script goroutine panicked", "call", l.callID, "err", p, "stack", string(debug.Stack()))
			if l.answered.Load() {
				_ = l.emit(ua.Event{Kind: ua.EventHangup, Reason: "script failed"})
			} else {
				_ = l.emit(ua.Event{Kind: ua.EventFailed, Code: 500, Reason: "Server Internal Error"})
			}
		}
	}()
	select {
	case <-l.bound:
	case <-l.done:
		return
	}
	l.o.track(l.callID, l)
	defer l.o.untrack(l.callID, l)
	l.log = l.log.With("call", l.callID, "api_extension", l.number)
	if err := l.emit(ua.Event{Kind: ua.EventRinging, Code: 180, Reason: "Ringing"}); err != nil {
		return
	}
	doc, err := l.o.opts.Interp.Load(l.ctx, l.target, "IncomingCall", script{l}, nil)
	if err != nil {
		if l.ctx.Err() != nil {
			return // the caller gave up first
		}
		code, reason := firstFailure(err)
		l.log.Warn("API extension call refused: no usable OzML", "target", l.target, "status", code, "err", err)
		_ = l.emit(ua.Event{Kind: ua.EventFailed, Code: code, Reason: reason})
		return
	}
	res := l.o.opts.Interp.Run(l.ctx, script{l}, doc, ozml.RunOptions{})
	l.log.Info("API extension script ended", "outcome", res.Outcome, "reason", res.Reason, "err", res.Err)
}

// ended maps the core's "no such call" errors to the interpreter's.
func ended(err error) error {
	if errors.Is(err, pbx.ErrNoCall) || errors.Is(err, pbx.ErrCallEnded) {
		return fmt.Errorf("%w: %w", ozml.ErrCallEnded, err)
	}
	return err
}

// Answer implements ozml.Call: the core answers the caller, then the
// leg waits until the call's goroutine has bridged the media.
func (l *Leg) Answer(ctx context.Context) error {
	if err := l.emit(ua.Event{Kind: ua.EventAnswered}); err != nil {
		return err
	}
	l.answered.Store(true)
	return ended(l.o.opts.Core.Settled(ctx, l.callID))
}

// Reject implements ozml.Call.
func (l *Leg) Reject(_ context.Context, code int) error {
	reason := "Decline"
	if code == 486 {
		reason = "Busy Here"
	}
	return l.emit(ua.Event{Kind: ua.EventFailed, Code: code, Reason: reason})
}

// hangup ends the call for the script: a BYE to the far party once
// answered, else 480 (a call the extension places: cancelled).
func (l *Leg) hangup() error {
	if l.answered.Load() {
		return l.emit(ua.Event{Kind: ua.EventHangup, Reason: "hung up by the script"})
	}
	if l.side == pbx.PartyCaller {
		return l.emit(ua.Event{Kind: ua.EventCancelled, Reason: "cancelled"})
	}
	return l.emit(ua.Event{Kind: ua.EventFailed, Code: 480, Reason: "Temporarily Unavailable"})
}

// Speak implements ozml.Call.
func (l *Leg) Speak(ctx context.Context, text, language, voice string) error {
	src, err := l.o.opts.Audio.Speak(ctx, text, language, voice)
	if err != nil {
		return err
	}
	return l.media.play(ctx, src)
}

// Play implements ozml.Call.
func (l *Leg) Play(ctx context.Context, audio string, repeat bool, timeout time.Duration) error {
	open := func() (player.Source, error) { return l.o.opts.Audio.Open(ctx, audio) }
	var src player.Source
	if repeat {
		src = player.Loop(open)
	} else {
		var err error
		if src, err = open(); err != nil {
			return err
		}
	}
	if timeout > 0 {
		src = player.Timeout(src, timeout)
	}
	return l.media.play(ctx, src)
}

// Beep implements ozml.Call.
func (l *Leg) Beep(ctx context.Context) error {
	src, err := l.o.opts.Audio.Tone("", tone.Beep)
	if err != nil {
		return err
	}
	return l.media.play(ctx, src)
}

// Digits implements ozml.Call.
func (l *Leg) Digits() <-chan byte { return l.media.keys.Digits() }

// BlindTransfer implements ozml.Call: the API extension is the transferor.
func (l *Leg) BlindTransfer(ctx context.Context, target string) error {
	return ended(l.o.opts.Core.BlindTransfer(ctx, pbx.Transfer{CallID: l.callID, Transferor: l.side, Target: target}))
}

// AttendedTransfer implements ozml.Call. In its own call the API
// extension is the transferor: its far party joins the target call in
// place of the extension (a call the script placed with Call); in
// another call the transferor is the party both calls share.
func (l *Leg) AttendedTransfer(ctx context.Context, transferredCallID, targetCallID string) error {
	a := pbx.Attended{TransferredCallID: transferredCallID, TargetCallID: targetCallID}
	if a.TransferredCallID == "" || a.TransferredCallID == l.callID {
		a.TransferredCallID, a.Transferor = l.callID, l.side
	}
	// The join hangs this leg up, which cancels ctx (the script's) while
	// the core is still moving the far party: it runs on a context of
	// its own, so that the far party is never left between the calls.
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), joinTimeout)
	defer cancel()
	return ended(l.o.opts.Core.AttendedTransfer(jctx, a))
}

// joinTimeout bounds an attended transfer the script asked for.
const joinTimeout = 10 * time.Second

// ForwardCall implements ozml.Call.
func (l *Leg) ForwardCall(ctx context.Context, destination string) error {
	return ended(l.o.opts.Core.Forward(ctx, l.callID, destination))
}

// Far is the side of the call opposite the API extension: the party its
// script talks to.
func (l *Leg) Far() pbx.Party { return pbx.PartyBoth &^ l.side }

// Hold implements ozml.Call: the far party hears music on hold.
func (l *Leg) Hold(ctx context.Context) error {
	return ended(l.o.opts.Core.Hold(ctx, l.callID, l.Far()))
}

// Unhold implements ozml.Call.
func (l *Leg) Unhold(ctx context.Context) error {
	return ended(l.o.opts.Core.Unhold(ctx, l.callID, l.Far()))
}

// SendDTMF implements ozml.Call: keys to the far party.
func (l *Leg) SendDTMF(ctx context.Context, keys string) error {
	return ended(l.o.opts.Core.SendDTMF(ctx, l.callID, keys, l.Far()))
}

// Info implements ozml.Call.
func (l *Leg) Info() map[string]string {
	state := "Ringing"
	if l.answered.Load() {
		state = "InCall"
	}
	return map[string]string{
		"CallId": l.CallID(), "Caller": l.from.Number, "CallerId": l.from.Number,
		"CallerDisplayName": l.from.DisplayName, "Callee": l.dialed, "Dialed": l.dialed,
		"ApiExtension": l.number, "CallState": state,
	}
}

// AddTap adds a consumer of the caller's audio as it reaches the leg
// (a recording made through the HTTP API); remove takes it away.
func (l *Leg) AddTap(fn stream.TapFunc) (remove func()) { return l.media.taps.Add(fn) }
