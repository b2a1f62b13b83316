package pbx

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Transfers and holds on scripted legs: the same core code serves the
// API (Core.BlindTransfer, Hold, Unhold) and the phones (REFER, hold
// re-INVITEs), so both are driven here.

// numberOriginator hands out one prepared callee per number.
type numberOriginator struct {
	mu    sync.Mutex
	legs  map[string]fakeCallee
	errs  map[string]error
	asked []string
	from  []ua.Party
}

func (o *numberOriginator) Originate(_ context.Context, number string, from ua.Party, _ []sdp.Format) (CalleeLeg, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.asked = append(o.asked, number)
	o.from = append(o.from, from)
	if err := o.errs[number]; err != nil {
		return nil, err
	}
	leg, ok := o.legs[number]
	if !ok {
		return nil, ua.ErrNotRegistered
	}
	return leg, nil
}

func (o *numberOriginator) wasAsked(n int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.asked) >= n
}

// fakePlayer records what each writer hears.
type fakePlayer struct {
	mu      sync.Mutex
	playing map[PacketWriter]Sound
}

func (p *fakePlayer) Play(w PacketWriter, f sdp.Format, s Sound) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f.Name != "PCMA" {
		panic("player asked for format " + f.Name)
	}
	p.playing[w] = s
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.playing[w] == s {
			delete(p.playing, w)
		}
	}
}

func (p *fakePlayer) hears(w PacketWriter) Sound {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.playing[w]
}

// fakeReport records a REFER's NOTIFYs.
type fakeReport struct {
	mu       sync.Mutex
	progress []int
	final    int
	done     chan struct{}
}

func newFakeReport() *fakeReport { return &fakeReport{done: make(chan struct{})} }

func (r *fakeReport) Progress(code int, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress = append(r.progress, code)
}

func (r *fakeReport) Finish(code int, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.final == 0 {
		r.final = code
		close(r.done)
	}
}

func (r *fakeReport) Done() <-chan struct{} { return r.done }

func (r *fakeReport) result() (progress []int, final int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.progress...), r.final
}

// xrig is an answered 101→102 call with 103 ready to be rung.
type xrig struct {
	core   *Core
	clock  *fakeClock
	hist   *memHistory
	player *fakePlayer
	orig   *numberOriginator
	caller *fakeCaller
	callee fakeCallee
	target fakeCallee
	id     string
	pool   *relay.PortPool
}

func newXRig(t testing.TB) *xrig {
	t.Helper()
	r := newRingingXRig(t)
	r.callee.events <- ua.Event{Kind: ua.EventAnswered}
	r.waitState(t, StateInCall)
	return r
}

// newRingingXRig is newXRig with 102 still ringing.
func newRingingXRig(t testing.TB) *xrig {
	t.Helper()
	pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 43000, Max: 43998})
	if err != nil {
		t.Fatal(err)
	}
	r := &xrig{clock: &fakeClock{now: time.Unix(1_800_000_000, 0)}, hist: &memHistory{}, player: &fakePlayer{playing: map[PacketWriter]Sound{}}, pool: pool}
	dir := NewDirectory([]config.Extension{
		{Number: "101", Kind: "sip", Password: "x", DisplayName: "Phone 101"}, {Number: "102", Kind: "sip", Password: "y"},
		{Number: "103", Kind: "sip", Password: "z", DisplayName: "Phone 103"}, {Number: "104", Kind: "sip", Password: "w"},
		{Number: "201", Kind: "analog", Port: "fxs0"},
	})
	r.core = New(Options{Clock: r.clock, History: r.hist, Directory: dir, RingTimeout: ringTimeout, MediaTimeout: mediaTimeout, Player: r.player})
	r.callee = fakeCallee{newFakeLeg(t, pool)}
	r.target = fakeCallee{newFakeLeg(t, pool)}
	r.orig = &numberOriginator{legs: map[string]fakeCallee{"102": r.callee, "103": r.target}, errs: map[string]error{}}
	r.core.SetOriginator(r.orig)
	r.caller = &fakeCaller{fakeLeg: newFakeLeg(t, pool), dialed: "102"}
	r.core.Incoming(r.caller)
	r.callee.events <- ua.Event{Kind: ua.EventRinging, Code: 180}
	r.waitState(t, StateRinging)
	r.id = r.core.Calls()[0].ID
	return r
}

