package app

import (
	"testing"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// TestCallWaiting: 101 talks to 102; 103 calls 102. With call waiting on
// (the default) 102 gets the second INVITE and answers it too; after 102
// dialled *70 (call waiting off) the second call gets 486 without ringing
// 102.
func TestCallWaiting(t *testing.T) {
	sipptest.Need(t)
	for _, waiting := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[waiting], func(t *testing.T) {
			t.Parallel()
			a := startTestApp(t, testConfig(t.TempDir()))
			if !waiting {
				off := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", map[string]string{"USER": "102", "TALK": "100"}, "hangup_wait.part"),
					Service: "*70", User: "102", Password: testPasswords["102"], Target: a.SIPUDPAddr()})
				if err := off.Wait(); err != nil {
					t.Fatalf("102 dialling *70: %v", err)
				}
				if !a.core.Forwarding().Get("102").NoCallWaiting {
					t.Fatal("*70 did not turn call waiting off")
				}
			}
			calls := "1"
			if waiting {
				calls = "2"
			}
			b := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uas_answer.xml", map[string]string{"USER": "102", "TALK": "3000"}, "uas_wait.part"),
				Service: "102", User: "102", Password: testPasswords["102"], Target: a.SIPUDPAddr(), Echo: true, Extra: []string{"-m", calls, "-l", calls}})
			registerPhone(t, a, "102", b.Port())
			first := caller(t, a, "uac_call.xml", "hangup_caller.part", "102", map[string]string{"TALK": "3000"})
			waitFor(t, "101 talking to 102", func() bool { return a.core.InCall("102") })
			var second *sipptest.Peer
			if waiting {
				second = sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", map[string]string{"USER": "103", "TALK": "1000"}, "hangup_caller.part"),
					Service: "102", User: "103", Password: testPasswords["103"], Target: a.SIPUDPAddr()})
			} else {
				second = sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_fail.xml", map[string]string{"USER": "103", "CODE": "486"}),
					Service: "102", User: "103", Password: testPasswords["103"], Target: a.SIPUDPAddr()})
			}
			for name, p := range map[string]*sipptest.Peer{"101": first, "103": second, "102": b} {
				if err := p.Wait(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			want := map[bool]string{true: "CallerHangUp", false: "Busy"}[waiting]
			waitFor(t, "history", func() bool { return a.hist.Len() >= 2+map[bool]int{true: 0, false: 1}[waiting] })
			var second103 bool
			for _, r := range a.hist.Recent(a.hist.Len()) {
				if r.Caller == "103" {
					second103 = true
					if r.State != want || r.Callee != "102" || waiting && (r.Answer.IsZero() || r.RTPToCaller < 20) {
						t.Fatalf("103's call: %+v", r)
					}
				}
			}
			if !second103 {
				t.Fatal("no history of 103's call")
			}
		})
	}
}
