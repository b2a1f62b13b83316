package app

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/sip/sipptest"
	"github.com/gatepbx/gatepbx/sip/trunk"
)

// The provider's account in the trunk tests.
const trunkUser, trunkPassword = "acct5551230000", "trunk-Secret-1"

// startProvider runs scen (provider.xml or a variant) as the SIP provider
// of the trunk tests, with vars besides its account.
func startProvider(t *testing.T, scen string, vars map[string]string) *sipptest.Peer {
	t.Helper()
	vars["USER"], vars["PASSWORD"] = trunkUser, trunkPassword
	return sipptest.Start(t, sipptest.Config{Scenario: scenario(t, scen, vars),
		Service: "x", Target: netip.MustParseAddrPort("127.0.0.1:9"), Echo: true, Extra: []string{"-m", "10"}})
}

// providerTrunk is a registering trunk called name to provider.
func providerTrunk(name string, provider *sipptest.Peer) trunk.Config {
	return trunk.Config{Name: name, Registrar: "127.0.0.1:" + strconv.Itoa(provider.Port()), Username: trunkUser, Password: trunkPassword, Register: true}
}

// callOut has 101 dial number, the call go out through the trunk to
// provider, last a second and end with 101's BYE, with RTP both ways.
func callOut(t *testing.T, a *App, provider *sipptest.Peer, number string) history.Record {
	t.Helper()
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", number, map[string]string{"TALK": "1000"})
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
	return rec
}

// TestTrunkRegistersAndCallsOut: SIPp is the provider (registrar with
// digest, proxy that challenges the INVITE with 407); 101 dials 9 +
// number, the route strips the 9 and sends the call through the trunk.
func TestTrunkRegistersAndCallsOut(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	provider, cfg := trunkOutConfig(t)
	a := startTestApp(t, cfg)
	waitTrunkRegistered(t, a, "provider") // as ListExtensions shows it
	callOut(t, a, provider, "95551234")
}

// trunkOutConfig starts provider.xml expecting calls for 5551234 and
// returns it with a config whose trunk "provider" registers there and
// whose route "out" sends 9+number through it (9 stripped).
func trunkOutConfig(t *testing.T) (*sipptest.Peer, config.Config) {
	t.Helper()
	provider := startProvider(t, "provider.xml", map[string]string{"NUMBER": "5551234"})
	cfg := testConfig(t.TempDir())
	cfg.Trunks = []trunk.Config{providerTrunk("provider", provider)}
	cfg.Dialplan.Routes = []dialplan.Route{{Name: "out", Prefix: "9", MinLength: 4, Strip: 1, Target: dialplan.Target{Kind: dialplan.TargetTrunk, Name: "provider"}}}
	return provider, cfg
}
