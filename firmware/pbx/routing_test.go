package pbx

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// drig is a core with a dial plan: extensions 101-105, a leg prepared for
// each of 102-105, and a fake trunk.
type drig struct {
	core   *Core
	clock  *fakeClock
	hist   *memHistory
	orig   *numberOriginator
	trunk  *fakeTrunk
	legs   map[string]fakeCallee
	rt     *Routing
	pool   *relay.PortPool
	mu     sync.Mutex
	saved  [][]dialplan.Forward
	caller *fakeCaller
}

type fakeTrunk struct {
	mu    sync.Mutex
	asked []string
	leg   fakeCallee
	down  map[string]bool
}

func (f *fakeTrunk) OriginateTrunk(_ context.Context, trunk, number string, _ ua.Party, _ []sdp.Format) (CalleeLeg, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, trunk+":"+number)
	if f.down[trunk] {
		return nil, ErrTrunkDown
	}
	return f.leg, nil
}

func (f *fakeTrunk) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

func newDRig(t *testing.T, cfg dialplan.Config) *drig {
	t.Helper()
	return newDRigWith(t, cfg, nil)
}

// newDRigWith is newDRig with the SIP originator made by orig from the
// prepared legs (nil: a numberOriginator).
func newDRigWith(t *testing.T, cfg dialplan.Config, orig func(map[string]fakeCallee) Originator) *drig {
	t.Helper()
	pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 44000, Max: 44998})
	if err != nil {
		t.Fatal(err)
	}
	r := &drig{clock: &fakeClock{now: time.Unix(1_800_000_000, 0)}, hist: &memHistory{}, pool: pool, legs: map[string]fakeCallee{}}
	var exts []config.Extension
	for _, n := range []string{"101", "102", "103", "104", "105"} {
		exts = append(exts, config.Extension{Number: n, Kind: "sip", Password: "password-" + n})
		if n != "101" {
			r.legs[n] = fakeCallee{newFakeLeg(t, pool)}
		}
	}
	r.core = New(Options{Clock: r.clock, History: r.hist, Directory: NewDirectory(exts), RingTimeout: ringTimeout, MediaTimeout: mediaTimeout})
	r.orig = &numberOriginator{legs: r.legs, errs: map[string]error{}}
	if orig != nil {
		r.core.SetOriginator(orig(r.legs))
	} else {
		r.core.SetOriginator(r.orig)
	}
	r.trunk = &fakeTrunk{leg: fakeCallee{newFakeLeg(t, pool)}, down: map[string]bool{}}
	fw, err := dialplan.NewForwards(cfg.Forwards)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := dialplan.NewPlan(cfg.Routes)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FeatureCodes == (dialplan.FeatureCodes{}) {
		cfg.FeatureCodes = dialplan.DefaultFeatureCodes()
	}
	r.rt = &Routing{Plan: plan, Forwards: fw, Features: cfg.FeatureCodes, RingGroups: cfg.RingGroups, Trunks: r.trunk,
		Endpoint: pool.Allocate,
		ForwardsChanged: func(f []dialplan.Forward) {
			r.mu.Lock()
			r.saved = append(r.saved, f)
			r.mu.Unlock()
		}}
	r.core.SetRouting(r.rt)
	return r
}

func (r *drig) dial(t *testing.T, number string) *fakeCaller {
	t.Helper()
	r.caller = &fakeCaller{fakeLeg: newFakeLeg(t, r.pool), dialed: number}
	r.core.Incoming(r.caller)
	return r.caller
}

func (r *drig) asked() []string {
	r.orig.mu.Lock()
	defer r.orig.mu.Unlock()
	return slices.Clone(r.orig.asked)
}

func (r *drig) waitAsked(t *testing.T, want ...string) {
	t.Helper()
	waitUntil(t, "originations "+strings.Join(want, " "), func() bool { return slices.Equal(r.asked(), want) })
}

func (r *drig) rejected(t *testing.T, code int) {
	t.Helper()
	waitUntil(t, "caller rejected", func() bool { c, _, _ := r.caller.snapshot(); return c != 0 })
	if c, _, _ := r.caller.snapshot(); c != code {
		t.Fatalf("caller rejected with %d, want %d (asked %v)", c, code, r.asked())
	}
}

func (r *drig) answers(t *testing.T, number string) {
	t.Helper()
	r.legs[number].events <- ua.Event{Kind: ua.EventRinging, Code: 180}
	r.legs[number].events <- ua.Event{Kind: ua.EventAnswered}
	waitUntil(t, "caller answered", func() bool { _, _, a := r.caller.snapshot(); return a != nil })
	waitUntil(t, "in call", func() bool { c := r.core.Calls(); return len(c) == 1 && c[0].State == StateInCall })
	if !bridged(r.caller, r.legs[number]) {
		t.Fatalf("caller not bridged to %s", number)
	}
}

