package ozml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// The interpreter is tested against a strict recording fake of the call:
// every call method must match the next expected step exactly, anything
// else fails the test. Time is virtual (autoClock).

var errFake = errors.New("fake failure")

// step is one expected call method invocation.
type step struct {
	op    string // method and arguments as fakeCall formats them, e.g. "speak hello"
	err   error  // returned
	press string // keys the caller presses when the method starts
	block bool   // the method runs until ctx ends (a prompt that gets barged in)
	rec   RecordResult
}

type fakeCall struct {
	t      *testing.T
	mu     sync.Mutex
	steps  []step
	done   []string
	digits chan byte
	info   map[string]string
}

func newFakeCall(t *testing.T, steps ...step) *fakeCall {
	t.Helper()
	f := &fakeCall{t: t, steps: steps, digits: make(chan byte, 64),
		info: map[string]string{"CallId": "Nt3uh", "Caller": "101", "Callee": "500", "Dialed": "500", "ApiExtension": "500"}}
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.steps) > 0 {
			t.Errorf("expected call methods not made: %v (made: %q)", f.steps, f.done)
		}
	})
	return f
}

// next checks op against the next expected step and plays it.
func (f *fakeCall) next(ctx context.Context, op string) (step, error) {
	f.mu.Lock()
	if len(f.steps) == 0 || f.steps[0].op != op {
		want := "nothing"
		if len(f.steps) > 0 {
			want = f.steps[0].op
		}
		f.mu.Unlock()
		f.t.Errorf("unexpected call %q, want %q (made so far: %q)", op, want, f.done)
		return step{}, fmt.Errorf("unexpected call %q", op)
	}
	s := f.steps[0]
	f.steps = f.steps[1:]
	f.done = append(f.done, op)
	f.mu.Unlock()
	for i := range len(s.press) {
		f.digits <- s.press[i]
	}
	if s.block {
		<-ctx.Done()
		return s, ctx.Err()
	}
	return s, s.err
}

func (f *fakeCall) simple(ctx context.Context, op string) error {
	_, err := f.next(ctx, op)
	return err
}

func (f *fakeCall) Answer(ctx context.Context) error { return f.simple(ctx, "answer") }
func (f *fakeCall) Reject(ctx context.Context, code int) error {
	return f.simple(ctx, fmt.Sprintf("reject %d", code))
}
func (f *fakeCall) Hangup(ctx context.Context) error { return f.simple(ctx, "hangup") }
func (f *fakeCall) Speak(ctx context.Context, text, language, voice string) error {
	op := "speak " + text
	if language != "" || voice != "" {
		op += fmt.Sprintf(" [%s/%s]", language, voice)
	}
	return f.simple(ctx, op)
}
func (f *fakeCall) Play(ctx context.Context, audio string, repeat bool, timeout time.Duration) error {
	return f.simple(ctx, fmt.Sprintf("play %s repeat=%v timeout=%v", audio, repeat, timeout))
}
func (f *fakeCall) Beep(ctx context.Context) error { return f.simple(ctx, "beep") }
func (f *fakeCall) Record(ctx context.Context, o RecordOptions) (RecordResult, error) {
	op := fmt.Sprintf("record %s max=%v inactivity=%v path=%s", o.Format, o.MaxDuration, o.Inactivity, o.Path)
	s, err := f.next(ctx, op)
	if err != nil || !s.block {
		return s.rec, err
	}
	return s.rec, nil
}
func (f *fakeCall) Digits() <-chan byte { return f.digits }
func (f *fakeCall) BlindTransfer(ctx context.Context, target string) error {
	return f.simple(ctx, "blindtransfer "+target)
}
func (f *fakeCall) AttendedTransfer(ctx context.Context, a, b string) error {
	return f.simple(ctx, "attendedtransfer "+a+" "+b)
}
func (f *fakeCall) ForwardCall(ctx context.Context, d string) error {
	return f.simple(ctx, "forwardcall "+d)
}
func (f *fakeCall) Hold(ctx context.Context) error   { return f.simple(ctx, "hold") }
func (f *fakeCall) Unhold(ctx context.Context) error { return f.simple(ctx, "unhold") }
func (f *fakeCall) SendDTMF(ctx context.Context, keys string) error {
	return f.simple(ctx, "senddtmf "+keys)
}
func (f *fakeCall) Info() map[string]string { return f.info }