func (r *xrig) snap(t *testing.T) CallSnapshot {
	t.Helper()
	calls := r.core.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	return calls[0]
}

func (r *xrig) waitState(t testing.TB, want State) {
	t.Helper()
	waitUntil(t, "state "+string(want), func() bool {
		calls := r.core.Calls()
		return len(calls) == 1 && calls[0].State == want
	})
}

// advanceUntil moves the clock by step until cond holds: the timer it
// waits for may be set a moment after the event that leads to it.
func advanceUntil(t *testing.T, clock *fakeClock, step time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		clock.Advance(step)
		time.Sleep(5 * time.Millisecond)
	}
}

func bridged(a, b Leg) bool {
	return a.Endpoint().Peer() == b.Endpoint() && b.Endpoint().Peer() == a.Endpoint()
}

// transferAsync runs Core.BlindTransfer in the background.
func (r *xrig) transferAsync(party Party, target string) <-chan error {
	res := make(chan error, 1)
	go func() {
		res <- r.core.BlindTransfer(context.Background(), Transfer{CallID: r.id, Transferor: party, Target: target, FinishedURL: "http://app/done"})
	}()
	return res
}

func TestBlindTransferByAPI(t *testing.T) {
	tests := []struct {
		name       string
		transferor Party
	}{
		{"caller transfers", PartyCaller},
		{"callee transfers", PartyCallee},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newXRig(t)
			var transferor, transferee Leg = r.caller, r.callee
			if tc.transferor == PartyCallee {
				transferor, transferee = r.callee, r.caller
			}
			res := r.transferAsync(tc.transferor, "103")
			r.waitState(t, StateTransferring)
			if r.player.hears(transferee.Endpoint()) != SoundRingback || transferee.Endpoint().Peer() != nil {
				t.Fatal("transferee does not hear ringback while the target rings")
			}
			r.target.events <- ua.Event{Kind: ua.EventRinging, Code: 180}
			r.target.events <- ua.Event{Kind: ua.EventAnswered}
			if err := <-res; err != nil {
				t.Fatalf("BlindTransfer: %v", err)
			}
			waitUntil(t, "transferor hung up", transferor.(interface{ hungUp() bool }).hungUp)
			if !bridged(transferee, r.target) || r.player.hears(transferee.Endpoint()) != SoundNone {
				t.Fatal("transferee not bridged to the target")
			}
			s := r.snap(t)
			wantCaller, wantCallee := "103", "102"
			if tc.transferor == PartyCallee {
				wantCaller, wantCallee = "101", "103"
			}
			if s.ID != r.id || s.State != StateInCall || s.Caller != wantCaller || s.Callee != wantCallee {
				t.Fatalf("snapshot after transfer %+v", s)
			}
			if from := r.orig.from[1]; tc.transferor == PartyCaller && from.Number != "102" || tc.transferor == PartyCallee && from.Number != "101" {
				t.Fatalf("target rung as %+v, want the transferee", from)
			}
			r.target.events <- ua.Event{Kind: ua.EventHangup}
			waitUntil(t, "two records", func() bool { r.hist.mu.Lock(); defer r.hist.mu.Unlock(); return len(r.hist.recs) == 2 })
			seg, last := r.hist.recs[0], r.hist.recs[1]
			if seg.CallID != r.id || seg.State != "Transferred" || seg.Caller != "101" || seg.Callee != "102" {
				t.Fatalf("transferred segment %+v", seg)
			}
			if last.CallID != r.id || last.Caller != wantCaller || last.Callee != wantCallee || last.Dialed != "103" || last.Answer.IsZero() {
				t.Fatalf("final record %+v", last)
			}
		})
	}
}

