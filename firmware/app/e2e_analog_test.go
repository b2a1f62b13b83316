package app

import (
	"strconv"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// Analog phone ↔ SIP phone through the running appliance: the sim board's
// virtual phone on fxs0 (extension 201) and SIPp.

// analogApp starts the appliance with extension 201 on the sim board's
// fxs0 and returns the virtual phone there.
func analogApp(t *testing.T) (*App, *sim.Phone) {
	t.Helper()
	cfg := testConfig(t.TempDir())
	cfg.Extensions = append(cfg.Extensions, config.Extension{Number: "201", Kind: config.KindAnalog, DisplayName: "Desk", Port: "fxs0"})
	a := startTestApp(t, cfg)
	b, ok := a.board.(*sim.Board)
	if !ok {
		t.Fatalf("board is %T, want the sim board", a.board)
	}
	p, ok := b.Phone("fxs0")
	if !ok {
		t.Fatal("sim board has no fxs0")
	}
	return a, p
}

// voice is 8 s of a 1 kHz square wave (energy, but no DTMF pair).
func voice() []int16 {
	s := make([]int16, 8*hal.SampleRate)
	for i := range s {
		if (i/4)%2 == 0 {
			s[i] = 6000
		} else {
			s[i] = -6000
		}
	}
	return s
}

func TestSIPCallsAnalogPhone(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a, p := analogApp(t)
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", "201", map[string]string{"TALK": "3000"})
	waitFor(t, "fxs0 rings", func() bool { return p.RingCount() > 0 })
	waitFor(t, "caller ID 101 on fxs0", func() bool { id := p.LastCallerID(); return id != nil && id.Number == "101" })
	if err := p.OffHook(); err != nil {
		t.Fatal(err)
	}
	p.Say(voice())
	waitFor(t, "SIPp's audio on fxs0", func() bool { return p.Level() > -40 })
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	waitFor(t, "busy tone after the SIP phone hung up", func() bool { return p.Heard() == tone.Busy })
	if err := p.OnHook(); err != nil {
		t.Fatal(err)
	}
	rec := lastRecord(t, a, 1)
	if rec.State != "CallerHangUp" || rec.Caller != "101" || rec.Callee != "201" || rec.Answer.IsZero() {
		t.Fatalf("history record %+v", rec)
	}
	// 3 s of 20 ms packets each way.
	if rec.RTPFromCaller < 50 || rec.RTPToCaller < 50 || rec.RTPFromCallee < 50 || rec.RTPToCallee < 50 {
		t.Fatalf("RTP not relayed both ways: %+v", rec)
	}
}

func TestAnalogPhoneCallsSIP(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a, p := analogApp(t)
	// 101 answers, echoes the RTP it gets, and hangs up after 4 s.
	b := phone(t, a, "101", "uas_answer.xml", "uas_hangup.part", map[string]string{"TALK": strconv.Itoa(4000)}, true)
	if err := p.OffHook(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dial tone", func() bool { return p.Heard() == tone.Dial })
	if err := p.DialDTMF("101#"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "call answered", func() bool { c := a.Core().Calls(); return len(c) == 1 && !c[0].Answer.IsZero() })
	waitFor(t, "ringback gone", func() bool { return p.Level() < -60 })
	p.Say(voice())
	// The phone's audio went to SIPp and came back in its echo.
	waitFor(t, "fxs0 hears its echo from SIPp", func() bool { return p.Level() > -40 })
	if err := b.Wait(); err != nil {
		t.Fatalf("callee: %v", err)
	}
	waitFor(t, "busy tone after the SIP phone hung up", func() bool { return p.Heard() == tone.Busy })
	if err := p.OnHook(); err != nil {
		t.Fatal(err)
	}
	rec := lastRecord(t, a, 1)
	if rec.State != "CalleeHangUp" || rec.Caller != "201" || rec.Callee != "101" || rec.Answer.IsZero() {
		t.Fatalf("history record %+v", rec)
	}
	if rec.RTPFromCaller < 50 || rec.RTPToCallee < 50 || rec.RTPFromCallee < 50 || rec.RTPToCaller < 50 {
		t.Fatalf("RTP not relayed both ways: %+v", rec)
	}
}
