package trunk

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestInboundMatchAndRoute(t *testing.T) {
	cfgs := []Config{
		{Name: "ip", Registrar: "192.0.2.10", Username: "acct1", Inbound: []DID{{Number: "3612345678", To: "101"}}, InboundDefault: "100"},
		{Name: "named", Registrar: "sip.example.net:5070", Username: "acct2", Inbound: []DID{{Number: "5550100", To: "102"}}},
		{Name: "lost", Registrar: "gone.example.net", Username: "acct3"},
	}
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "sip.example.net" {
			return []netip.Addr{netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("::ffff:198.51.100.8")}, nil
		}
		return nil, errors.New("no such host")
	}
	in, err := NewInbound(context.Background(), cfgs, resolve)
	if err == nil {
		t.Fatal("the unresolved host is not reported")
	}
	tests := []struct {
		name       string
		src        string
		ruser, to  string
		trunk, did string
		ok         bool
		target     string
		routed     bool
	}{
		{"registrar port, DID in Request-URI", "192.0.2.10:5060", "3612345678", "3612345678", "ip", "3612345678", true, "101", true},
		{"other port, our account, DID in To", "192.0.2.10:40000", "acct1", "3612345678", "ip", "3612345678", true, "101", true},
		{"other port, listed DID", "198.51.100.8:40000", "5550100", "5550100", "named", "5550100", true, "102", true},
		{"unlisted DID takes the default", "192.0.2.10:5060", "999", "999", "ip", "999", true, "100", true},
		{"unlisted DID without default", "198.51.100.7:5070", "999", "999", "named", "999", true, "", false},
		{"same host, a phone's port and number", "192.0.2.10:40000", "102", "102", "", "", false, "", false},
		{"other host", "203.0.113.1:5060", "3612345678", "3612345678", "", "", false, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			trunk, did, ok := in.MatchTrunk(netip.MustParseAddrPort(tc.src), tc.ruser, tc.to)
			if trunk != tc.trunk || did != tc.did || ok != tc.ok {
				t.Fatalf("MatchTrunk = %q %q %v, want %q %q %v", trunk, did, ok, tc.trunk, tc.did, tc.ok)
			}
			if !ok {
				return
			}
			if target, routed := in.Route(trunk, did); target != tc.target || routed != tc.routed {
				t.Fatalf("Route = %q %v, want %q %v", target, routed, tc.target, tc.routed)
			}
		})
	}
}

func TestInboundValidate(t *testing.T) {
	base := Config{Name: "p", Registrar: "192.0.2.10", Username: "u"}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		bad  bool
	}{
		{"good", func(c *Config) { c.Inbound = []DID{{Number: "+3612345678", To: "101"}}; c.InboundDefault = "100" }, false},
		{"letters", func(c *Config) { c.Inbound = []DID{{Number: "abc", To: "101"}} }, true},
		{"no target", func(c *Config) { c.Inbound = []DID{{Number: "1"}} }, true},
		{"duplicate", func(c *Config) { c.Inbound = []DID{{Number: "1", To: "101"}, {Number: "1", To: "102"}} }, true},
		{"bad default", func(c *Config) { c.InboundDefault = "*8" }, true},
	} {
		c := base
		tc.mod(&c)
		if err := c.Validate(); (err != nil) != tc.bad {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
	}
}

// TestInboundFollowsResolverAndReload: Resolve (run before each REGISTER)
// picks up a provider's new address and keeps the old one when the
// lookup fails; Reconfigure (a reload) applies new DIDs and defaults.
func TestInboundFollowsResolverAndReload(t *testing.T) {
	addr := "198.51.100.7"
	failing := false
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		if failing {
			return nil, errors.New("server misbehaving")
		}
		return []netip.Addr{netip.MustParseAddr(addr)}, nil
	}
	cfgs := []Config{{Name: "p", Registrar: "sip.example.net", Username: "acct", Inbound: []DID{{Number: "5550100", To: "101"}}}}
	in, err := NewInbound(context.Background(), cfgs, resolve)
	if err != nil {
		t.Fatal(err)
	}
	from := func(a string) string {
		trunk, _, _ := in.MatchTrunk(netip.MustParseAddrPort(a+":5060"), "5550100", "5550100")
		return trunk
	}
	steps := []struct {
		name     string
		do       func() error
		wantErr  bool
		new, old string // the trunk a call from the new / old address is recognised as
		did, to  string
		routed   bool
	}{
		{"unchanged", func() error { return in.Resolve(context.Background(), "p") }, false, "", "p", "5550100", "101", true},
		{"moved", func() error { addr = "198.51.100.9"; return in.Resolve(context.Background(), "p") }, false, "p", "", "5550100", "101", true},
		{"lookup fails: kept", func() error { failing = true; return in.Resolve(context.Background(), "p") }, true, "p", "", "5550100", "101", true},
		{"unknown trunk", func() error { return in.Resolve(context.Background(), "nope") }, false, "p", "", "5550100", "101", true},
		{"reload with new DIDs, lookup failing", func() error {
			cfgs[0].Inbound = []DID{{Number: "5550199", To: "102"}}
			cfgs[0].InboundDefault = "100"
			return in.Reconfigure(context.Background(), cfgs)
		}, true, "p", "", "5550199", "102", true},
		{"reload: old DID takes the default", func() error { return nil }, false, "p", "", "5550100", "100", true},
	}
	for _, st := range steps {
		if err := st.do(); (err != nil) != st.wantErr {
			t.Fatalf("%s: error %v", st.name, err)
		}
		if got := from("198.51.100.9"); got != st.new {
			t.Errorf("%s: call from the new address recognised as %q, want %q", st.name, got, st.new)
		}
		if got := from("198.51.100.7"); got != st.old {
			t.Errorf("%s: call from the old address recognised as %q, want %q", st.name, got, st.old)
		}
		if to, ok := in.Route("p", st.did); to != st.to || ok != st.routed {
			t.Errorf("%s: Route(%s) = %q %v, want %q %v", st.name, st.did, to, ok, st.to, st.routed)
		}
	}
}
