package app

import (
	"strings"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
)

// TestReloadRefusesUnknownFXOPort: a reload whose route names an FXO
// line the board lacks is refused with the file and line of the route,
// and the running dial plan is kept; the same route to a line the board
// has is taken.
func TestReloadRefusesUnknownFXOPort(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t.TempDir())
	a := startTestApp(t, cfg)
	route := func(line string) {
		cfg.Dialplan.Routes = []dialplan.Route{{Name: "pstn", Prefix: "9", MinLength: 2, Strip: 1, Target: dialplan.Target{Kind: dialplan.TargetFXO, Name: line}}}
		rewriteAPITestConfig(t, cfg)
	}

	route("fxo7")
	err := a.Reload()
	if err == nil || !strings.Contains(err.Error(), "gatepbx.yaml:") || !strings.Contains(err.Error(), `no FXO port "fxo7"`) {
		t.Fatalf("reload with an unknown FXO line: %v", err)
	}
	if n := len(a.Config().Dialplan.Routes); n != 0 {
		t.Fatalf("running config took the refused routes (%d)", n)
	}

	route("fxo0")
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if r := a.Config().Dialplan.Routes; len(r) != 1 || r[0].Target.Name != "fxo0" {
		t.Fatalf("routes after the reload: %+v", r)
	}
}
