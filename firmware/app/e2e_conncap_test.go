package app

import (
	"testing"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// TestConnectionCap: with sip.max_connections 2 (one per address), a
// SIPp holding a TCP connection keeps it, a second SIPp connecting from
// the same address is cut off at once, and once the first has gone a
// new connection is served again.
func TestConnectionCap(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.SIP.MaxConnections = 2
	a := startTestApp(t, cfg)
	over := func(scen string, vars map[string]string) sipptest.Config {
		return sipptest.Config{Scenario: scenario(t, scen, vars, ""), Service: "101", Target: a.SIPTCPAddr(), Extra: []string{"-t", "t1"}}
	}
	open := func() int { n, _ := a.sip.Connections(); return n }

	holder := sipptest.Start(t, over("options_hold.xml", map[string]string{"HOLDMS": "10000"}))
	waitFor(t, "the first SIPp's connection", func() bool { return open() == 1 })
	if err := sipptest.Start(t, over("options.xml", nil)).Wait(); err == nil {
		t.Fatal("a second connection from the same address was served")
	}
	if _, rejected := a.sip.Connections(); rejected == 0 {
		t.Fatal("the second SIPp failed, but not because its connection was refused")
	}
	if err := holder.Wait(); err != nil {
		t.Fatalf("the connection within the cap: %v", err)
	}
	waitFor(t, "the first connection closed", func() bool { return open() == 0 })
	sipptest.Run(t, over("options.xml", nil))
}
