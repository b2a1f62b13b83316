package app

import (
	"testing"

	"github.com/gatepbx/gatepbx/firmware/config"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// TestTrunkReload: trunks follow a config reload, with SIPp as the
// provider. An appliance started without trunks registers a trunk a
// reload adds and calls out through it; a changed registration setting
// re-registers with it; a reload that removes the trunk takes it out of
// ListExtensions.
func TestTrunkReload(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	provider, withTrunk := trunkOutConfig(t)
	cfg := withTrunk
	cfg.Trunks, cfg.Dialplan.Routes = nil, nil
	a := startTestApp(t, cfg)
	if infos := a.trunkInfos(); len(infos) != 0 {
		t.Fatalf("trunks before the reload: %+v", infos)
	}
	reload := func(c config.Config) {
		t.Helper()
		rewriteAPITestConfig(t, c)
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
	}

	reload(withTrunk)
	waitTrunkRegistered(t, a, "provider")
	callOut(t, a, provider, "95551234")

	withTrunk.Trunks[0].Expires = 1800
	reload(withTrunk)
	waitFor(t, "the trunk registered again with the new expiry", func() bool {
		ts := a.routes.trunks.Load()
		if ts == nil {
			return false
		}
		c, err := ts.set.Config("provider")
		infos := a.trunkInfos()
		return err == nil && c.Expires == 1800 && len(infos) == 1 && infos[0].Connected
	})
	callOut(t, a, provider, "95551234")

	reload(cfg)
	if infos := a.trunkInfos(); len(infos) != 0 {
		t.Fatalf("trunks after removing them: %+v", infos)
	}
}
