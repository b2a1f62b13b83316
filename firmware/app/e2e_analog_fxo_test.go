package app

import (
	"math"
	"sync/atomic"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// PSTN out: a SIPp phone dials 9 + a number, the dial plan's fxo route
// seizes the sim board's FXO line, which dials it to the virtual CO.

// fxoApp starts the appliance with a "9 + number" route out through any
// FXO line and returns the virtual CO line on fxo0.
func fxoApp(t *testing.T) (*App, *sim.CO) {
	t.Helper()
	cfg := testConfig(t.TempDir())
	cfg.Dialplan.Routes = append(cfg.Dialplan.Routes, dialplan.Route{Name: "pstn", Prefix: "9", MinLength: 2, Strip: 1,
		Target: dialplan.Target{Kind: dialplan.TargetFXO, Name: "any"}})
	a, _, _ := twoPhoneApp(t, cfg)
	co, ok := a.board.(*sim.Board).CO("fxo0")
	if !ok {
		t.Fatal("sim board has no fxo0")
	}
	return a, co
}

// energyTap measures the loudest frame of the audio arriving at an
// endpoint, in dBm0 (−100: nothing).
type energyTap struct{ peak atomic.Uint64 } // math.Float64bits of the mean square

func (e *energyTap) tap() relay.AudioTapFunc {
	var pcm [stream.MaxPayload]int16
	return func(pt uint8, _ uint32, payload []byte) {
		n, audio := stream.Decode(pt, pcm[:], payload)
		if !audio || n == 0 {
			return
		}
		var sum float64
		for _, s := range pcm[:n] {
			sum += float64(s) * float64(s)
		}
		ms := sum / float64(n)
		for {
			old := e.peak.Load()
			if ms <= math.Float64frombits(old) || e.peak.CompareAndSwap(old, math.Float64bits(ms)) {
				return
			}
		}
	}
}

func (e *energyTap) dBm0() float64 {
	ms := math.Float64frombits(e.peak.Load())
	if ms < 1 {
		return -100
	}
	return 10*math.Log10(ms/(32767.0*32767.0/2)) + 3.14
}

func TestSIPCallsOutThroughFXO(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a, co := fxoApp(t)
	c := caller(t, a, "uac_call.xml", "hangup_wait.part", "95551234", map[string]string{})
	waitFor(t, "the CO line seized and 5551234 dialled", func() bool { n, seized := co.Dialled(); return seized && n == "5551234" })
	var callID string
	waitFor(t, "call answered once dialled", func() bool {
		cs := a.Core().Calls()
		if len(cs) == 1 && !cs[0].Answer.IsZero() {
			callID = cs[0].ID
			return true
		}
		return false
	})
	_, fxoEP, ok := a.Core().Endpoints(callID)
	if !ok || fxoEP == nil {
		t.Fatal("no endpoint for the FXO leg")
	}
	var far energyTap
	fxoEP.SetAudioTap(far.tap())
	if err := co.Answer(); err != nil {
		t.Fatal(err)
	}
	// The far party's tone enters the bridge towards SIPp, SIPp's audio
	// reaches the CO.
	waitFor(t, "the far party's tone on its way to SIPp", func() bool { return far.dBm0() > -30 })
	waitFor(t, "SIPp's audio on the CO line", func() bool { return co.Level() > -40 })

	// Every FXO line busy: a second call out fails with 503.
	busy := caller(t, a, "uac_fail.xml", "", "95550000", map[string]string{"CODE": "503"})
	if err := busy.Wait(); err != nil {
		t.Fatalf("second call while the line is busy: %v", err)
	}

	// The far party hangs up: busy tone, the line engine's supervision
	// ends the call, SIPp gets BYE.
	if err := co.FarHangup(); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	waitFor(t, "FXO line released", func() bool { _, seized := co.Dialled(); return !seized })
	rec := lastRecord(t, a, 2)
	if rec.State != "CalleeHangUp" || rec.Caller != "101" || rec.Answer.IsZero() || rec.RTPToCaller < 50 {
		t.Fatalf("history record %+v", rec)
	}
}
