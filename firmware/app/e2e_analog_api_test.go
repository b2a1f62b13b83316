package app

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// The HTTP API's call commands on analog legs, and PSTN calls ringing in
// on the sim board's FXO line to a ring group and to an API extension.

// answeredCall waits for the one call between caller and callee to be
// answered and returns its ID.
func answeredCall(t *testing.T, a *App, caller, callee string) string {
	t.Helper()
	var id string
	waitFor(t, caller+" → "+callee+" answered", func() bool {
		for _, c := range a.Core().Calls() {
			if c.Caller == caller && c.Callee == callee && c.State == pbx.StateInCall {
				id = c.ID
				return true
			}
		}
		return false
	})
	return id
}

// command runs an API command and fails unless it answers 200.
func command(t *testing.T, a *App, pairs ...string) {
	t.Helper()
	if r := apiGet(t, a, append([]string{"command"}, pairs...)...); r.Code != 200 {
		t.Fatalf("%s: %d %q", pairs[0], r.Code, r.Message)
	}
}

// TestAPICommandsOnAnalogLegs: a call between the two virtual phones
// (201 on fxs0 calls 202 on fxs1) is driven by the API like a SIP call:
// SendDTMF keys are heard (detected) by the analog phone, Play and Speak
// reach the named party, BlindTransfer hands 202 to SIP phone 101 (201
// leaves with busy tone), and Hangup ends the call on both sides.
func TestAPICommandsOnAnalogLegs(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a, p201, p202 := twoPhoneApp(t, apiTestConfig(t))
	dialFrom(t, p201, "202#")
	waitFor(t, "202 rings", func() bool { return p202.RingCount() > 0 })
	mustDo(t, p202.OffHook())
	id := answeredCall(t, a, "201", "202")

	command(t, a, "SendDTMF", "CallId", id, "Keys", "159#", "Party", "callee")
	// (201's own "#" that ended its dialling may come first: the line's
	// audio queue still held it when the call was bridged.)
	waitFor(t, "202 hears the keys", func() bool { return strings.HasSuffix(p202.HeardKeys(), "159#") })
	command(t, a, "SendDTMF", "CallId", id, "Keys", "*0", "Party", "caller")
	waitFor(t, "201 hears the keys", func() bool { return strings.HasSuffix(p201.HeardKeys(), "*0") })

	p201.ClearHeard()
	command(t, a, "Play", "CallId", id, "AudioFile", "tone:busy", "Repeat", "true", "Timeout", "3", "Party", "caller")
	waitFor(t, "201 hears the played busy tone", func() bool { return p201.Heard() == tone.Busy })
	if _, err := exec.LookPath("espeak-ng"); err == nil {
		waitFor(t, "202 quiet", func() bool { return p202.Level() < -60 })
		command(t, a, "Speak", "CallId", id, "Text", "Hello from the appliance.", "Party", "callee")
		waitFor(t, "202 hears the speech", func() bool { return p202.Level() > -40 })
	}
	waitFor(t, "the audio over", func() bool { return p201.Level() < -60 && p202.Level() < -60 })

	sip101 := phone(t, a, "101", "uas_answer.xml", "uas_wait.part", map[string]string{"TALK": strconv.Itoa(1000)}, true)
	p201.ClearHeard()
	command(t, a, "BlindTransfer", "CallId", id, "TransferorParty", "caller", "Target", "101")
	waitFor(t, "201 left with busy tone", func() bool { return p201.Heard() == tone.Busy })
	mustDo(t, p201.OnHook())
	if got := answeredCall(t, a, "101", "202"); got != id {
		t.Fatalf("transferred call has ID %q, want %q", got, id)
	}
	waitFor(t, "202 quiet", func() bool { return p202.Level() < -60 })
	p202.Say(voice())
	waitFor(t, "202 hears its echo from 101", func() bool { return p202.Level() > -40 })

	p202.ClearHeard()
	command(t, a, "Hangup", "CallId", id)
	if err := sip101.Wait(); err != nil {
		t.Fatalf("101 did not get BYE: %v", err)
	}
	waitFor(t, "202 hears busy tone", func() bool { return p202.Heard() == tone.Busy })
	mustDo(t, p202.OnHook())
	waitFor(t, "calls over", func() bool { return a.Core().ActiveCalls() == 0 })
	if rec := lastRecord(t, a, 2); rec.State != "Hangup" {
		t.Errorf("history record %+v, want state Hangup", rec)
	}
}

