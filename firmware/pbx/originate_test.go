package pbx

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// legsByNumber originates a prepared leg per number and remembers who
// each was rung for.
type legsByNumber struct {
	mu   sync.Mutex
	legs map[string]fakeCallee
	from map[string]ua.Party
	seq  []string
}

func (o *legsByNumber) Originate(_ context.Context, number string, from ua.Party, _ []sdp.Format) (CalleeLeg, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.from[number] = from
	o.seq = append(o.seq, number)
	return o.legs[number], nil
}

func (o *legsByNumber) rung() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seq...)
}

func TestCallSetup(t *testing.T) {
	tests := []struct {
		name      string
		script    func(t *testing.T, clock *fakeClock, a, b fakeCallee)
		wantFail  *ConnectError // nil: connected
		wantRung  []string
		wantAHung bool
	}{
		{name: "connected", wantRung: []string{"101", "102"}, script: func(t *testing.T, _ *fakeClock, a, b fakeCallee) {
			a.events <- ua.Event{Kind: ua.EventRinging}
			a.events <- ua.Event{Kind: ua.EventAnswered}
			waitUntil(t, "102 rung", func() bool { return len(b.events) == 0 })
			b.events <- ua.Event{Kind: ua.EventRinging}
			b.events <- ua.Event{Kind: ua.EventAnswered}
		}},
		{name: "caller busy", wantRung: []string{"101"}, wantFail: &ConnectError{Target: "101", State: "Busy"},
			script: func(t *testing.T, _ *fakeClock, a, _ fakeCallee) {
				a.events <- ua.Event{Kind: ua.EventFailed, Code: 486}
			}},
		{name: "caller does not answer", wantRung: []string{"101"}, wantFail: &ConnectError{Target: "101", State: "NoAnswer"}, wantAHung: true,
			script: func(t *testing.T, clock *fakeClock, a, _ fakeCallee) {
				waitUntil(t, "ring timer", func() bool { return clock.pending() > 0 })
				clock.Advance(16 * time.Second)
				waitUntil(t, "CANCEL", a.hungUp)
				a.events <- ua.Event{Kind: ua.EventFailed, Code: 487}
			}},
		{name: "callee busy", wantRung: []string{"101", "102"}, wantFail: &ConnectError{Target: "102", State: "Busy"}, wantAHung: true,
			script: func(t *testing.T, _ *fakeClock, a, b fakeCallee) {
				a.events <- ua.Event{Kind: ua.EventAnswered}
				b.events <- ua.Event{Kind: ua.EventFailed, Code: 486}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 43000, Max: 43998})
			if err != nil {
				t.Fatal(err)
			}
			clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
			hist := &memHistory{}
			dir := NewDirectory([]config.Extension{{Number: "101", Kind: "sip", DisplayName: "Anna"}, {Number: "102", Kind: "sip", DisplayName: "Bob"}})
			core := New(Options{Clock: clock, History: hist, Directory: dir, RingTimeout: ringTimeout})
			a, b := fakeCallee{newFakeLeg(t, pool)}, fakeCallee{newFakeLeg(t, pool)}
			orig := &legsByNumber{legs: map[string]fakeCallee{"101": a, "102": b}, from: map[string]ua.Party{}}
			core.SetOriginator(orig)
			fails := make(chan *ConnectError, 2)
			if err := core.CallSetup(CallSetup{Caller: "101", Callee: "102", RingTime: 15 * time.Second, OnFail: func(ce *ConnectError) { fails <- ce }}); err != nil {
				t.Fatal(err)
			}
			tc.script(t, clock, a, b)
			if tc.wantFail == nil {
				waitUntil(t, "InCall", func() bool {
					calls := core.Calls()
					return len(calls) == 1 && calls[0].State == StateInCall && calls[0].Caller == "101" && calls[0].Dialed == "102"
				})
				if from := orig.from["101"]; from.Number != "102" || from.DisplayName != "Bob" {
					t.Fatalf("101 saw %+v calling", from)
				}
				if from := orig.from["102"]; from.Number != "101" || from.DisplayName != "Anna" {
					t.Fatalf("102 saw %+v calling", from)
				}
				b.events <- ua.Event{Kind: ua.EventHangup}
				if rec := hist.wait(t); rec.State != "CalleeHangUp" || rec.Caller != "101" || rec.Callee != "102" {
					t.Fatalf("history %+v", rec)
				}
			} else {
				ce := <-fails
				if ce.Target != tc.wantFail.Target || ce.State != tc.wantFail.State {
					t.Fatalf("OnFail %+v, want %+v", ce, tc.wantFail)
				}
			}
			if got := orig.rung(); len(got) != len(tc.wantRung) || got[0] != tc.wantRung[0] {
				t.Fatalf("rung %v, want %v", got, tc.wantRung)
			}
			if tc.wantAHung && !a.hungUp() {
				t.Fatal("101's leg not ended")
			}
			_ = core.Shutdown(context.Background())
		})
	}
}

func TestCallSetupUnknownCaller(t *testing.T) {
	core := New(Options{Directory: NewDirectory(nil)})
	var got *ConnectError
	err := core.CallSetup(CallSetup{Caller: "109", Callee: "102", OnFail: func(ce *ConnectError) { got = ce }})
	if ce, ok := err.(*ConnectError); !ok || ce.State != "NotFound" || got != ce {
		t.Fatalf("err %v, OnFail %v", err, got)
	}
}
