package app

import (
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/hal/sim"
)

func TestOperatorAndRegion(t *testing.T) {
	board, err := sim.NewBoard("t", 1, 1, sim.NewManualClock(time.Unix(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	line := config.Extension{Number: "900", Kind: config.KindAnalog, Port: "fxo0"}
	desk := config.Extension{Number: "201", Kind: config.KindAnalog, Port: "fxs0"}
	sipExt := config.Extension{Number: "101", Kind: config.KindSIP}
	for _, tc := range []struct {
		name string
		exts []config.Extension
		want string
	}{
		{"first extension", []config.Extension{sipExt, desk}, "101"},
		{"FXO lines skipped", []config.Extension{line, desk, sipExt}, "201"},
		{"only a line", []config.Extension{line}, ""},
		{"none", nil, ""},
	} {
		if got := operator(tc.exts, board); got != tc.want {
			t.Errorf("%s: operator %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct{ config, want string }{
		{"de", "de"}, {"uk", "uk"}, {"eu", "us"}, // eu: the sim board's own region
	} {
		cfg := config.Defaults()
		cfg.Region = tc.config
		if got := analogRegion(cfg, board).Code; got != tc.want {
			t.Errorf("region %q: got %q, want %q", tc.config, got, tc.want)
		}
	}
}
