package app

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/sipptest"
	"github.com/gatepbx/gatepbx/sip/trunk"
)

// TestTrunkRegistersAndCallsOut: SIPp is the provider (registrar with
// digest, proxy that challenges the INVITE with 407); 101 dials 9 +
// number, the route strips the 9 and sends the call through the trunk.
func TestTrunkRegistersAndCallsOut(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	const user, password = "acct5551230000", "trunk-Secret-1"
	provider := sipptest.Start(t, sipptest.Config{
		Scenario: scenario(t, "provider.xml", map[string]string{"USER": user, "PASSWORD": password, "NUMBER": "5551234"}),
		Service:  "x", Target: netip.MustParseAddrPort("127.0.0.1:9"), Echo: true, Extra: []string{"-m", "10"},
	})
	cfg := testConfig(t.TempDir())
	cfg.Trunks = []trunk.Config{{Name: "provider", Registrar: "127.0.0.1:" + strconv.Itoa(provider.Port()), Username: user, Password: password, Register: true}}
	cfg.Dialplan.Routes = []dialplan.Route{{Name: "out", Prefix: "9", MinLength: 4, Strip: 1, Target: dialplan.Target{Kind: dialplan.TargetTrunk, Name: "provider"}}}
	a := startTestApp(t, cfg)
	waitFor(t, "trunk registered", func() bool {
		for _, x := range (apiExtensions{a}).Extensions() {
			if x.Number == "provider" && x.Type == extensionTypeTrunk && x.Connected {
				return true
			}
		}
		return false
	})
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", "95551234", map[string]string{"TALK": "1000"})
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	rec := lastRecord(t, a, 1)
	if rec.State != "CallerHangUp" || rec.Answer.IsZero() || rec.RTPToCaller < 20 {
		t.Fatalf("history record %+v", rec)
	}
	if provider.Exited() {
		t.Fatalf("provider exited: %v", provider.Wait())
	}
}
