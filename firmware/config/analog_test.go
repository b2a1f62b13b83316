package config

import (
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
)

func TestValidateAnalog(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"defaults", func(c *Config) {}, ""},
		{"inbound to an extension and a ring group", func(c *Config) {
			c.Dialplan.RingGroups = []dialplan.RingGroup{{Number: "600", Strategy: dialplan.Simultaneous, Members: []string{"201", "202"}}}
			c.Analog.FXOInbound = []FXOInbound{{Port: "fxo0", To: "600"}, {Port: "fxo1", To: "800"}}
		}, ""},
		{"recall timeout too short", func(c *Config) { c.Analog.RecallTimeout = 0 },
			"analog.recall_timeout: must be between 1s and 10m0s, got 0s"},
		{"recall timeout too long", func(c *Config) { c.Analog.RecallTimeout = time.Hour },
			"analog.recall_timeout: must be between 1s and 10m0s, got 1h0m0s"},
		{"inbound to nowhere", func(c *Config) { c.Analog.FXOInbound = []FXOInbound{{Port: "fxo0", To: "999"}} },
			`analog.fxo_inbound[0].to: "999" is not an extension or ring group`},
		{"inbound without a port", func(c *Config) { c.Analog.FXOInbound = []FXOInbound{{To: "101"}} },
			"analog.fxo_inbound[0].port: missing: an FXO port of the board, like fxo0"},
		{"inbound twice for a line", func(c *Config) {
			c.Analog.FXOInbound = []FXOInbound{{Port: "fxo0", To: "101"}, {Port: "fxo0", To: "201"}}
		}, `analog.fxo_inbound[1].port: "fxo0" is also analog.fxo_inbound[0]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleConfig()
			tt.change(&c)
			got := ""
			if err := Validate(&c); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
	if got := (Analog{FXOInbound: []FXOInbound{{Port: "fxo0", To: "600"}}}).InboundFor("fxo0"); got != "600" {
		t.Errorf("InboundFor(fxo0) = %q", got)
	}
	if got := (Analog{}).InboundFor("fxo0"); got != "" {
		t.Errorf("InboundFor without entries = %q", got)
	}
}

func TestValidateFXOPorts(t *testing.T) {
	isFXO := func(name string) bool { return name == "fxo0" || name == "fxo1" }
	route := func(name, lines string) dialplan.Route {
		return dialplan.Route{Name: name, Prefix: "9", Target: dialplan.Target{Kind: dialplan.TargetFXO, Name: lines}}
	}
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"known lines", func(c *Config) {
			c.Dialplan.Routes = []dialplan.Route{route("pstn", "fxo0, fxo1"), route("any", " any ")}
			c.Analog.FXOInbound = []FXOInbound{{Port: "fxo1", To: "101"}}
		}, nil},
		{"route to a missing line", func(c *Config) {
			c.Dialplan.Routes = []dialplan.Route{route("pstn", "fxo0,fxo3")}
		}, []string{`dialplan.routes[0].target.name: route "pstn": no FXO port "fxo3" on board "sim"`}},
		{"route to an FXS port", func(c *Config) {
			c.Dialplan.Routes = []dialplan.Route{route("pstn", "fxs0")}
		}, []string{`no FXO port "fxs0"`}},
		{"inbound on a missing line", func(c *Config) {
			c.Analog.FXOInbound = []FXOInbound{{Port: "fxo9", To: "101"}}
		}, []string{`analog.fxo_inbound[0].port: no FXO port "fxo9" on board "sim"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleConfig()
			tt.change(&c)
			err := c.ValidateFXOPorts(isFXO)
			if (err != nil) != (len(tt.want) > 0) {
				t.Fatalf("ValidateFXOPorts = %v, want %q", err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}

	// A parsed config's error names the file and line of the route.
	doc := "board: sim\ndialplan:\n  routes:\n    - name: pstn\n      prefix: \"9\"\n      target: {kind: fxo, name: fxo7}\n"
	c, err := Parse("gatepbx.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	err = c.ValidateFXOPorts(isFXO)
	if err == nil || !strings.HasPrefix(err.Error(), "gatepbx.yaml:6: dialplan.routes[0].target.name: ") {
		t.Errorf("parsed: %v", err)
	}
}