func TestForwardingRules(t *testing.T) {
	tests := []struct {
		name     string
		forwards []dialplan.Forward
		dial     string
		script   func(t *testing.T, r *drig)
	}{
		{"unconditional goes straight to the target", []dialplan.Forward{{Extension: "102", Always: "103"}}, "102",
			func(t *testing.T, r *drig) {
				r.waitAsked(t, "103")
				r.answers(t, "103")
			}},
		{"unconditional chain", []dialplan.Forward{{Extension: "102", Always: "103"}, {Extension: "103", Always: "104"}}, "102",
			func(t *testing.T, r *drig) {
				r.waitAsked(t, "104")
				r.answers(t, "104")
			}},
		{"busy rings the busy target", []dialplan.Forward{{Extension: "102", Busy: "103"}}, "102",
			func(t *testing.T, r *drig) {
				r.waitAsked(t, "102")
				r.legs["102"].events <- ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"}
				r.waitAsked(t, "102", "103")
				r.answers(t, "103")
			}},
		{"busy without a busy rule is busy", []dialplan.Forward{{Extension: "102", NoAnswer: "103"}}, "102",
			func(t *testing.T, r *drig) {
				r.waitAsked(t, "102")
				r.legs["102"].events <- ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"}
				r.rejected(t, 486)
			}},
		{"no answer cancels and rings the target", []dialplan.Forward{{Extension: "102", NoAnswer: "103", NoAnswerAfter: 10 * time.Second}}, "102",
			func(t *testing.T, r *drig) {
				r.waitAsked(t, "102")
				r.legs["102"].events <- ua.Event{Kind: ua.EventRinging, Code: 180}
				advanceUntil(t, r.clock, time.Second, "no-answer forward", func() bool { return len(r.asked()) == 2 })
				if !r.legs["102"].hungUp() {
					t.Fatal("102 still rings")
				}
				r.answers(t, "103")
			}},
		{"unregistered goes to the no-answer target", []dialplan.Forward{{Extension: "101", NoAnswer: "103"}}, "101", // no leg for 101: not registered
			func(t *testing.T, r *drig) {
				r.waitAsked(t, "101", "103")
				r.answers(t, "103")
			}},
		{"loop of unconditional forwards", []dialplan.Forward{{Extension: "102", Always: "103"}, {Extension: "103", Always: "102"}}, "102",
			func(t *testing.T, r *drig) {
				r.rejected(t, ForwardLoopCode)
				if len(r.asked()) != 0 {
					t.Fatalf("rang %v", r.asked())
				}
			}},
		{"loop through busy", []dialplan.Forward{{Extension: "102", Busy: "103"}, {Extension: "103", Always: "102"}}, "102",
			func(t *testing.T, r *drig) {
				r.waitAsked(t, "102")
				r.legs["102"].events <- ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"}
				r.rejected(t, ForwardLoopCode)
			}},
		{"loop through no answer and busy", []dialplan.Forward{{Extension: "102", NoAnswer: "103", NoAnswerAfter: 5 * time.Second}, {Extension: "103", Busy: "102"}}, "102",
			func(t *testing.T, r *drig) {
				r.waitAsked(t, "102")
				advanceUntil(t, r.clock, time.Second, "no-answer forward", func() bool { return len(r.asked()) == 2 })
				r.legs["103"].events <- ua.Event{Kind: ua.EventFailed, Code: 486, Reason: "Busy Here"}
				r.rejected(t, ForwardLoopCode)
			}},
		{"dnd is busy", []dialplan.Forward{{Extension: "102", DND: true}}, "102",
			func(t *testing.T, r *drig) { r.rejected(t, 486) }},
		{"dnd forwards to the busy target", []dialplan.Forward{{Extension: "102", DND: true, Busy: "104"}}, "102",
			func(t *testing.T, r *drig) {
				r.waitAsked(t, "104")
				r.answers(t, "104")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newDRig(t, dialplan.Config{Forwards: tc.forwards})
			r.dial(t, tc.dial)
			tc.script(t, r)
		})
	}
}

