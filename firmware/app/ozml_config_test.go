package app

import (
	"testing"

	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/firmware/config"
)

// The documented api.ozml defaults are the interpreter's own.
func TestOzmlConfigDefaultsAreTheInterpreters(t *testing.T) {
	if got := ozmlLimits(config.Defaults().API.OzML); got != ozml.DefaultLimits {
		t.Fatalf("api.ozml defaults %+v, interpreter %+v", got, ozml.DefaultLimits)
	}
}
