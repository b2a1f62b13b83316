package pbx

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// The core's state machine is tested with scripted legs on a virtual
// clock; SIP behaviour against real phones is covered by the SIPp tests
// in firmware/app.

type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

type fakeLeg struct {
	events  chan ua.Event
	ep      *relay.Endpoint
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	hangups int
}

func newFakeLeg(t testing.TB, pool *relay.PortPool) *fakeLeg {
	t.Helper()
	ep, err := pool.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return &fakeLeg{events: make(chan ua.Event, 8), ep: ep, done: make(chan struct{})}
}

func (l *fakeLeg) Events() <-chan ua.Event   { return l.events }
func (l *fakeLeg) Endpoint() *relay.Endpoint { return l.ep }
func (l *fakeLeg) Done() <-chan struct{}     { return l.done }
func (l *fakeLeg) Formats() []sdp.Format     { return []sdp.Format{sdp.PCMA, sdp.TelephoneEvent} }
func (l *fakeLeg) finish()                   { l.once.Do(func() { close(l.done) }) }
func (l *fakeLeg) Hangup() {
	l.mu.Lock()
	l.hangups++
	l.mu.Unlock()
	l.finish()
}
func (l *fakeLeg) hungUp() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hangups > 0
}

type fakeCaller struct {
	*fakeLeg
	dialed   string
	mu       sync.Mutex
	rejected int
	answered []sdp.Format
	progress []sdp.Format
	ringing  int
}

func (c *fakeCaller) Caller() ua.Party      { return ua.Party{Number: "101", DisplayName: "Phone 101"} }
func (c *fakeCaller) Dialed() string        { return c.dialed }
func (c *fakeCaller) Offered() []sdp.Format { return []sdp.Format{sdp.PCMA, sdp.TelephoneEvent} }
func (c *fakeCaller) Ringing() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ringing++
	return nil
}
func (c *fakeCaller) Progress(f []sdp.Format) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progress = f
	return nil
}
func (c *fakeCaller) Answer(f []sdp.Format) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answered = f
	return nil
}
func (c *fakeCaller) Reject(code int, _ string) {
	c.mu.Lock()
	c.rejected = code
	c.mu.Unlock()
	c.finish()
}
func (c *fakeCaller) snapshot() (rejected, ringing int, answered []sdp.Format) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rejected, c.ringing, c.answered
}

type fakeCallee struct{ *fakeLeg }

func (c fakeCallee) Formats() []sdp.Format { return []sdp.Format{sdp.PCMA} }

type fakeOriginator struct {
	err    error
	callee fakeCallee
}

func (o *fakeOriginator) Originate(context.Context, string, ua.Party, []sdp.Format) (CalleeLeg, error) {
	if o.err != nil {
		return nil, o.err
	}
	return o.callee, nil
}

type memHistory struct {
	mu   sync.Mutex
	recs []history.Record
}

func (h *memHistory) Append(r history.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r)
	return nil
}

func (h *memHistory) wait(t *testing.T) history.Record {
	t.Helper()
	waitUntil(t, "history record", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.recs) > 0
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.recs[0]
}

func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

type rig struct {
	core   *Core
	clock  *fakeClock
	hist   *memHistory
	caller *fakeCaller
	callee fakeCallee
	orig   *fakeOriginator
}

const ringTimeout, mediaTimeout = 30 * time.Second, 20 * time.Second

func newRig(t *testing.T, dialed string, originateErr error) *rig {
	t.Helper()
	pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 42000, Max: 42998})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{clock: &fakeClock{now: time.Unix(1_800_000_000, 0)}, hist: &memHistory{}}
	dir := NewDirectory([]config.Extension{
		{Number: "101", Kind: "sip", Password: "x"}, {Number: "102", Kind: "sip", Password: "y"},
		{Number: "201", Kind: "analog", Port: "fxs0"},
	})
	r.core = New(Options{Clock: r.clock, History: r.hist, Directory: dir, RingTimeout: ringTimeout, MediaTimeout: mediaTimeout})
	r.callee = fakeCallee{newFakeLeg(t, pool)}
	r.orig = &fakeOriginator{err: originateErr, callee: r.callee}
	r.core.SetOriginator(r.orig)
	r.caller = &fakeCaller{fakeLeg: newFakeLeg(t, pool), dialed: dialed}
	r.core.Incoming(r.caller)
	return r
}