// recordUntilStop is a fake Record that runs until a finish key.
type recordUntilStop struct {
	*fakeCall
	stopped bool
}

func (f *recordUntilStop) Record(ctx context.Context, o RecordOptions) (RecordResult, error) {
	s, err := f.next(ctx, fmt.Sprintf("record %s max=%v inactivity=%v path=%s", o.Format, o.MaxDuration, o.Inactivity, o.Path))
	if err != nil {
		return RecordResult{}, err
	}
	select {
	case <-o.Stop:
		f.stopped = true
	case <-ctx.Done():
		return RecordResult{}, ctx.Err()
	}
	return s.rec, nil
}

// autoClock is virtual time that jumps forward whenever someone waits:
// After(d) moves the clock by d and fires at once. Keys the fake call
// presses are queued before any wait, and the interpreter prefers a
// queued key to a fired timer, so runs are deterministic.
type autoClock struct {
	mu      sync.Mutex
	now     time.Time
	waited  time.Duration
	waits   []time.Duration
	blocked bool // After never fires (for the message bus tests)
}

func newAutoClock() *autoClock { return &autoClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *autoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *autoClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if c.blocked {
		return ch
	}
	c.now = c.now.Add(d)
	c.waited += d
	c.waits = append(c.waits, d)
	ch <- c.now
	return ch
}

func (c *autoClock) total() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waited
}

// fakeEnv serves documents by target and records what scripts asked for.
type fakeEnv struct {
	t        *testing.T
	mu       sync.Mutex
	docs     map[string]string // target → reply body
	fetched  []string          // "target NotificationName"
	forms    []url.Values
	calls    []CallRequest
	setups   []string
	requests []RequestParams
	events   []RequestEvent
}

func newFakeEnv(t *testing.T, docs map[string]string) *fakeEnv {
	return &fakeEnv{t: t, docs: docs}
}

func (e *fakeEnv) Fetch(ctx context.Context, target string, form url.Values) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fetched = append(e.fetched, target+" "+form.Get("NotificationName"))
	e.forms = append(e.forms, form)
	body, ok := e.docs[target]
	if !ok {
		e.t.Errorf("unexpected fetch of %q", target)
		return nil, errFake
	}
	if body == "ERROR" {
		return nil, errFake
	}
	return []byte(body), nil
}

func (e *fakeEnv) Call(ctx context.Context, req CallRequest) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, req)
	return nil
}

func (e *fakeEnv) CallSetup(ctx context.Context, caller, callee, errorURL string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setups = append(e.setups, caller+">"+callee+" "+errorURL)
	return nil
}

func (e *fakeEnv) Request(ctx context.Context, p RequestParams) (<-chan RequestEvent, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = append(e.requests, p)
	ch := make(chan RequestEvent, len(e.events))
	for _, ev := range e.events {
		ch <- ev
	}
	close(ch)
	return ch, nil
}

// emailEnv is a fakeEnv that can send e-mail.
type emailEnv struct {
	*fakeEnv
	sent []Email
}

func (e *emailEnv) SendEmail(ctx context.Context, m Email) error {
	e.sent = append(e.sent, m)
	return nil
}

// harness runs documents on a fake call.
type harness struct {
	env   Env
	clock *autoClock
	log   *bytes.Buffer
	logMu *sync.Mutex
	opts  Options
}

type syncBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (s syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func newHarness(t *testing.T, env Env) *harness {
	h := &harness{env: env, clock: newAutoClock(), log: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	h.opts = Options{
		Clock:  h.clock,
		Logger: slog.New(slog.NewTextHandler(syncBuffer{h.logMu, h.log}, nil)),
	}
	return h
}

func (h *harness) logs() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.log.String()
}

func (h *harness) run(t *testing.T, call Call, doc string) Result {
	t.Helper()
	d, err := Parse([]byte(doc), h.opts.Limits)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return New(h.env, h.opts).Run(context.Background(), call, d, RunOptions{})
}

func wantResult(t *testing.T, got Result, outcome Outcome, reason string) {
	t.Helper()
	if got.Outcome != outcome || !strings.Contains(got.Reason, reason) {
		t.Errorf("result = %v %q (err %v), want %v %q", got.Outcome, got.Reason, got.Err, outcome, reason)
	}
}
