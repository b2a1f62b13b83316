package app

import (
	"strconv"
	"testing"

	"github.com/gatepbx/gatepbx/sip/sipptest"
	"github.com/gatepbx/gatepbx/sip/trunk"
)

// TestTrunkInboundByDID: SIPp is the provider's proxy, sending from the
// trunk's registrar address and port (an IP-authenticated trunk). Its
// INVITE for a listed DID rings the mapped extension (a SIPp phone, 101)
// without a digest challenge and RTP flows; an unlisted DID without a
// default gets 404; an unauthenticated INVITE from another port of the
// same host is challenged like a phone's.
func TestTrunkInboundByDID(t *testing.T) {
	sipptest.Need(t)
	const did = "3612345678"
	tests := []struct {
		name        string
		dial        string
		fromTrunk   bool   // sent from the registrar's port
		code        int    // the provider's expected failure, 0: answered
		wantState   string // history, "" when none is written
		wantCallee  string
		wantInbound bool
	}{
		{"listed DID rings its extension", did, true, 0, "CallerHangUp", "101", true},
		{"unknown DID", "3619999999", true, 404, "NotFound", "", true},
		{"not the provider's port", "3619999999", false, 407, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := sipptest.FreePort(t)
			cfg := testConfig(t.TempDir())
			cfg.Trunks = []trunk.Config{{Name: "provider", Registrar: "127.0.0.1:" + strconv.Itoa(port), Username: "acct5551230000",
				Inbound: []trunk.DID{{Number: did, To: "101"}}}}
			a := startTestApp(t, cfg)
			var extra []string
			if tc.fromTrunk {
				extra = []string{"-p", strconv.Itoa(port)}
			}
			vars := map[string]string{"USER": "+3611234567", "TALK": "1000", "CODE": strconv.Itoa(tc.code)}
			if tc.code != 0 {
				p := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "provider_fail.xml", vars), Service: tc.dial, Target: a.SIPUDPAddr(), Extra: extra})
				if err := p.Wait(); err != nil {
					t.Fatalf("provider: %v", err)
				}
				if tc.wantState == "" {
					if a.hist.Len() != 0 || len(a.core.Calls()) != 0 {
						t.Fatal("a challenged INVITE made a call")
					}
					return
				}
			} else {
				ext := phone(t, a, "101", "uas_answer.xml", "uas_wait.part", map[string]string{"TALK": "1000"}, true)
				p := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "provider_call.xml", vars, "hangup_caller.part"), Service: tc.dial,
					Target: a.SIPUDPAddr(), Echo: false, Extra: extra})
				for name, peer := range map[string]*sipptest.Peer{"provider": p, "101": ext} {
					if err := peer.Wait(); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				}
			}
			rec := lastRecord(t, a, 1)
			if rec.State != tc.wantState || rec.Direction != "inbound" || rec.Dialed != tc.dial || rec.Caller != "+3611234567" || rec.Callee != tc.wantCallee {
				t.Fatalf("history record %+v", rec)
			}
			if tc.code == 0 && (rec.Answer.IsZero() || rec.RTPToCaller < 20 || rec.RTPFromCaller < 20) {
				t.Fatalf("no media: %+v", rec)
			}
		})
	}
}

// TestTrunkInboundFollowsReload: the DID map of a trunk changes with a
// config reload: the DID that rang 101 rings 102 after it.
func TestTrunkInboundFollowsReload(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	const did = "3612345678"
	port := sipptest.FreePort(t)
	cfg := testConfig(t.TempDir())
	cfg.Trunks = []trunk.Config{{Name: "provider", Registrar: "127.0.0.1:" + strconv.Itoa(port), Username: "acct5551230000",
		Inbound: []trunk.DID{{Number: did, To: "101"}}}}
	a := startTestApp(t, cfg)
	cfg.Trunks[0].Inbound = []trunk.DID{{Number: did, To: "102"}}
	rewriteAPITestConfig(t, cfg)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	ext := phone(t, a, "102", "uas_answer.xml", "uas_wait.part", map[string]string{"TALK": "1000"}, true)
	vars := map[string]string{"USER": "+3611234567", "TALK": "1000"}
	p := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "provider_call.xml", vars, "hangup_caller.part"), Service: did,
		Target: a.SIPUDPAddr(), Extra: []string{"-p", strconv.Itoa(port)}})
	for name, peer := range map[string]*sipptest.Peer{"provider": p, "102": ext} {
		if err := peer.Wait(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if rec := lastRecord(t, a, 1); rec.Direction != "inbound" || rec.Callee != "102" || rec.State != "CallerHangUp" {
		t.Fatalf("history record %+v, want the reloaded DID's extension", rec)
	}
}
