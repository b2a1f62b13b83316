package analog_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// fxoOriginator adapts the adapter to pbx.FXOOriginator, as firmware/app
// does.
type fxoOriginator struct{ originator }

func (o fxoOriginator) OriginateFXO(ctx context.Context, lines, number string, from ua.Party, formats []sdp.Format) (pbx.CalleeLeg, error) {
	leg, err := o.a.OriginateFXO(ctx, lines, number, from, formats)
	if err != nil {
		return nil, err
	}
	return leg, nil
}

// withPSTNRoutes routes 9 + number out through fxo0 (DTMF) and 8 + number
// through fxo1 (pulses).
func (r *rig) withPSTNRoutes() {
	r.t.Helper()
	plan, err := dialplan.NewPlan([]dialplan.Route{
		{Name: "pstn", Prefix: "9", MinLength: 2, Strip: 1, Target: dialplan.Target{Kind: dialplan.TargetFXO, Name: "fxo0"}},
		{Name: "rotary", Prefix: "8", MinLength: 2, Strip: 1, Target: dialplan.Target{Kind: dialplan.TargetFXO, Name: "fxo1"}},
	})
	must(r.t, err)
	r.core.SetRouting(&pbx.Routing{Plan: plan})
	r.core.SetFXOOriginator(fxoOriginator{originator{r.ad}})
}

func (r *rig) co(name string) *sim.CO {
	c, ok := r.board.CO(name)
	if !ok {
		r.t.Fatalf("no CO line %s", name)
	}
	return c
}

// An analog phone calls out through an FXO line: the line is seized, the
// number dialled after dial tone (DTMF, or pulses on fxo1), the call
// answered once dialled; audio both ways; the far party's hang-up (busy
// tone on the line) ends it.
func TestCallOutThroughFXO(t *testing.T) {
	for _, tc := range []struct{ name, line, dial, want string }{
		{"dtmf", "fxo0", "95551234#", "5551234"},
		{"pulse", "fxo1", "8302#", "302"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, time.Minute)
			r.withPSTNRoutes()
			co := r.co(tc.line)
			a := r.phone("fxs0")
			must(t, a.OffHook())
			r.until("dial tone", heard(a, tone.Dial))
			must(t, a.DialDTMF(tc.dial))
			r.until("the number dialled on "+tc.line, func() bool { n, seized := co.Dialled(); return seized && n == tc.want })
			r.until("answered once dialled", r.state(pbx.StateInCall))
			must(t, co.Answer())
			r.until("the phone hears the far party", hears(a.Level))
			a.Say(sine())
			r.until("the far party hears the phone", hears(co.Level))
			must(t, co.FarHangup())
			r.until("line released", func() bool { _, seized := co.Dialled(); return !seized })
			r.until("busy tone", heard(a, tone.Busy))
			must(t, a.OnHook())
			r.until("call over", func() bool { return r.core.ActiveCalls() == 0 })
		})
	}
}

func TestCallOutThroughFXOFails(t *testing.T) {
	t.Run("no dial tone", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		r.withPSTNRoutes()
		co := r.co("fxo0")
		co.SetDialTone(false)
		a := r.phone("fxs0")
		must(t, a.OffHook())
		r.until("dial tone", heard(a, tone.Dial))
		must(t, a.DialDTMF("95551234#"))
		r.until("line seized", co.Seized)
		r.until("congestion after the dial-tone wait", heard(a, tone.Congestion))
		if co.Seized() {
			t.Error("line still seized")
		}
		if n, _ := co.Dialled(); n != "" {
			t.Errorf("dialled %q without dial tone", n)
		}
		must(t, a.OnHook())
		r.until("call over", func() bool { return r.core.ActiveCalls() == 0 })
	})
	t.Run("line busy", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		r.withPSTNRoutes()
		co := r.co("fxo0")
		a, b := r.phone("fxs0"), r.phone("fxs1")
		must(t, a.OffHook())
		r.until("dial tone", heard(a, tone.Dial))
		must(t, a.DialDTMF("95551234#"))
		r.until("answered once dialled", r.state(pbx.StateInCall))
		must(t, b.OffHook())
		r.until("dial tone on fxs1", heard(b, tone.Dial))
		must(t, b.DialDTMF("95550000#"))
		r.until("congestion: every line busy", heard(b, tone.Congestion))
		must(t, b.OnHook())
		if n, _ := co.Dialled(); n != "5551234" {
			t.Errorf("line dialled %q, want the first call's 5551234 only", n)
		}
		must(t, a.OnHook())
		r.until("line released", func() bool { return !co.Seized() })
		r.until("calls over", func() bool { return r.core.ActiveCalls() == 0 })
	})
}

func TestOriginateFXORefuses(t *testing.T) {
	t.Parallel()
	r := newRig(t, time.Minute)
	for _, tc := range []struct{ lines, number string }{
		{"fxs0", "5551234"},     // not an FXO line
		{"fxo9", "5551234"},     // no such port
		{"", "5551234"},         // no line named
		{"fxo0", ""},            // nothing to dial
		{"fxo0", "+15551234"},   // not a DTMF digit
		{"fxo1", "555*1"},       // a pulse line dials digits only
		{"fxo0,fxo7", "555123"}, // one bad name spoils the list
	} {
		if leg, err := r.ad.OriginateFXO(context.Background(), tc.lines, tc.number, ua.Party{Number: "201"}, nil); err == nil {
			leg.Hangup()
			t.Errorf("OriginateFXO(%q, %q) accepted", tc.lines, tc.number)
		}
	}
	for _, name := range []string{"fxo0", "fxo1"} {
		if co := r.co(name); co.Seized() {
			t.Errorf("%s seized by a refused call", name)
		}
	}
}