func TestFeatureCodes(t *testing.T) {
	tests := []struct {
		dial string
		code int // rejection, 0 when answered
		want dialplan.Forward
	}{
		{"*72103", 0, dialplan.Forward{Extension: "101", Always: "103", Busy: "104"}},
		{"*72103#", 0, dialplan.Forward{Extension: "101", Always: "103", Busy: "104"}},
		{"*90105", 0, dialplan.Forward{Extension: "101", Busy: "105"}},
		{"*92105", 0, dialplan.Forward{Extension: "101", Busy: "104", NoAnswer: "105"}},
		{"*73", 0, dialplan.Forward{Extension: "101"}},
		{"*78", 0, dialplan.Forward{Extension: "101", Busy: "104", DND: true}},
		{"*70", 0, dialplan.Forward{Extension: "101", Busy: "104", NoCallWaiting: true}},
		{"*72101", 403, dialplan.Forward{Extension: "101", Busy: "104"}},           // to itself
		{"*8", PickupNothingCode, dialplan.Forward{Extension: "101", Busy: "104"}}, // nothing rings
		{"*72", 404, dialplan.Forward{Extension: "101", Busy: "104"}},              // no number: not a code, no route
	}
	for _, tc := range tests {
		t.Run(tc.dial, func(t *testing.T) {
			t.Parallel()
			r := newDRig(t, dialplan.Config{Forwards: []dialplan.Forward{{Extension: "101", Busy: "104"}}})
			c := r.dial(t, tc.dial)
			if tc.code != 0 {
				r.rejected(t, tc.code)
			} else {
				waitUntil(t, "answered", func() bool { _, _, a := c.snapshot(); return a != nil })
				advanceUntil(t, r.clock, FeatureHold/2, "hung up", c.hungUp)
				r.mu.Lock()
				saved := len(r.saved)
				r.mu.Unlock()
				if saved != 1 {
					t.Errorf("forwards saved %d times", saved)
				}
			}
			if got := r.rt.Forwards.Get("101"); got != tc.want {
				t.Errorf("rule = %+v, want %+v", got, tc.want)
			}
			if len(r.asked()) != 0 {
				t.Errorf("a feature code rang %v", r.asked())
			}
		})
	}
}

func TestFeatureCodeThenCall(t *testing.T) {
	r := newDRig(t, dialplan.Config{})
	c := r.dial(t, "*72104")
	waitUntil(t, "answered", func() bool { _, _, a := c.snapshot(); return a != nil })
	advanceUntil(t, r.clock, FeatureHold/2, "hung up", c.hungUp)
	waitUntil(t, "feature call over", func() bool { return r.core.ActiveCalls() == 0 })
	r.dial(t, "101")
	r.waitAsked(t, "104")
}

func TestRingGroups(t *testing.T) {
	groups := []dialplan.RingGroup{
		{Number: "600", Strategy: dialplan.Simultaneous, Members: []string{"102", "103", "104"}, RingTime: 20 * time.Second},
		{Number: "601", Strategy: dialplan.Sequential, Members: []string{"102", "103"}, RingTime: 10 * time.Second, NoAnswer: "105"},
		{Number: "602", Strategy: dialplan.Simultaneous, Members: []string{"102", "103"}},
	}
	t.Run("simultaneous, first answer wins", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, dialplan.Config{RingGroups: groups})
		r.dial(t, "600")
		r.waitAsked(t, "102", "103", "104")
		r.legs["102"].events <- ua.Event{Kind: ua.EventRinging, Code: 180}
		r.legs["104"].events <- ua.Event{Kind: ua.EventFailed, Code: 486}
		r.answers(t, "103")
		if !r.legs["102"].hungUp() || r.legs["103"].hungUp() {
			t.Fatal("the losers were not cancelled, or the winner was")
		}
		if _, ringing, _ := r.caller.snapshot(); ringing != 1 {
			t.Fatalf("caller got %d ringing, want 1", ringing)
		}
	})
	t.Run("simultaneous, all busy", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, dialplan.Config{RingGroups: groups})
		r.dial(t, "602")
		r.waitAsked(t, "102", "103")
		r.legs["102"].events <- ua.Event{Kind: ua.EventFailed, Code: 486}
		r.legs["103"].events <- ua.Event{Kind: ua.EventFailed, Code: 486}
		r.rejected(t, 486)
	})
	t.Run("simultaneous, nobody answers", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, dialplan.Config{RingGroups: groups})
		r.dial(t, "600")
		r.waitAsked(t, "102", "103", "104")
		advanceUntil(t, r.clock, time.Second, "rejected", func() bool { c, _, _ := r.caller.snapshot(); return c != 0 })
		r.rejected(t, 480)
	})
	t.Run("sequential, then no-answer number", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, dialplan.Config{RingGroups: groups})
		r.dial(t, "601")
		r.waitAsked(t, "102")
		advanceUntil(t, r.clock, time.Second, "second member", func() bool { return len(r.asked()) == 2 })
		if !r.legs["102"].hungUp() {
			t.Fatal("first member still rings")
		}
		r.legs["103"].events <- ua.Event{Kind: ua.EventFailed, Code: 486}
		r.waitAsked(t, "102", "103", "105")
		r.answers(t, "105")
	})
	t.Run("caller cancels", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, dialplan.Config{RingGroups: groups})
		r.dial(t, "600")
		r.waitAsked(t, "102", "103", "104")
		r.caller.events <- ua.Event{Kind: ua.EventCancelled}
		waitUntil(t, "members cancelled", func() bool {
			return r.legs["102"].hungUp() && r.legs["103"].hungUp() && r.legs["104"].hungUp()
		})
		if rec := r.hist.wait(t); rec.State != "Cancelled" {
			t.Fatalf("record %+v", rec)
		}
	})
}

