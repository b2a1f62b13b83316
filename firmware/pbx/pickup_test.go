package pbx

import (
	"context"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// partyCaller is a caller leg of any number; trunk and picksUp make it a
// trunk's call or an INVITE with Replaces aimed at an early dialog.
type partyCaller struct {
	*fakeCaller
	number  string
	trunk   string
	picksUp string
}

func (c *partyCaller) Caller() ua.Party { return ua.Party{Number: c.number} }
func (c *partyCaller) Trunk() string    { return c.trunk }
func (c *partyCaller) PicksUp() string  { return c.picksUp }

func (r *drig) dialFrom(t *testing.T, number, dialled string) *partyCaller {
	t.Helper()
	c := &partyCaller{fakeCaller: &fakeCaller{fakeLeg: newFakeLeg(t, r.pool), dialed: dialled}, number: number}
	r.core.Incoming(c)
	return c
}

// ringing makes 102 ring for a call from 101 and waits for the state.
func (r *drig) ringing(t *testing.T, number string) {
	t.Helper()
	r.dial(t, number)
	r.waitAsked(t, number)
	r.legs[number].events <- ua.Event{Kind: ua.EventRinging, Code: 180}
	waitUntil(t, "ringing", func() bool { c := r.core.Calls(); return len(c) == 1 && c[0].State == StateRinging })
}

// idCallee is a callee leg with a SIP Call-ID, like ua.OutboundLeg.
type idCallee struct{ fakeCallee }

func (idCallee) CallID() string { return "early-102@test" }

type idOriginator struct{ *numberOriginator }

func (o idOriginator) Originate(ctx context.Context, number string, from ua.Party, f []sdp.Format) (CalleeLeg, error) {
	leg, err := o.numberOriginator.Originate(ctx, number, from, f)
	if err != nil || number != "102" {
		return leg, err
	}
	return idCallee{leg.(fakeCallee)}, nil
}

func TestPickup(t *testing.T) {
	tests := []struct {
		name    string
		groups  map[string]string // extension → pickup group
		dial    string
		picksUp string
		code    int // the picker's rejection; 0: picked up
	}{
		{"directed", nil, "**102", "", 0},
		{"directed with #", nil, "**102#", "", 0},
		{"group, default group", nil, "*8", "", 0},
		{"group, same named group", map[string]string{"102": "sales", "103": "sales"}, "*8", "", 0},
		{"group, other group", map[string]string{"102": "sales"}, "*8", "", PickupNothingCode},
		{"directed, nothing rings there", nil, "**104", "", PickupNothingCode},
		{"replaces an early dialog", nil, "102", "early-102@test", 0},
		{"replaces an unknown early dialog", nil, "102", "other@test", 481},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var r *drig
			r = newDRigWith(t, dialplan.Config{}, func(legs map[string]fakeCallee) Originator {
				return idOriginator{&numberOriginator{legs: legs, errs: map[string]error{}}}
			})
			r.orig = r.core.sip.Load().(idOriginator).numberOriginator
			if tc.groups != nil {
				var exts []config.Extension
				for _, n := range []string{"101", "102", "103", "104", "105"} {
					exts = append(exts, config.Extension{Number: n, Kind: "sip", Password: "password-" + n, PickupGroup: tc.groups[n]})
				}
				r.core.SetDirectory(NewDirectory(exts))
			}
			r.ringing(t, "102")
			caller := r.caller
			p := &partyCaller{fakeCaller: &fakeCaller{fakeLeg: newFakeLeg(t, r.pool), dialed: tc.dial}, number: "103", picksUp: tc.picksUp}
			r.core.Incoming(p)
			if tc.code != 0 {
				waitUntil(t, "picker rejected", func() bool { c, _, _ := p.snapshot(); return c != 0 })
				if c, _, _ := p.snapshot(); c != tc.code {
					t.Fatalf("picker rejected with %d, want %d", c, tc.code)
				}
				if r.legs["102"].hungUp() || len(r.core.Calls()) != 1 || r.core.Calls()[0].State != StateRinging {
					t.Fatal("the ringing call was disturbed")
				}
				return
			}
			waitUntil(t, "both answered", func() bool {
				_, _, a := caller.snapshot()
				_, _, b := p.snapshot()
				return a != nil && b != nil
			})
			waitUntil(t, "102 cancelled", r.legs["102"].hungUp)
			calls := r.core.Calls()
			if len(calls) != 1 || calls[0].State != StateInCall || calls[0].Callee != "103" {
				t.Fatalf("calls %+v", calls)
			}
			waitUntil(t, "bridged", func() bool { return bridged(caller, p) })
			p.events <- ua.Event{Kind: ua.EventHangup}
			if rec := r.hist.wait(t); rec.Caller != "101" || rec.Callee != "103" || rec.Dialed != "102" || rec.State != "CalleeHangUp" {
				t.Fatalf("history %+v", rec)
			}
		})
	}
}

// TestPickupFromOutside: a caller that is not an extension may not pick
// up.
func TestPickupFromOutside(t *testing.T) {
	t.Parallel()
	r := newDRig(t, dialplan.Config{})
	r.ringing(t, "102")
	p := r.dialFrom(t, "5551234", "**102")
	waitUntil(t, "picker rejected", func() bool { c, _, _ := p.snapshot(); return c == 403 })
	// A trunk's call for a "DID" that is a pickup code, claiming to be an
	// extension, is routed by its DID (none: 404).
	tc := &partyCaller{fakeCaller: &fakeCaller{fakeLeg: newFakeLeg(t, r.pool), dialed: "**102"}, number: "103", trunk: "prov"}
	r.core.Incoming(tc)
	waitUntil(t, "trunk caller rejected", func() bool { c, _, _ := tc.snapshot(); return c == 404 })
	if r.legs["102"].hungUp() {
		t.Fatal("a trunk call picked 102's call up")
	}
}

