package app

import (
	"path/filepath"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// TestCallPickup: 101 calls 102, a SIPp phone that only rings; 103 picks
// the call up (**102, *8, or an INVITE with Replaces naming 102's early
// dialog): 102 gets CANCEL, 101 is answered and talks to 103 (RTP both
// ways), the history names 103 as the callee. With nothing ringing the
// pickup code gets 404.
func TestCallPickup(t *testing.T) {
	sipptest.Need(t)
	tests := []struct {
		name     string
		dial     string
		replaces bool // INVITE with Replaces for 102's early dialog
	}{
		{"directed", "**102", false},
		{"group", "*8", false},
		{"replaces early dialog", "102", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startTestApp(t, testConfig(t.TempDir()))
			logFile := filepath.Join(t.TempDir(), "ring.log")
			ringing := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uas_ring_log.xml", map[string]string{"USER": "102"}),
				Service: "102", User: "102", Password: testPasswords["102"], Target: a.SIPUDPAddr(), Extra: []string{"-trace_logs", "-log_file", logFile}})
			registerPhone(t, a, "102", ringing.Port())
			c := caller(t, a, "uac_call.xml", "hangup_wait.part", "102", map[string]string{})
			waitFor(t, "102 ringing", func() bool {
				calls := a.core.Calls()
				return len(calls) == 1 && calls[0].State == pbx.StateRinging
			})
			vars := map[string]string{"USER": "103", "TALK": "1500"}
			if tc.replaces {
				vars["INVITEHEADERS"] = "\n      Replaces: " + loggedReplaces(t, logFile)
			}
			picker := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", vars, "hangup_caller.part"),
				Service: tc.dial, User: "103", Password: testPasswords["103"], Target: a.SIPUDPAddr()})
			for name, p := range map[string]*sipptest.Peer{"101": c, "103 (picker)": picker, "102 (cancelled)": ringing} {
				if err := p.Wait(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			rec := lastRecord(t, a, 1)
			if rec.State != "CalleeHangUp" || rec.Caller != "101" || rec.Callee != "103" || rec.Dialed != "102" ||
				rec.Answer.IsZero() || rec.RTPToCaller < 20 || rec.RTPToCallee < 20 {
				t.Fatalf("history record %+v", rec)
			}
		})
	}
	t.Run("nothing ringing", func(t *testing.T) {
		t.Parallel()
		a := startTestApp(t, testConfig(t.TempDir()))
		for _, dial := range []string{"*8", "**102"} {
			p := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_fail.xml", map[string]string{"USER": "103", "CODE": "404"}),
				Service: dial, User: "103", Password: testPasswords["103"], Target: a.SIPUDPAddr()})
			if err := p.Wait(); err != nil {
				t.Fatalf("%s: %v", dial, err)
			}
		}
	})
}