func TestRoutes(t *testing.T) {
	cfg := dialplan.Config{
		Routes: []dialplan.Route{
			{Name: "internal", Prefix: "8", MinLength: 4, Strip: 1, Target: dialplan.Target{Kind: dialplan.TargetExtension}},
			{Name: "group", Exact: "0", Target: dialplan.Target{Kind: dialplan.TargetRingGroup, Name: "600"}},
			{Name: "out", Prefix: "9", Strip: 1, Target: dialplan.Target{Kind: dialplan.TargetTrunk, Name: "a"}},
			{Name: "out-backup", Prefix: "9", Priority: 1, Strip: 1, Prepend: "+1", Target: dialplan.Target{Kind: dialplan.TargetTrunk, Name: "b"}},
		},
		RingGroups: []dialplan.RingGroup{{Number: "600", Strategy: dialplan.Simultaneous, Members: []string{"102", "103"}}},
		Forwards:   []dialplan.Forward{{Extension: "104", Always: "95551234"}},
	}
	t.Run("rewritten to an extension", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, cfg)
		r.dial(t, "8103")
		r.waitAsked(t, "103")
		r.answers(t, "103")
	})
	t.Run("to a ring group", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, cfg)
		r.dial(t, "0")
		r.waitAsked(t, "102", "103")
	})
	t.Run("to a trunk, next trunk when down", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, cfg)
		r.trunk.down["a"] = true
		r.dial(t, "95551234")
		waitUntil(t, "trunk calls", func() bool { return len(r.trunk.calls()) == 2 })
		if got := r.trunk.calls(); !slices.Equal(got, []string{"a:5551234", "b:+15551234"}) {
			t.Fatalf("trunk calls %v", got)
		}
	})
	t.Run("forward to an outside number", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, cfg)
		r.dial(t, "104")
		waitUntil(t, "trunk call", func() bool { return len(r.trunk.calls()) == 1 })
		if got := r.trunk.calls(); got[0] != "a:5551234" {
			t.Fatalf("trunk calls %v", got)
		}
	})
	t.Run("no route", func(t *testing.T) {
		t.Parallel()
		r := newDRig(t, cfg)
		r.dial(t, "777")
		r.rejected(t, 404)
	})
}

// binderLeg counts BindCall.
type binderLeg struct {
	fakeCallee
	mu    *sync.Mutex
	bound map[string]int
	name  string
}

func (b binderLeg) BindCall(id string) {
	b.mu.Lock()
	b.bound[b.name]++
	b.mu.Unlock()
}

type binderOriginator struct{ legs map[string]binderLeg }

func (o binderOriginator) Originate(_ context.Context, number string, _ ua.Party, _ []sdp.Format) (CalleeLeg, error) {
	return o.legs[number], nil
}

// TestHuntBindsEachLegOnce: API extension legs start their script on
// BindCall, so every inner leg of a hunt is bound exactly once, however
// the hunt's goroutine and the call's race.
func TestHuntBindsEachLegOnce(t *testing.T) {
	var mu sync.Mutex
	bound := map[string]int{}
	r := newDRigWith(t, dialplan.Config{
		RingGroups: []dialplan.RingGroup{{Number: "600", Strategy: dialplan.Simultaneous, Members: []string{"102", "103"}}},
		Forwards:   []dialplan.Forward{{Extension: "104", Busy: "105"}},
	}, func(legs map[string]fakeCallee) Originator {
		o := binderOriginator{legs: map[string]binderLeg{}}
		for n, l := range legs {
			o.legs[n] = binderLeg{fakeCallee: l, mu: &mu, bound: bound, name: n}
		}
		return o
	})
	count := func(n string) int { mu.Lock(); defer mu.Unlock(); return bound[n] }
	r.dial(t, "600")
	waitUntil(t, "members bound", func() bool { return count("102") == 1 && count("103") == 1 })
	r.answers(t, "103")
	r.dial(t, "104")
	waitUntil(t, "104 bound", func() bool { return count("104") == 1 })
	r.legs["104"].events <- ua.Event{Kind: ua.EventFailed, Code: 486}
	waitUntil(t, "105 bound", func() bool { return count("105") == 1 })
	r.legs["105"].events <- ua.Event{Kind: ua.EventAnswered}
	waitUntil(t, "second call answered", func() bool { _, _, a := r.caller.snapshot(); return a != nil })
	for _, n := range []string{"102", "103", "104", "105"} {
		if c := count(n); c != 1 {
			t.Errorf("%s bound %d times", n, c)
		}
	}
}