func TestCallWaiting(t *testing.T) {
	tests := []struct {
		name   string
		rule   dialplan.Forward
		code   int    // the second caller's rejection, 0: rung
		second string // the number rung for the second call
	}{
		{"on rings the busy phone", dialplan.Forward{Extension: "102"}, 0, "102"},
		{"off is busy", dialplan.Forward{Extension: "102", NoCallWaiting: true}, 486, ""},
		{"off forwards on busy", dialplan.Forward{Extension: "102", NoCallWaiting: true, Busy: "104"}, 0, "104"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fw := []dialplan.Forward{tc.rule}
			if tc.rule == (dialplan.Forward{Extension: "102"}) {
				fw = nil
			}
			r := newDRig(t, dialplan.Config{Forwards: fw})
			r.dial(t, "102")
			r.waitAsked(t, "102")
			r.answers(t, "102")
			if !r.core.InCall("102") || !r.core.InCall("101") || r.core.InCall("103") {
				t.Fatal("InCall does not see the call")
			}
			second := r.dialFrom(t, "103", "102")
			if tc.code != 0 {
				waitUntil(t, "second caller rejected", func() bool { c, _, _ := second.snapshot(); return c != 0 })
				if c, _, _ := second.snapshot(); c != tc.code || len(r.asked()) != 1 {
					t.Fatalf("second caller got %d, rang %v", c, r.asked())
				}
				return
			}
			r.waitAsked(t, "102", tc.second)
		})
	}
}

// TestForwardHopRingsItsOwnTime: the no-answer target rings for the whole
// ring timeout, counted from when it starts ringing; the history names
// it as the callee.
func TestForwardHopRingsItsOwnTime(t *testing.T) {
	for _, answer := range []bool{true, false} {
		t.Run(map[bool]string{true: "answers", false: "times out"}[answer], func(t *testing.T) {
			t.Parallel()
			r := newDRig(t, dialplan.Config{Forwards: []dialplan.Forward{{Extension: "102", NoAnswer: "103", NoAnswerAfter: 20 * time.Second}}})
			r.dial(t, "102")
			r.waitAsked(t, "102")
			r.legs["102"].events <- ua.Event{Kind: ua.EventRinging, Code: 180}
			advanceUntil(t, r.clock, time.Second, "no-answer forward", func() bool { return len(r.asked()) == 2 })
			r.legs["103"].events <- ua.Event{Kind: ua.EventRinging, Code: 180}
			// Past the call's ring timeout counted from the first ring.
			for range int((ringTimeout - 20*time.Second) / time.Second) {
				r.clock.Advance(time.Second)
				time.Sleep(time.Millisecond)
			}
			if c, _, _ := r.caller.snapshot(); c != 0 || r.legs["103"].hungUp() {
				t.Fatalf("the call ended at the first hop's ring timeout (caller %d)", c)
			}
			if !answer {
				advanceUntil(t, r.clock, time.Second, "the target's ring timeout", r.legs["103"].hungUp)
				r.rejected(t, 480)
				return
			}
			r.answers(t, "103")
			r.caller.events <- ua.Event{Kind: ua.EventHangup}
			if rec := r.hist.wait(t); rec.Callee != "103" || rec.Dialed != "102" {
				t.Fatalf("history %+v", rec)
			}
		})
	}
}

func TestInboundByDID(t *testing.T) {
	dids := map[string]string{"5550100": "102", "5550101": "600"}
	tests := []struct {
		name, did string
		fallback  string // the trunk's default
		code      int
		rung      string
	}{
		{"mapped DID", "5550100", "", 0, "102"},
		{"ring group DID", "5550101", "", 0, "103"},
		{"default", "5559999", "104", 0, "104"},
		{"unknown", "5559999", "", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newDRig(t, dialplan.Config{RingGroups: []dialplan.RingGroup{{Number: "600", Strategy: dialplan.Simultaneous, Members: []string{"103"}}}})
			r.core.SetInboundRoutes(func(trunk, did string) (string, bool) {
				if trunk != "prov" {
					return "", false
				}
				if to, ok := dids[did]; ok {
					return to, true
				}
				return tc.fallback, tc.fallback != ""
			})
			c := &partyCaller{fakeCaller: &fakeCaller{fakeLeg: newFakeLeg(t, r.pool), dialed: tc.did}, number: "+3611234567", trunk: "prov"}
			r.caller = c.fakeCaller
			r.core.Incoming(c)
			if tc.code != 0 {
				r.rejected(t, tc.code)
			} else {
				r.waitAsked(t, tc.rung)
				r.answers(t, tc.rung)
				c.events <- ua.Event{Kind: ua.EventHangup}
			}
			rec := r.hist.wait(t)
			if rec.Direction != "inbound" || rec.Dialed != tc.did || rec.Caller != "+3611234567" || tc.rung != "" && rec.Callee != tc.rung {
				t.Fatalf("history %+v", rec)
			}
		})
	}
}