// answer takes the call to InCall.
func (r *rig) answer(t *testing.T) {
	t.Helper()
	r.callee.events <- ua.Event{Kind: ua.EventRinging, Code: 180}
	r.callee.events <- ua.Event{Kind: ua.EventAnswered}
	waitUntil(t, "caller answered", func() bool { _, _, a := r.caller.snapshot(); return a != nil })
}

func TestCallOutcomes(t *testing.T) {
	tests := []struct {
		name         string
		dialed       string
		originateErr error
		script       func(t *testing.T, r *rig)
		wantState    string
		wantReject   int
		wantAnswered bool
		wantBHangup  bool
	}{
		{name: "unknown number", dialed: "999", wantState: "NotFound", wantReject: 404},
		{name: "analog not connected yet", dialed: "201", wantState: "NotAvailable", wantReject: 480},
		{name: "not registered", dialed: "102", originateErr: ua.ErrNotRegistered, wantState: "NotRegistered", wantReject: 480},
		{name: "originate error", dialed: "102", originateErr: errors.New("no ports"), wantState: "Error", wantReject: 503},
		{name: "busy", dialed: "102", wantState: "Busy", wantReject: 486, script: func(t *testing.T, r *rig) {
			r.callee.events <- ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"}
		}},
		{name: "declined", dialed: "102", wantState: "Rejected", wantReject: 603, script: func(t *testing.T, r *rig) {
			r.callee.events <- ua.Event{Kind: ua.EventFailed, Code: 603, Reason: "Decline"}
		}},
		{name: "caller cancels", dialed: "102", wantState: "Cancelled", wantBHangup: true, script: func(t *testing.T, r *rig) {
			r.callee.events <- ua.Event{Kind: ua.EventRinging, Code: 180}
			r.caller.events <- ua.Event{Kind: ua.EventCancelled}
		}},
		{name: "ring timeout", dialed: "102", wantState: "NoAnswer", wantReject: 480, wantBHangup: true, script: func(t *testing.T, r *rig) {
			r.callee.events <- ua.Event{Kind: ua.EventRinging, Code: 180}
			waitUntil(t, "ring timer", func() bool { return r.clock.pending() > 0 })
			r.clock.Advance(ringTimeout)
			waitUntil(t, "CANCEL to callee", r.callee.hungUp)
			r.callee.events <- ua.Event{Kind: ua.EventFailed, Code: 487, Reason: "Request Terminated"}
		}},
		{name: "caller hangs up", dialed: "102", wantState: "CallerHangUp", wantAnswered: true, wantBHangup: true, script: func(t *testing.T, r *rig) {
			r.answer(t)
			r.caller.events <- ua.Event{Kind: ua.EventHangup}
		}},
		{name: "early media then answer", dialed: "102", wantState: "CallerHangUp", wantAnswered: true, wantBHangup: true, script: func(t *testing.T, r *rig) {
			r.callee.events <- ua.Event{Kind: ua.EventRinging, Code: 183}
			r.callee.events <- ua.Event{Kind: ua.EventEarlyMedia, Code: 183}
			waitUntil(t, "183 to caller", func() bool {
				r.caller.mu.Lock()
				defer r.caller.mu.Unlock()
				return r.caller.progress != nil
			})
			if peer := r.caller.Endpoint().Peer(); peer != r.callee.Endpoint() {
				t.Fatal("early media not bridged before answer")
			}
			r.answer(t)
			r.caller.events <- ua.Event{Kind: ua.EventHangup}
		}},
		{name: "callee hangs up", dialed: "102", wantState: "CalleeHangUp", wantAnswered: true, script: func(t *testing.T, r *rig) {
			r.answer(t)
			r.callee.events <- ua.Event{Kind: ua.EventHangup}
			waitUntil(t, "BYE to caller", r.caller.hungUp)
		}},
		{name: "media timeout", dialed: "102", wantState: "MediaTimeout", wantAnswered: true, wantBHangup: true, script: func(t *testing.T, r *rig) {
			r.answer(t)
			for i := 0; i < 5 && !r.caller.hungUp(); i++ {
				waitUntil(t, "media timer", func() bool { return r.clock.pending() > 1 || r.caller.hungUp() })
				r.clock.Advance(mediaTimeout / 4)
			}
			waitUntil(t, "BYE to caller", r.caller.hungUp)
		}},
		{name: "hangup by the appliance", dialed: "102", wantState: "Hangup", wantAnswered: true, wantBHangup: true, script: func(t *testing.T, r *rig) {
			r.answer(t)
			id := r.activeID(t)
			if !r.core.Hangup(id) {
				t.Fatal("Hangup did not find the call")
			}
			if r.core.Hangup("nope!") {
				t.Fatal("Hangup found a call that does not exist")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, tc.dialed, tc.originateErr)
			if tc.script != nil {
				tc.script(t, r)
			}
			rec := r.hist.wait(t)
			rejected, _, answered := r.caller.snapshot()
			if rec.State != tc.wantState || rejected != tc.wantReject || (answered != nil) != tc.wantAnswered {
				t.Fatalf("state %q reject %d answered %v; want %q %d %v (record %+v)",
					rec.State, rejected, answered != nil, tc.wantState, tc.wantReject, tc.wantAnswered, rec)
			}
			if r.callee.hungUp() != tc.wantBHangup {
				t.Fatalf("callee hung up = %v, want %v", r.callee.hungUp(), tc.wantBHangup)
			}
			if rec.CallID == "" || rec.Caller != "101" || rec.Dialed != tc.dialed || rec.End.IsZero() {
				t.Fatalf("incomplete record %+v", rec)
			}
			if tc.wantAnswered && rec.Answer.IsZero() {
				t.Fatalf("answered call without answer time: %+v", rec)
			}
			waitUntil(t, "call removed", func() bool { return r.core.ActiveCalls() == 0 })
		})
	}
}