func TestBlindTransferFailures(t *testing.T) {
	tests := []struct {
		name      string
		callID    string
		target    string
		setup     func(r *xrig)
		script    func(t *testing.T, r *xrig)
		wantErr   error
		wantState string // ConnectError.State
	}{
		{name: "unknown call", callID: "nope!", target: "103", wantErr: ErrNoCall},
		{name: "unknown target", target: "999", wantState: "NotFound"},
		{name: "analog target", target: "201", wantState: "NotAvailable"},
		{name: "unregistered target", target: "104", wantState: "NotRegistered"},
		{name: "originate error", target: "103", setup: func(r *xrig) { r.orig.errs["103"] = errors.New("no ports") }, wantState: "Error"},
		{name: "busy target", target: "103", wantState: "Busy", script: func(t *testing.T, r *xrig) {
			r.target.events <- ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"}
		}},
		{name: "no answer", target: "103", wantState: "NoAnswer", script: func(t *testing.T, r *xrig) {
			r.target.events <- ua.Event{Kind: ua.EventRinging, Code: 180}
			advanceUntil(t, r.clock, ringTimeout, "CANCEL to the target", r.target.hungUp)
			r.target.events <- ua.Event{Kind: ua.EventFailed, Code: 487, Reason: "Request Terminated"}
		}},
		{name: "early media then decline", target: "103", wantState: "Rejected", script: func(t *testing.T, r *xrig) {
			r.target.events <- ua.Event{Kind: ua.EventEarlyMedia, Code: 183}
			waitUntil(t, "early media bridged", func() bool { return bridged(r.callee, r.target) })
			r.target.events <- ua.Event{Kind: ua.EventFailed, Code: 603, Reason: "Decline"}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newXRig(t)
			if tc.setup != nil {
				tc.setup(r)
			}
			id := r.id
			if tc.callID != "" {
				id = tc.callID
			}
			res := make(chan error, 1)
			go func() {
				res <- r.core.BlindTransfer(context.Background(), Transfer{CallID: id, Transferor: PartyCaller, Target: tc.target})
			}()
			if tc.script != nil {
				waitUntil(t, "target rung", func() bool { return r.orig.wasAsked(2) })
				tc.script(t, r)
			}
			err := <-res
			var ce *ConnectError
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			case tc.wantState != "" && (!errors.As(err, &ce) || ce.State != tc.wantState || ce.Target != tc.target):
				t.Fatalf("err %v, want a ConnectError %s", err, tc.wantState)
			}
			// The original call is intact.
			r.waitState(t, StateInCall)
			if !bridged(r.caller, r.callee) || r.caller.hungUp() || r.callee.hungUp() {
				t.Fatal("original call not restored")
			}
			if s := r.snap(t); s.Caller != "101" || s.Callee != "102" {
				t.Fatalf("snapshot %+v", s)
			}
		})
	}
}

func TestTransferRefusedBeforeAnswer(t *testing.T) {
	r := newRig(t, "102", nil)
	id := r.activeID(t)
	err := r.core.BlindTransfer(context.Background(), Transfer{CallID: id, Transferor: PartyCaller, Target: "101"})
	if !errors.Is(err, ErrNotAnswered) {
		t.Fatalf("err %v, want ErrNotAnswered", err)
	}
	if err := r.core.BlindTransfer(context.Background(), Transfer{CallID: id, Transferor: PartyBoth, Target: "101"}); !errors.Is(err, ErrBadParty) {
		t.Fatalf("err %v, want ErrBadParty", err)
	}
	r.caller.events <- ua.Event{Kind: ua.EventCancelled}
	r.hist.wait(t)
}