// pstnRing rings the sim board's CO line on fxo0 with caller ID.
func pstnRing(t *testing.T, a *App) *sim.CO {
	t.Helper()
	co, ok := a.board.(*sim.Board).CO("fxo0")
	if !ok {
		t.Fatal("sim board has no fxo0")
	}
	reg, err := region.Lookup("us")
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, co.Ring(reg.Ring, &hal.CallerID{Number: "3612345678", Name: "PSTN Caller"}))
	return co
}

// TestPSTNInToRingGroup: analog.fxo_inbound sends fxo0's calls to ring
// group 600 (201 and 202): both virtual phones ring and decode the PSTN
// caller's number from the FSK; 202 answers, the line is seized, audio
// flows both ways, and the CO's busy tone ends the call.
func TestPSTNInToRingGroup(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.Dialplan.RingGroups = []dialplan.RingGroup{{Number: "600", Name: "Desk", Strategy: dialplan.Simultaneous, Members: []string{"201", "202"}}}
	cfg.Analog.FXOInbound = []config.FXOInbound{{Port: "fxo0", To: "600"}}
	a, p201, p202 := twoPhoneApp(t, cfg)
	co := pstnRing(t, a)
	for _, p := range []*sim.Phone{p201, p202} {
		waitFor(t, "a member rings with the PSTN caller ID", func() bool {
			id := p.LastCallerID()
			return p.RingCount() > 0 && id != nil && id.Number == "3612345678"
		})
	}
	mustDo(t, p202.OffHook())
	waitFor(t, "line seized", co.Seized)
	waitFor(t, "201 stops ringing", func() bool { return !p201.BellOn() && a.Core().ActiveCalls() == 1 })
	co.Say(voice())
	waitFor(t, "202 hears the PSTN", func() bool { return p202.Level() > -40 })
	p202.Say(voice())
	waitFor(t, "the PSTN hears 202", func() bool { return co.Level() > -40 })
	mustDo(t, co.PlayTone(tone.Busy)) // the PSTN caller hung up
	waitFor(t, "line released", func() bool { return !co.Seized() })
	waitFor(t, "202 hears busy tone", func() bool { return p202.Heard() == tone.Busy })
	mustDo(t, p202.OnHook())
	waitFor(t, "call over", func() bool { return a.Core().ActiveCalls() == 0 })
	if rec := lastRecord(t, a, 1); rec.Caller != "3612345678" || rec.Dialed != "600" || rec.Answer.IsZero() {
		t.Errorf("history record %+v", rec)
	}
}

// TestPSTNInToAPIExtension: fxo0's calls go to API extension 800, whose
// application gets IncomingCall with the PSTN caller's number and answers
// with OzML that plays a tone the CO line hears.
func TestPSTNInToAPIExtension(t *testing.T) {
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/ivr": `<Response><Play Repeat="true">tone:dial</Play></Response>`})
	cfg := apiExtConfig(t, map[string]string{"800": app.srv.URL + "/ivr"})
	cfg.Analog.FXOInbound = []config.FXOInbound{{Port: "fxo0", To: "800"}}
	a, _, _ := twoPhoneApp(t, cfg)
	co := pstnRing(t, a)
	p := app.nextPost(t)
	if p.form.Get("NotificationName") != "IncomingCall" || p.form.Get("Caller") != "3612345678" {
		t.Fatalf("notification %s %v, want IncomingCall from 3612345678", p.path, p.form)
	}
	waitFor(t, "line seized", co.Seized)
	waitFor(t, "the PSTN hears the application's audio", func() bool { return co.Level() > -40 })
	mustDo(t, co.PlayTone(tone.Busy))
	waitFor(t, "line released", func() bool { return !co.Seized() })
	waitFor(t, "call over", func() bool { return a.Core().ActiveCalls() == 0 })
}

// TestHardwareBoardFailureKeepsSIP: the Raspberry Pi profile on a machine
// without its chips (no SPI port here, the same path as chips failing
// their sanity check, see boards.TestOpenHardwareInsaneChip) is reported
// naming the board and chip, analog extensions are disabled, and SIP
// calls still go through.
func TestHardwareBoardFailureKeepsSIP(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.Board = "rpi-2fxs-1fxo"
	a := startTestApp(t, cfg)
	if a.board != nil || a.boardErr == nil {
		t.Fatalf("board %v, error %v; want no board and an error", a.board, a.boardErr)
	}
	for _, want := range []string{`board "rpi-2fxs-1fxo"`, `chip "slic0"`} {
		if !strings.Contains(a.boardErr.Error(), want) {
			t.Errorf("board error %q lacks %q", a.boardErr, want)
		}
	}
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", time.Second)
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", "102", map[string]string{"TALK": "1000"})
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("callee: %v", err)
	}
}
