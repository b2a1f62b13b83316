package app

import (
	"testing"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// TestOverloadAnswers503 fills one source address's share of the
// overload guard (half the maximum) with live transactions (OPTIONS kept
// 32 s for Timer J) and checks with SIPp that new requests from it then
// get a stateless 503 with Retry-After, that a BYE still reaches the user
// agent, and that a reload raising the maximum admits requests again.
// (Every SIPp runs from 127.0.0.1; the guard's total maximum and its
// reserve for BYE are covered by package overload's tests.)
func TestOverloadAnswers503(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.SIP.MaxTransactions = 4
	a := startTestApp(t, cfg)
	run := func(t *testing.T, scen string, vars map[string]string, extra ...string) {
		t.Helper()
		sipptest.Run(t, sipptest.Config{Scenario: scenario(t, scen, vars, ""), Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(), Extra: extra})
	}
	options := map[string]string{"METHOD": "OPTIONS", "TOTAG": "", "CODE": "200"}

	run(t, "request_status.xml", options, "-m", "2")
	if live, _ := a.sip.Transactions(); live < 2 {
		t.Fatalf("%d live transactions after 2 OPTIONS, want 2", live)
	}
	for _, method := range []string{"REGISTER", "OPTIONS", "MESSAGE"} {
		t.Run(method+" refused", func(t *testing.T) {
			run(t, "request_overloaded.xml", map[string]string{"METHOD": method})
		})
	}
	t.Run("BYE still answered", func(t *testing.T) {
		run(t, "request_status.xml", map[string]string{"METHOD": "BYE", "TOTAG": ";tag=nosuchdialog", "CODE": "481"})
	})
	if _, got := a.sip.Transactions(); got < 3 {
		t.Errorf("%d requests counted as rejected, want at least 3", got)
	}

	cfg.SIP.MaxTransactions = 100
	rewriteAPITestConfig(t, cfg)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	run(t, "request_status.xml", options)
}