func TestBlindTransferByRefer(t *testing.T) {
	tests := []struct {
		name       string
		earlyBye   bool // the transferor hangs up right after its REFER
		fail       bool
		wantFinal  int
		wantState  string // history state of the call's final record
		wantRecord int
	}{
		{name: "target answers", wantFinal: 200, wantState: "CalleeHangUp", wantRecord: 2},
		{name: "transferor leaves early", earlyBye: true, wantFinal: 0, wantState: "CalleeHangUp", wantRecord: 2},
		{name: "target busy", fail: true, wantFinal: 486, wantState: "CallerHangUp", wantRecord: 1},
		{name: "target busy after the transferor left", earlyBye: true, fail: true, wantFinal: 0, wantState: "TransferFailed", wantRecord: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newXRig(t)
			rep := newFakeReport()
			// 102 (callee) transfers 101 to 103.
			r.callee.events <- ua.Event{Kind: ua.EventRefer, Target: "103", Refer: rep}
			r.waitState(t, StateTransferring)
			if tc.earlyBye {
				r.callee.events <- ua.Event{Kind: ua.EventHangup}
			}
			r.target.events <- ua.Event{Kind: ua.EventRinging, Code: 180}
			if tc.fail {
				r.target.events <- ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"}
			} else {
				r.target.events <- ua.Event{Kind: ua.EventAnswered}
			}
			switch {
			case tc.fail && tc.earlyBye:
				waitUntil(t, "congestion", func() bool { return r.player.hears(r.caller.Endpoint()) == SoundCongestion })
				advanceUntil(t, r.clock, congestionTime, "transferee released", r.caller.hungUp)
			case tc.fail:
				r.waitState(t, StateInCall)
				if !bridged(r.caller, r.callee) {
					t.Fatal("transferee not taken back")
				}
				r.caller.events <- ua.Event{Kind: ua.EventHangup}
			default:
				waitUntil(t, "transferee bridged to the target", func() bool { return bridged(r.caller, r.target) })
				if !tc.earlyBye {
					waitUntil(t, "transferor hung up", r.callee.hungUp)
				}
				r.target.events <- ua.Event{Kind: ua.EventHangup}
			}
			waitUntil(t, "history", func() bool { r.hist.mu.Lock(); defer r.hist.mu.Unlock(); return len(r.hist.recs) == tc.wantRecord })
			if last := r.hist.recs[tc.wantRecord-1]; last.State != tc.wantState || last.CallID != r.id {
				t.Fatalf("final record %+v, want state %s", last, tc.wantState)
			}
			progress, final := rep.result()
			if tc.earlyBye {
				// Nobody left to tell; Finish may still be called (the
				// user agent drops it), so only a failure code is wrong.
				if final != 0 && final != 200 && final != 486 {
					t.Fatalf("final NOTIFY %d", final)
				}
				return
			}
			if len(progress) != 1 || progress[0] != 180 || final != tc.wantFinal {
				t.Fatalf("NOTIFYs %v then %d, want [180] then %d", progress, final, tc.wantFinal)
			}
		})
	}
}

func TestReferRefusedDuringTransfer(t *testing.T) {
	r := newXRig(t)
	res := r.transferAsync(PartyCaller, "103")
	r.waitState(t, StateTransferring)
	rep := newFakeReport()
	r.callee.events <- ua.Event{Kind: ua.EventRefer, Target: "104", Refer: rep}
	<-rep.Done()
	if _, final := rep.result(); final != 491 {
		t.Fatalf("second transfer answered %d, want 491", final)
	}
	if err := r.core.Hold(context.Background(), r.id, PartyBoth); !errors.Is(err, ErrTransferring) {
		t.Fatalf("hold during a transfer: %v", err)
	}
	if !r.core.Hangup(r.id) {
		t.Fatal("hangup did not find the call")
	}
	if err := <-res; !errors.Is(err, ErrCallEnded) {
		t.Fatalf("transfer of a call hung up: %v", err)
	}
	waitUntil(t, "target cancelled", r.target.hungUp)
}

