package app

import (
	"testing"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/sipptest"
	"github.com/gatepbx/gatepbx/sip/trunk"
)

// TestTrunkRouteRewriteCallerIDAndAuth: two routes match 9+number; the
// first by priority goes to a trunk that is down (its registrar never
// answers), so the call takes the second: 9 stripped, +36 prepended, the
// route's caller ID in P-Asserted-Identity and From's display name, and
// the provider's challenge (401 or 407) answered with the trunk's
// credentials. SIPp as the provider checks all of it.
func TestTrunkRouteRewriteCallerIDAndAuth(t *testing.T) {
	sipptest.Need(t)
	tests := []struct{ name, challenge, authenticate, authorization string }{
		{"407 from the proxy", "407 Proxy Authentication Required", "Proxy-Authenticate", "Proxy-Authorization"},
		{"401 from the provider", "401 Unauthorized", "WWW-Authenticate", "Authorization"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			provider := startProvider(t, "provider_route.xml", map[string]string{"NUMBER": `\+365551234`,
				"CHALLENGE": tc.challenge, "AUTHENTICATE": tc.authenticate, "AUTHORIZATION": tc.authorization,
				"FROM": `^ *"Office" .sip:` + trunkUser + `@`, "PAI": `sip:3612345678@`})
			cfg := testConfig(t.TempDir())
			cfg.Trunks = []trunk.Config{
				{Name: "down", Registrar: "127.0.0.1:9", Username: "nobody", Password: "x-Secret-2", Register: true},
				providerTrunk("provider", provider),
			}
			out := func(name string, priority int, trunkName, cid string) dialplan.Route {
				return dialplan.Route{Name: name, Priority: priority, Prefix: "9", MinLength: 4, Strip: 1, Prepend: "+36",
					CallerID: dialplan.CallerID{Number: cid, Name: "Office"}, Target: dialplan.Target{Kind: dialplan.TargetTrunk, Name: trunkName}}
			}
			cfg.Dialplan.Routes = []dialplan.Route{out("fallback", 20, "provider", "3612345678"), out("primary", 10, "down", "3619999999")}
			a := startTestApp(t, cfg)
			waitTrunkRegistered(t, a, "provider")
			callOut(t, a, provider, "95551234")
			for _, x := range (apiExtensions{a}).Extensions() {
				if x.Number == "down" && (x.Type != extensionTypeTrunk || x.Connected) {
					t.Fatalf("ListExtensions shows the down trunk as %+v", x)
				}
			}
		})
	}
}
