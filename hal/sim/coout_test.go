package sim

import (
	"context"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/line"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/tone"
)

// listen reads what the CO sends for d and returns the tone recognised
// (0: none) and the level of the last frame, in dBm0.
func listen(t *testing.T, clock *ManualClock, port *line.FXO, det *line.ToneDetector, d time.Duration, send func(*hal.Frame)) (tone.Kind, float64) {
	t.Helper()
	var heard tone.Kind
	var m meter
	for elapsed := time.Duration(0); elapsed < d; elapsed += hal.FrameDuration {
		var out hal.Frame
		if send != nil {
			send(&out)
			must(t, port.Audio().WriteFrame(&out))
		}
		clock.Advance(hal.FrameDuration)
		var f hal.Frame
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := port.Audio().ReadFrame(ctx, &f)
		cancel()
		must(t, err)
		m = meter{}
		m.add(&f)
		if k := det.Frame(&f); k != 0 {
			heard = k
		}
	}
	return heard, m.dBm0()
}

// A call out through the CO line: dial tone after the seizure, digits
// collected (DTMF or pulses), dial tone gone at the first digit, a far
// party that answers and talks, busy tone when it hangs up (which the
// line engine's supervision reports).
func TestCOAnswersCallOut(t *testing.T) {
	b, clock := newTestBoard(t, "us")
	co, _ := b.CO("fxo0")
	port := co.Port()
	var tones []tone.Tone
	for _, k := range []tone.Kind{tone.Dial, tone.Busy} {
		tn, err := tone.Lookup(b.Region().Tones, k)
		must(t, err)
		tones = append(tones, tn)
	}
	det := line.NewToneDetector(tones, 2)

	must(t, port.Seize())
	if k, _ := listen(t, clock, port, det, time.Second, nil); k != tone.Dial {
		t.Fatalf("heard %v after the seizure, want dial tone", k)
	}
	g, err := dtmf.NewGenerator(dtmf.DefaultGeneratorConfig())
	must(t, err)
	must(t, g.Play("5551234"))
	_, level := listen(t, clock, port, det, 1600*time.Millisecond, func(f *hal.Frame) { g.Fill(f[:]) })
	if n, seized := co.Dialled(); n != "5551234" || !seized {
		t.Fatalf("dialled %q (seized %v), want 5551234", n, seized)
	}
	if level > -60 {
		t.Errorf("dial tone still on after dialling: %.1f dBm0", level)
	}
	must(t, co.Answer())
	if _, level := listen(t, clock, port, det, 200*time.Millisecond, nil); level < -20 {
		t.Errorf("the far party is quiet: %.1f dBm0", level)
	}
	pending(port.Events())
	must(t, co.FarHangup())
	if k, _ := listen(t, clock, port, det, 3*time.Second, nil); k != tone.Busy {
		t.Errorf("heard %v after the far party hung up, want busy", k)
	}
	evs := pending(port.Events())
	if len(evs) != 1 || evs[0].Type != hal.Disconnect || evs[0].Cause != hal.CauseBusyTone {
		t.Errorf("events %+v, want a busy-tone disconnect", evs)
	}
	must(t, port.Release())
	clock.Advance(2 * time.Second)
	if _, seized := co.Dialled(); seized {
		t.Error("still seized after Release")
	}
	if err := co.Answer(); err == nil {
		t.Error("Answer on an idle line accepted")
	}

	// A new call dialled by pulses.
	must(t, port.Seize())
	listen(t, clock, port, det, time.Second, nil)
	must(t, port.DialPulse("42"))
	clock.Advance(3 * time.Second)
	if n, _ := co.Dialled(); n != "42" {
		t.Errorf("pulses dialled %q, want 42", n)
	}
}
