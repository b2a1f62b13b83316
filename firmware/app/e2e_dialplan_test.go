package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// Forwarding and feature codes with SIPp phones: the core's dial plan
// (firmware/pbx routing.go) between real SIP legs.

func TestForwardOnBusyAndNoAnswer(t *testing.T) {
	sipptest.Need(t)
	tests := []struct {
		name    string
		first   string // 102's scenario
		forward dialplan.Forward
	}{
		{"busy", "uas_busy.xml", dialplan.Forward{Extension: "102", Busy: "103"}},
		{"no answer", "uas_ring_cancel.xml", dialplan.Forward{Extension: "102", NoAnswer: "103", NoAnswerAfter: time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t.TempDir())
			cfg.Dialplan.Forwards = []dialplan.Forward{tc.forward}
			a := startTestApp(t, cfg)
			first := phone(t, a, "102", tc.first, "", map[string]string{}, false)
			target := phone(t, a, "103", "uas_answer.xml", "uas_wait.part", map[string]string{"TALK": "1000"}, true)
			c := caller(t, a, "uac_call.xml", "hangup_caller.part", "102", map[string]string{"TALK": "1000"})
			for name, p := range map[string]*sipptest.Peer{"caller": c, "102": first, "103": target} {
				if err := p.Wait(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			rec := lastRecord(t, a, 1)
			if rec.State != "CallerHangUp" || rec.Answer.IsZero() || rec.RTPToCaller < 20 {
				t.Fatalf("history record %+v", rec)
			}
		})
	}
}

func TestFeatureCodesFromPhones(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	a := startTestApp(t, cfg)
	dial := func(number string) {
		t.Helper()
		c := caller(t, a, "uac_call.xml", "hangup_wait.part", number, map[string]string{"TALK": "100"})
		if err := c.Wait(); err != nil {
			t.Fatalf("dialling %s: %v", number, err)
		}
	}
	// *72103: 101 forwards every call to 103; the phone is answered and
	// released by the appliance.
	dial("*72103")
	if got := a.core.Forwarding().Get("101"); got.Always != "103" {
		t.Fatalf("rule after *72103: %+v", got)
	}
	saved, err := loadForwards(cfg.DataDir)
	if err != nil || len(saved) != 1 || saved[0].Always != "103" {
		t.Fatalf("saved rules %+v, %v", saved, err)
	}
	// A call to 101 (not registered) reaches 103.
	target := phone(t, a, "103", "uas_answer.xml", "uas_wait.part", map[string]string{"TALK": "500"}, true)
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", "101", map[string]string{"TALK": "500"})
	if err := c.Wait(); err != nil {
		t.Fatalf("call to 101: %v", err)
	}
	if err := target.Wait(); err != nil {
		t.Fatalf("103: %v", err)
	}
	// *73 clears, *78 sets do not disturb: a call to 101 is busy.
	dial("*73")
	dial("*78")
	busy := caller(t, a, "uac_fail.xml", "", "101", map[string]string{"CODE": "486"})
	if err := busy.Wait(); err != nil {
		t.Fatalf("call to 101 in DND: %v", err)
	}
	if got := a.core.Forwarding().Get("101"); got != (dialplan.Forward{Extension: "101", DND: true}) {
		t.Fatalf("rule after *73 *78: %+v", got)
	}
}

// TestForwardsSurviveRestart: an appliance started on a data dir with a
// saved table uses it instead of the config's rules.
func TestForwardsSurviveRestart(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.Dialplan.Forwards = []dialplan.Forward{{Extension: "102", Busy: "103"}}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := saveForwards(cfg.DataDir, []dialplan.Forward{{Extension: "101", Always: "102", DND: true}}); err != nil {
		t.Fatal(err)
	}
	a := startTestApp(t, cfg)
	fw := a.core.Forwarding()
	if got := fw.Get("101"); got.Always != "102" || !got.DND {
		t.Fatalf("101: %+v", got)
	}
	if got := fw.Get("102"); got.Busy != "" {
		t.Fatalf("the config's rules were used too: %+v", got)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, forwardsFile)); err != nil {
		t.Fatal(err)
	}
}

// TestRingGroupSimultaneous: both members ring, 103 answers, 102 gets
// CANCEL.
func TestRingGroupSimultaneous(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.Dialplan.RingGroups = []dialplan.RingGroup{{Number: "600", Strategy: dialplan.Simultaneous, Members: []string{"102", "103"}}}
	a := startTestApp(t, cfg)
	loser := phone(t, a, "102", "uas_ring_cancel.xml", "", map[string]string{}, false)
	winner := phone(t, a, "103", "uas_answer.xml", "uas_wait.part", map[string]string{"TALK": "1000"}, true)
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", "600", map[string]string{"TALK": "1000"})
	for name, p := range map[string]*sipptest.Peer{"caller": c, "102 (cancelled)": loser, "103": winner} {
		if err := p.Wait(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if rec := lastRecord(t, a, 1); rec.State != "CallerHangUp" || rec.Answer.IsZero() || rec.RTPToCaller < 20 {
		t.Fatalf("history record %+v", rec)
	}
}