func TestHold(t *testing.T) {
	type step struct {
		act       func(r *xrig) error
		callerMOH bool
		calleeMOH bool
		state     State
	}
	apiHold := func(p Party) func(r *xrig) error {
		return func(r *xrig) error { return r.core.Hold(context.Background(), r.id, p) }
	}
	apiUnhold := func(p Party) func(r *xrig) error {
		return func(r *xrig) error { return r.core.Unhold(context.Background(), r.id, p) }
	}
	phone := func(l func(r *xrig) fakeCallee, k ua.EventKind) func(r *xrig) error {
		return func(r *xrig) error { l(r).events <- ua.Event{Kind: k}; return nil }
	}
	callerPhone := func(k ua.EventKind) func(r *xrig) error {
		return func(r *xrig) error { r.caller.events <- ua.Event{Kind: k}; return nil }
	}
	calleePhone := func(r *xrig) fakeCallee { return r.callee }
	tests := []struct {
		name  string
		steps []step
	}{
		{"API hold caller", []step{
			{apiHold(PartyCaller), true, false, StateHold},
			{apiUnhold(PartyCaller), false, false, StateInCall},
		}},
		{"API hold both", []step{
			{apiHold(PartyBoth), true, true, StateHold},
			{apiUnhold(PartyCallee), true, false, StateHold},
			{apiUnhold(PartyBoth), false, false, StateInCall},
		}},
		{"callee's phone holds", []step{
			{phone(calleePhone, ua.EventHold), true, false, StateHold},
			{phone(calleePhone, ua.EventUnhold), false, false, StateInCall},
		}},
		{"caller's phone holds, API unhold leaves it", []step{
			{callerPhone(ua.EventHold), false, true, StateHold},
			{apiUnhold(PartyBoth), false, true, StateHold},
			{callerPhone(ua.EventUnhold), false, false, StateInCall},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newXRig(t)
			for i, st := range tc.steps {
				if err := st.act(r); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				r.waitState(t, st.state)
				waitUntil(t, "music on hold", func() bool {
					return (r.player.hears(r.caller.Endpoint()) == SoundMusicOnHold) == st.callerMOH &&
						(r.player.hears(r.callee.Endpoint()) == SoundMusicOnHold) == st.calleeMOH
				})
				if want := !st.callerMOH && !st.calleeMOH && st.state == StateInCall; bridged(r.caller, r.callee) != want {
					t.Fatalf("step %d: bridged=%v, want %v", i, !want, want)
				}
			}
			if err := r.core.Hold(context.Background(), "nope!", PartyBoth); !errors.Is(err, ErrNoCall) {
				t.Fatalf("hold of an unknown call: %v", err)
			}
			if err := r.core.Hold(context.Background(), r.id, 0); !errors.Is(err, ErrBadParty) {
				t.Fatalf("hold of no party: %v", err)
			}
		})
	}
}