func (r *rig) activeID(t *testing.T) string {
	t.Helper()
	r.core.mu.Lock()
	defer r.core.mu.Unlock()
	for id := range r.core.calls {
		return id
	}
	t.Fatal("no active call")
	return ""
}

func TestShutdownEndsCalls(t *testing.T) {
	r := newRig(t, "102", nil)
	r.answer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.core.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if rec := r.hist.wait(t); rec.State != "Shutdown" {
		t.Fatalf("state %q, want Shutdown", rec.State)
	}
	if !r.caller.hungUp() || !r.callee.hungUp() {
		t.Fatal("legs not hung up at shutdown")
	}
	// New calls are refused once shutting down.
	late := &fakeCaller{fakeLeg: &fakeLeg{events: make(chan ua.Event, 1), done: make(chan struct{})}, dialed: "102"}
	r.core.Incoming(late)
	if rej, _, _ := late.snapshot(); rej != 503 {
		t.Fatalf("late call rejected with %d, want 503", rej)
	}
}

func TestFailureMapping(t *testing.T) {
	tests := []struct {
		code      int
		noAnswer  bool
		wantState string
		wantCode  int
	}{
		{486, false, "Busy", 486}, {600, false, "Busy", 486}, {603, false, "Rejected", 603},
		{404, false, "NotFound", 404}, {604, false, "NotFound", 404}, {408, false, "NoAnswer", 480},
		{480, false, "NoAnswer", 480}, {487, false, "Cancelled", 487}, {487, true, "NoAnswer", 480},
		{415, false, "Rejected", 415}, {500, false, "Error", 500}, {503, false, "Error", 503}, {606, false, "Rejected", 606},
		{302, false, "Error", 500},
	}
	for _, tc := range tests {
		st, code, _ := failure(ua.Event{Kind: ua.EventFailed, Code: tc.code, Reason: "x"}, tc.noAnswer)
		if st != tc.wantState || code != tc.wantCode {
			t.Errorf("failure(%d, noAnswer=%v) = %s %d, want %s %d", tc.code, tc.noAnswer, st, code, tc.wantState, tc.wantCode)
		}
	}
}

func TestCallIDsAreShortAndUnique(t *testing.T) {
	c := New(Options{})
	seen := map[string]bool{}
	c.mu.Lock()
	defer c.mu.Unlock()
	for range 2000 {
		id := c.newID()
		if len(id) != 5 || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
		c.calls[id] = nil
	}
}
