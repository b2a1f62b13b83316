package app

import (
	"strconv"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// Two calls on an analog phone through the running appliance: hook-flash
// consultation and transfer, call waiting, and Record on analog legs.
// Extensions 201 (fxs0) and 202 (fxs1) are the sim board's virtual
// phones.

// twoPhoneApp starts cfg with 201 on fxs0 and 202 on fxs1 and returns
// their virtual phones.
func twoPhoneApp(t *testing.T, cfg config.Config) (a *App, p201, p202 *sim.Phone) {
	t.Helper()
	cfg.Extensions = append(cfg.Extensions,
		config.Extension{Number: "201", Kind: config.KindAnalog, DisplayName: "Desk", Port: "fxs0"},
		config.Extension{Number: "202", Kind: config.KindAnalog, DisplayName: "Lab", Port: "fxs1"})
	a = startTestApp(t, cfg)
	b, ok := a.board.(*sim.Board)
	if !ok {
		t.Fatalf("board is %T, want the sim board", a.board)
	}
	p201, _ = b.Phone("fxs0")
	p202, _ = b.Phone("fxs1")
	return a, p201, p202
}

// dialFrom takes p off hook and dials number after the dial tone.
func dialFrom(t *testing.T, p *sim.Phone, number string) {
	t.Helper()
	p.ClearHeard()
	if err := p.OffHook(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dial tone", func() bool { return p.Heard() == tone.Dial })
	if err := p.DialDTMF(number); err != nil {
		t.Fatal(err)
	}
}

// callIn finds the live call between caller and callee in state st.
func callIn(a *App, caller, callee string, st pbx.State) bool {
	for _, c := range a.Core().Calls() {
		if c.Caller == caller && c.Callee == callee && c.State == st {
			return true
		}
	}
	return false
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestAnalogFlashTransfer: 201 calls SIP phone 101, flashes, consults 202
// and hangs up: 101 and 202 are joined (the core's attended transfer) and
// hear each other (202's audio comes back in SIPp's echo); 202's hang-up
// sends 101 a BYE.
func TestAnalogFlashTransfer(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a, p201, p202 := twoPhoneApp(t, testConfig(t.TempDir()))
	sip101 := phone(t, a, "101", "uas_answer.xml", "uas_wait.part", map[string]string{"TALK": strconv.Itoa(1000)}, true)
	dialFrom(t, p201, "101#")
	waitFor(t, "201 → 101 answered", func() bool { return callIn(a, "201", "101", pbx.StateInCall) })
	p201.ClearHeard()
	mustDo(t, p201.Flash(300*time.Millisecond))
	waitFor(t, "second dial tone", func() bool { return p201.Heard() == tone.Dial })
	waitFor(t, "101 held", func() bool { return callIn(a, "201", "101", pbx.StateHold) })
	mustDo(t, p201.DialDTMF("202#"))
	waitFor(t, "202 rings", func() bool { return p202.RingCount() > 0 })
	mustDo(t, p202.OffHook())
	waitFor(t, "consultation answered", func() bool { return callIn(a, "201", "202", pbx.StateInCall) })
	p202.Say(voice())
	waitFor(t, "201 hears 202", func() bool { return p201.Level() > -40 })
	mustDo(t, p201.OnHook())
	waitFor(t, "101 and 202 joined", func() bool {
		c := a.Core().Calls()
		return len(c) == 1 && c[0].Caller == "101" && c[0].Callee == "202" && c[0].State == pbx.StateInCall
	})
	// 202's voice reaches SIPp and comes back in its echo.
	waitFor(t, "202 hears its echo from 101", func() bool { return p202.Level() > -40 })
	mustDo(t, p202.OnHook())
	if err := sip101.Wait(); err != nil {
		t.Fatalf("101: %v", err)
	}
	waitFor(t, "calls over", func() bool { return a.Core().ActiveCalls() == 0 })
}

// waitLong is waitFor for cadences with long pauses (call-waiting tone
// repeats every 10 s in the US).
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAnalogCallWaiting: 201 talks to 202 when SIP phone 101 calls 201:
// 201 hears the call-waiting tone, a flash answers 101 (202 held), a
// second flash swaps back; hanging up ends 202's call and rings 201 back
// for 101.
func TestAnalogCallWaiting(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a, p201, p202 := twoPhoneApp(t, testConfig(t.TempDir()))
	dialFrom(t, p201, "202#")
	waitFor(t, "202 rings", func() bool { return p202.RingCount() > 0 })
	mustDo(t, p202.OffHook())
	waitFor(t, "201 → 202 answered", func() bool { return callIn(a, "201", "202", pbx.StateInCall) })
	waitFor(t, "quiet call", func() bool { return p201.Level() < -60 })
	p201.ClearHeard()
	sip101 := caller(t, a, "uac_call.xml", "hangup_wait.part", "201", map[string]string{})
	waitLong(t, "call-waiting tone on 201", func() bool { return p201.Heard() == tone.CallWaiting })
	waitFor(t, "101's number on 201 (type-2 caller ID)", func() bool { id := p201.LastCallerID(); return id != nil && id.Number == "101" })

	mustDo(t, p201.Flash(300*time.Millisecond))
	waitFor(t, "101 answered, 202 held", func() bool {
		return callIn(a, "101", "201", pbx.StateInCall) && callIn(a, "201", "202", pbx.StateHold)
	})
	waitFor(t, "201 hears SIPp's audio", func() bool { return p201.Level() > -40 })

	mustDo(t, p201.Flash(300*time.Millisecond))
	waitFor(t, "swapped: 202 back, 101 held", func() bool {
		return callIn(a, "101", "201", pbx.StateHold) && callIn(a, "201", "202", pbx.StateInCall)
	})
	waitFor(t, "SIPp's audio gone", func() bool { return p201.Level() < -60 })
	p202.Say(voice())
	waitFor(t, "201 hears 202 again", func() bool { return p201.Level() > -40 })

	n := p201.RingCount()
	p202.ClearHeard()
	mustDo(t, p201.OnHook())
	waitFor(t, "busy tone at 202", func() bool { return p202.Heard() == tone.Busy })
	mustDo(t, p202.OnHook())
	waitFor(t, "201 rung back for 101", func() bool { return p201.RingCount() > n })
	mustDo(t, p201.OffHook())
	waitFor(t, "back with 101", func() bool { return callIn(a, "101", "201", pbx.StateInCall) })
	mustDo(t, p201.OnHook())
	if err := sip101.Wait(); err != nil {
		t.Fatalf("101: %v", err)
	}
}

// TestRecordAnalogCall: the API's Record on a call between two analog
// phones records both legs' audio into a WAV with energy.
func TestRecordAnalogCall(t *testing.T) {
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/rec": " "})
	a, p201, p202 := twoPhoneApp(t, apiTestConfig(t))
	dialFrom(t, p201, "202#")
	waitFor(t, "202 rings", func() bool { return p202.RingCount() > 0 })
	mustDo(t, p202.OffHook())
	var id string
	waitFor(t, "answered", func() bool {
		c := a.Core().Calls()
		if len(c) == 1 && c[0].State == pbx.StateInCall {
			id = c[0].ID
			return true
		}
		return false
	})
	if r := apiGet(t, a, "command", "Record", "CallId", id, "Format", "wav", "Duration", "2", "FinishedUrl", app.srv.URL+"/rec"); r.Code != 200 {
		t.Fatalf("Record: %d %q", r.Code, r.Message)
	}
	p201.Say(voice())
	p := app.nextPost(t)
	if p.path != "/rec" || p.form.Get("NotificationName") != "RecordCompleted" || p.form.Get("CallId") != id || p.form.Get("Caller") != "201" {
		t.Fatalf("RecordCompleted %s %v", p.path, p.form)
	}
	checkRecording(t, p.form.Get("RecordURL"), 4000)
	mustDo(t, p201.OnHook())
	mustDo(t, p202.OnHook())
	waitFor(t, "call over", func() bool { return a.Core().ActiveCalls() == 0 })
}
