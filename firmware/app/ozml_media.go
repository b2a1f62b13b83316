package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/apiext"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/record"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// The HTTP API's Play, Speak and Record on calls in progress
// (api.CallMedia). Play and Speak go through the core's Announce: the
// named party hears the audio while the two parties do not hear each
// other, then the call is as it was. On a call to an API extension the
// audio always goes to the caller, the extension's remote party. Record
// records both parties mixed (an API extension's call: its caller) from
// the legs' audio taps and posts RecordCompleted to FinishedUrl.

// apiCallsMedia is apiCalls with media.
type apiCallsMedia struct {
	apiCalls
	a *App
}

// maxRepeat bounds a Play with Repeat and no Timeout.
const maxRepeat = time.Hour

// answered checks that the call exists and is answered.
func (m apiCallsMedia) answered(id string) (pbx.CallSnapshot, error) {
	for _, s := range m.core.Calls() {
		if s.ID != id {
			continue
		}
		if s.State == pbx.StateSetup || s.State == pbx.StateRinging {
			return s, fmt.Errorf("%w: call %s not answered", api.ErrCallState, id)
		}
		return s, nil
	}
	return pbx.CallSnapshot{}, fmt.Errorf("%w: %s", api.ErrCallNotFound, id)
}

// party maps the API's party to the core's; an API extension's call
// plays to the extension's far party.
func (m apiCallsMedia) party(id string, p api.Party) pbx.Party {
	if m.a.scripts != nil {
		if l, ok := m.a.scripts.ext.Leg(id); ok {
			return l.Far()
		}
	}
	return apiParties[p]
}

// announce plays src to party in the background, after the call's
// earlier announcements; src is closed. stopAnnouncements ends it, and
// so does a transfer of the call (the core's ErrAnnouncementStopped).
func (m apiCallsMedia) announce(id string, party pbx.Party, src player.Source) {
	go m.a.scripts.queue.run(id, func(stopped context.Context) {
		defer src.Close()
		if stopped.Err() != nil {
			return
		}
		err := m.core.Announce(context.Background(), id, party, func(ctx context.Context, w pbx.PacketWriter, f sdp.Format) error {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			defer context.AfterFunc(stopped, cancel)()
			p, err := stream.NewPacer(w, stream.PacerConfig{PayloadType: f.PT, Clock: m.a.scripts.clock})
			if err != nil {
				return err
			}
			return p.Play(ctx, src)
		})
		switch {
		case errors.Is(err, pbx.ErrAnnouncementStopped):
			// The call is being transferred: the prompts queued behind
			// this one are dropped too, as BlindTransfer does.
			m.a.scripts.queue.dropWaiting(id)
		case err != nil && !errors.Is(err, pbx.ErrCallEnded) && stopped.Err() == nil:
			m.a.log.Warn("Play/Speak on call failed", "call", id, "err", err)
		}
	})
}

// stopAnnouncements ends the HTTP API's Play or Speak playing on call id
// and drops the ones waiting their turn, returning once the call is as
// it was before them (BlindTransfer during a prompt, as a PBX stops its
// playback when a call is transferred).
func (m apiCallsMedia) stopAnnouncements(id string) {
	if m.a.scripts != nil {
		m.a.scripts.queue.stop(id)
	}
}

// callQueues runs functions one at a time per call ID.
type callQueues struct {
	mu    sync.Mutex
	calls map[string]*callQueue
}

type callQueue struct {
	mu    sync.Mutex // held while one runs
	users int        // runs waiting or running; guarded by callQueues.mu
	// stops counts stop calls; a run given before one is dropped. cancel
	// stops the running one. Both guarded by callQueues.mu.
	stops  int
	cancel context.CancelFunc
}

// run calls fn after the functions given earlier for id have returned;
// fn's context ends when stop is called for id (already ended when stop
// came while fn waited its turn).
func (q *callQueues) run(id string, fn func(stopped context.Context)) {
	q.mu.Lock()
	if q.calls == nil {
		q.calls = map[string]*callQueue{}
	}
	cq := q.calls[id]
	if cq == nil {
		cq = &callQueue{}
		q.calls[id] = cq
	}
	cq.users++
	gen := cq.stops
	q.mu.Unlock()

	cq.mu.Lock()
	ctx, cancel := context.WithCancel(context.Background())
	q.mu.Lock()
	if cq.stops != gen {
		cancel()
	}
	cq.cancel = cancel
	q.mu.Unlock()
	fn(ctx)
	cancel()
	q.mu.Lock()
	cq.cancel = nil
	q.mu.Unlock()
	cq.mu.Unlock()

	q.mu.Lock()
	if cq.users--; cq.users == 0 {
		delete(q.calls, id)
	}
	q.mu.Unlock()
}

// dropWaiting drops the functions waiting their turn for id, without
// waiting for the running one (which may be the caller).
func (q *callQueues) dropWaiting(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if cq := q.calls[id]; cq != nil {
		cq.stops++
	}
}

// stop ends the function running for id and drops the ones waiting,
// returning once the running one has returned.
func (q *callQueues) stop(id string) {
	q.mu.Lock()
	cq := q.calls[id]
	if cq == nil {
		q.mu.Unlock()
		return
	}
	cq.stops++
	if cq.cancel != nil {
		cq.cancel()
	}
	q.mu.Unlock()
	cq.mu.Lock() // the running one has returned
	cq.mu.Unlock()
}