func TestParseParty(t *testing.T) {
	tests := []struct {
		in   string
		want Party
		ok   bool
	}{
		{"caller", PartyCaller, true}, {"Callee", PartyCallee, true}, {"ALL", PartyBoth, true},
		{"both", PartyBoth, true}, {"", 0, false}, {"transferor", 0, false},
	}
	for _, tc := range tests {
		if got, ok := ParseParty(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("ParseParty(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestForward(t *testing.T) {
	r := newRingingXRig(t)
	var ce *ConnectError
	if err := r.core.Forward(context.Background(), r.id, "104"); !errors.As(err, &ce) || ce.State != "NotRegistered" {
		t.Fatalf("forward to an unregistered phone: %v", err)
	}
	if r.callee.hungUp() {
		t.Fatal("a failed forward cancelled the ringing callee")
	}
	if err := r.core.Forward(context.Background(), r.id, "103"); err != nil {
		t.Fatalf("Forward: %v", err)
	}
	if !r.callee.hungUp() {
		t.Fatal("the first callee was not cancelled")
	}
	if s := r.snap(t); s.Callee != "103" || s.Dialed != "102" || s.State != StateRinging {
		t.Fatalf("snapshot after forward %+v", s)
	}
	r.target.events <- ua.Event{Kind: ua.EventRinging, Code: 180}
	r.target.events <- ua.Event{Kind: ua.EventAnswered}
	r.waitState(t, StateInCall)
	if !bridged(r.caller, r.target) {
		t.Fatal("caller not bridged to the forward destination")
	}
	if err := r.core.Forward(context.Background(), r.id, "104"); !errors.Is(err, ErrAnswered) {
		t.Fatalf("forward of an answered call: %v", err)
	}
	r.caller.events <- ua.Event{Kind: ua.EventHangup}
	if rec := r.hist.wait(t); rec.Callee != "103" || rec.Dialed != "102" || rec.State != "CallerHangUp" {
		t.Fatalf("record %+v", rec)
	}
}

// secondCall makes 101 call 103 too (answered) and returns 101's leg and
// the call's ID: 101 talks to 103 while 102 waits in the first call.
func (r *xrig) secondCall(t *testing.T) (*fakeCaller, string) {
	t.Helper()
	caller := &fakeCaller{fakeLeg: newFakeLeg(t, r.pool), dialed: "103"}
	r.core.Incoming(caller)
	r.target.events <- ua.Event{Kind: ua.EventAnswered}
	var id string
	waitUntil(t, "second call answered", func() bool {
		for _, s := range r.core.Calls() {
			if s.ID != r.id && s.State == StateInCall {
				id = s.ID
				return true
			}
		}
		return false
	})
	return caller, id
}

func TestAttendedTransfer(t *testing.T) {
	tests := []struct {
		name  string
		refer bool
	}{
		{"by the API", false},
		{"by REFER with Replaces", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newXRig(t) // 101 (caller) with 102
			if err := r.core.Hold(context.Background(), r.id, PartyCallee); err != nil {
				t.Fatal(err)
			}
			caller2, id2 := r.secondCall(t) // 101 with 103
			rep := newFakeReport()
			if tc.refer {
				// 101 refers 102 (its first call) to the dialog it has with 103.
				r.caller.events <- ua.Event{Kind: ua.EventRefer, Target: "103", Replaces: "abc;to-tag=1;from-tag=2", ReplacesLeg: caller2, Refer: rep}
			} else if err := r.core.AttendedTransfer(context.Background(), Attended{TransferredCallID: r.id, TargetCallID: id2}); err != nil {
				t.Fatalf("AttendedTransfer: %v", err)
			}
			waitUntil(t, "102 bridged to 103", func() bool { return bridged(r.callee, r.target) })
			waitUntil(t, "101 released from both calls", func() bool { return r.caller.hungUp() && caller2.hungUp() })
			if r.callee.hungUp() || r.target.hungUp() {
				t.Fatal("a surviving party was hung up")
			}
			waitUntil(t, "first call gone", func() bool { return len(r.core.Calls()) == 1 })
			if s := r.core.Calls()[0]; s.ID != id2 || s.Caller != "102" || s.Callee != "103" || s.State != StateInCall {
				t.Fatalf("joined call %+v", s)
			}
			if r.player.hears(r.callee.Endpoint()) != SoundNone {
				t.Fatal("102 still hears music on hold")
			}
			if tc.refer {
				if _, final := rep.result(); final != 200 {
					t.Fatalf("final NOTIFY %d, want 200", final)
				}
			}
			r.target.events <- ua.Event{Kind: ua.EventHangup}
			waitUntil(t, "three records", func() bool { r.hist.mu.Lock(); defer r.hist.mu.Unlock(); return len(r.hist.recs) == 3 })
			states := map[string]int{}
			for _, rec := range r.hist.recs {
				states[rec.State]++
			}
			if states["Transferred"] != 2 || states["CalleeHangUp"] != 1 {
				t.Fatalf("records %+v", r.hist.recs)
			}
		})
	}
}

func TestAttendedTransferRefused(t *testing.T) {
	r := newXRig(t)
	var nc *NoCallError
	if err := r.core.AttendedTransfer(context.Background(), Attended{TransferredCallID: r.id, TargetCallID: "nope!"}); !errors.As(err, &nc) || nc.ID != "nope!" {
		t.Fatalf("unknown target call: %v", err)
	}
	if err := r.core.AttendedTransfer(context.Background(), Attended{TransferredCallID: r.id, TargetCallID: r.id}); !errors.Is(err, ErrBadParty) {
		t.Fatalf("a call into itself: %v", err)
	}
	rep := newFakeReport()
	r.caller.events <- ua.Event{Kind: ua.EventRefer, Target: "103", Replaces: "gone;to-tag=1;from-tag=2", Refer: rep}
	<-rep.Done()
	if _, final := rep.result(); final != 481 {
		t.Fatalf("REFER replacing an unknown dialog answered %d, want 481", final)
	}
	if !bridged(r.caller, r.callee) {
		t.Fatal("call disturbed")
	}
}

func TestSendDTMF(t *testing.T) {
	r := newXRig(t)
	phone := r.callerPhone(t)
	sent := make(chan error, 1)
	go func() { sent <- r.core.SendDTMF(context.Background(), r.id, "12#", PartyCaller) }()
	var got []byte
	var lastTS uint32
	buf := make([]byte, 1500)
	for len(got) < 3 {
		if err := phone.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := phone.Read(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		if buf[1]&0x7f != sdp.TelephoneEvent.PT || n != 16 {
			t.Fatalf("packet of type %d, %d bytes; want telephone-event", buf[1]&0x7f, n)
		}
		// Each event ends with three end packets carrying its timestamp.
		if ts := binary.BigEndian.Uint32(buf[4:]); buf[13]&0x80 != 0 && (len(got) == 0 || ts != lastTS) {
			d, _ := stream.EventDigit(buf[12])
			got, lastTS = append(got, d), ts
		}
	}
	if err := <-sent; err != nil {
		t.Fatalf("SendDTMF: %v", err)
	}
	if string(got) != "12#" {
		t.Fatalf("events %q, want 12#", got)
	}
	waitUntil(t, "bridge restored", func() bool { return bridged(r.caller, r.callee) })
	for _, bad := range []struct {
		keys  string
		party Party
		want  error
	}{{"", PartyBoth, ErrBadKeys}, {"12x", PartyBoth, ErrBadKeys}, {"1", 0, ErrBadParty}} {
		if err := r.core.SendDTMF(context.Background(), r.id, bad.keys, bad.party); !errors.Is(err, bad.want) {
			t.Fatalf("SendDTMF(%q, %v): %v, want %v", bad.keys, bad.party, err, bad.want)
		}
	}
}

// replacingCaller is a call that replaces one of ours (INVITE with Replaces).
type replacingCaller struct {
	*fakeCaller
	replaces ua.Replaced
}

func (c replacingCaller) Replaces() ua.Replaced { return c.replaces }

func TestInviteWithReplaces(t *testing.T) {
	r := newXRig(t)
	// A new call takes over 102's place in the call.
	in := replacingCaller{&fakeCaller{fakeLeg: newFakeLeg(t, r.pool), dialed: "102"}, r.callee}
	r.core.Incoming(in)
	waitUntil(t, "new leg answered", func() bool { _, _, a := in.snapshot(); return a != nil })
	waitUntil(t, "bridged to the new leg", func() bool { return bridged(r.caller, in) })
	waitUntil(t, "replaced leg hung up", r.callee.hungUp)
	if s := r.snap(t); s.ID != r.id || s.Callee != "101" || s.State != StateInCall {
		t.Fatalf("snapshot %+v", s)
	}
	// Replacing a leg that is no call's is refused.
	stray := replacingCaller{&fakeCaller{fakeLeg: newFakeLeg(t, r.pool), dialed: "102"}, r.target}
	r.core.Incoming(stray)
	if rej, _, _ := stray.snapshot(); rej != 481 {
		t.Fatalf("stray replacement answered %d, want 481", rej)
	}
	in.events <- ua.Event{Kind: ua.EventHangup}
	waitUntil(t, "two records", func() bool { r.hist.mu.Lock(); defer r.hist.mu.Unlock(); return len(r.hist.recs) == 2 })
	if seg, last := r.hist.recs[0], r.hist.recs[1]; seg.State != "Transferred" || last.State != "CalleeHangUp" || last.CallID != r.id {
		t.Fatalf("records %+v", r.hist.recs)
	}
}

// TestHoldThenRefer is the usual phone flow: the transferor holds the
// call (the transferee hears music), then sends REFER (ringback), and the
// target answers (bridged, no music).
func TestHoldThenRefer(t *testing.T) {
	r := newXRig(t)
	r.caller.events <- ua.Event{Kind: ua.EventHold}
	r.waitState(t, StateHold)
	waitUntil(t, "music on hold", func() bool { return r.player.hears(r.callee.Endpoint()) == SoundMusicOnHold })
	rep := newFakeReport()
	r.caller.events <- ua.Event{Kind: ua.EventRefer, Target: "103", Refer: rep}
	r.waitState(t, StateTransferring)
	if r.player.hears(r.callee.Endpoint()) != SoundRingback {
		t.Fatal("transferee does not hear ringback")
	}
	r.target.events <- ua.Event{Kind: ua.EventAnswered}
	r.waitState(t, StateInCall)
	if !bridged(r.callee, r.target) || r.player.hears(r.callee.Endpoint()) != SoundNone {
		t.Fatal("transferee not bridged to the target")
	}
	<-rep.Done()
	waitUntil(t, "transferor released", r.caller.hungUp)
}