func (m apiCallsMedia) Play(ctx context.Context, p api.PlayRequest) error {
	if _, err := m.answered(p.CallID); err != nil {
		return err
	}
	lib := m.a.scripts.audio
	src, err := lib.Open(ctx, p.AudioFile)
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrBadAudio, err)
	}
	if p.Repeat {
		src.Close()
		src = player.Loop(func() (player.Source, error) { return lib.Open(context.Background(), p.AudioFile) })
		if p.Timeout == 0 {
			p.Timeout = maxRepeat
		}
	}
	if p.Timeout > 0 {
		src = player.Timeout(src, p.Timeout)
	}
	m.announce(p.CallID, m.party(p.CallID, p.Party), src)
	return nil
}

func (m apiCallsMedia) Speak(ctx context.Context, s api.SpeakRequest) error {
	if _, err := m.answered(s.CallID); err != nil {
		return err
	}
	src, err := m.a.scripts.audio.Speak(ctx, s.Text, s.Language, s.Voice)
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrBadAudio, err)
	}
	m.announce(s.CallID, m.party(s.CallID, s.Party), src)
	return nil
}

func (m apiCallsMedia) Record(ctx context.Context, r api.RecordRequest) error {
	snap, err := m.answered(r.CallID)
	if err != nil {
		return err
	}
	if r.RecordPath != "" && !filepath.IsLocal(filepath.FromSlash(r.RecordPath)) {
		return fmt.Errorf("%w: RecordPath %q leaves the data dir", api.ErrBadAudio, r.RecordPath)
	}
	cfg := m.a.Config()
	var taps []func(stream.TapFunc) (remove func())
	var eventPTs []uint8 // each tap's telephone-event payload type (FinishDigits)
	if leg, ok := m.a.scripts.ext.Leg(r.CallID); ok {
		taps = append(taps, leg.AddTap)
		eventPTs = append(eventPTs, telephoneEventPT(leg.Formats()))
	} else {
		// The legs' own taps: SIP and analog legs leave them free (an
		// analog leg's endpoint hears the port's audio from its loopback
		// phone); an API leg's media agent holds its own.
		dir := m.core.Directory()
		for _, n := range []string{snap.Caller, snap.Callee} {
			if e, ok := dir.Lookup(n); ok && e.Kind == config.KindAPI {
				return fmt.Errorf("%w: recording a call with a %s extension", api.ErrCallState, e.Kind)
			}
		}
		caller, callee, ok := m.core.Endpoints(r.CallID)
		if !ok || caller == nil || callee == nil {
			return fmt.Errorf("%w: %s", api.ErrCallNotFound, r.CallID)
		}
		for _, ep := range []*relay.Endpoint{caller, callee} {
			codec, _ := ep.Codec()
			eventPTs = append(eventPTs, codec.EventPT)
			taps = append(taps, func(fn stream.TapFunc) func() {
				ep.SetAudioTap(relay.AudioTapFunc(fn))
				return func() { ep.SetAudioTap(nil) }
			})
		}
	}
	maxDur := r.Duration
	if maxDur == 0 {
		maxDur = maxRepeat
	}
	rec, err := apiext.NewRecorder(apiext.Recording{
		DataDir: cfg.DataDir, CallID: r.CallID, Format: r.Format, Path: r.RecordPath, Legs: len(taps),
		MaxDuration: maxDur, Inactivity: r.Inactivity, Clock: m.a.scripts.clock, Logger: m.a.log,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrBadAudio, err)
	}
	var keys *finishKeys
	if r.FinishDigits != "" {
		if keys, err = newFinishKeys(r.FinishDigits, len(taps)); err != nil {
			return err
		}
	}
	removes := make([]func(), len(taps))
	for i, add := range taps {
		tap := rec.Tap(i)
		if keys != nil {
			tap = keys.tap(i, eventPTs[i], tap)
		}
		removes[i] = add(tap)
	}
	go m.recordCall(rec, snap, r.FinishedURL, api.UserFrom(ctx), keys, removes)
	return nil
}

// recordCall runs a recording until it stops, one of keys is pressed
// (nil: none) or the call ends, then posts RecordCompleted to finished,
// signed for user.
func (m apiCallsMedia) recordCall(rec *record.Recorder, snap pbx.CallSnapshot, finished, user string, keys *finishKeys, removes []func()) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var watch sync.WaitGroup
	if keys != nil {
		watch.Go(func() { keys.run(ctx, rec.Stop) })
	}
	go func() {
		select {
		case <-m.core.Ended(snap.ID):
			rec.Stop()
		case <-ctx.Done():
		}
	}()
	res, err := rec.Run(ctx)
	for _, remove := range removes {
		remove()
	}
	cancel()
	watch.Wait()
	reason, key := res.Reason.String(), ""
	if keys != nil {
		if key = keys.stoppedBy(); key != "" {
			reason = record.FinishKey.String()
		}
	}
	if err != nil {
		m.a.log.Warn("Record on call failed", "call", snap.ID, "err", err)
		return
	}
	m.a.log.Info("call recorded", "call", snap.ID, "file", res.Name, "duration", res.Duration, "reason", reason, "key", key)
	if finished == "" {
		return
	}
	n := notify.Notification{
		Name: notify.RecordCompleted, URL: finished, CallID: snap.ID, Caller: snap.Caller, CallerID: snap.Caller,
		CallerDisplayName: snap.CallerName, Callee: snap.Callee, Dialed: snap.Dialed, CallState: string(snap.State),
		Duration: res.Duration, DtmfDigits: key,
	}
	m.a.signFor(&n, user)
	if name, ok := apiext.RecordingURL(res.Name); ok {
		n.RecordURL = m.a.recordingURL(m.a.scripts.advertise, name)
	}
	if err := m.a.notify.Send(n); err != nil {
		m.a.log.Warn("RecordCompleted not sent", "call", snap.ID, "err", err)
	}
}
