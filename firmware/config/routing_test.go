package config

import (
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
)

const routingExts = `extensions:
  - number: "101"
    kind: sip
    password: secret-one
  - number: "102"
    kind: sip
    password: secret-two
`

func TestParseDialplanErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each must appear in the error
	}{
		{"unknown dialplan key", "dialplan:\n  rutes: []\n", []string{"gatepbx.yaml:2: dialplan.rutes: unknown key"}},
		{"unknown route key", "dialplan:\n  routes:\n    - name: a\n      prefx: \"9\"\n", []string{"gatepbx.yaml:4: dialplan.routes[0].prefx: unknown key"}},
		{"unknown trunk key", "trunks:\n  - name: p\n    regstrar: x\n", []string{"gatepbx.yaml:3: trunks[0].regstrar: unknown key"}},
		{"bad duration", routingExts + "dialplan:\n  forwards:\n    - extension: \"101\"\n      no_answer_after: soon\n", []string{"dialplan.forwards[0].no_answer_after: expected a duration"}},
		{"bad pattern", "dialplan:\n  routes:\n    - name: a\n      pattern: \"_9[\"\n      target: {kind: extension}\n", []string{"gatepbx.yaml:4: dialplan.routes[0].pattern:"}},
		{"forward to itself", routingExts + "dialplan:\n  forwards:\n    - extension: \"101\"\n      always: \"101\"\n", []string{"gatepbx.yaml:11: dialplan.forwards[0].always: forwards 101 to itself"}},
		{"forward of no extension", routingExts + "dialplan:\n  forwards:\n    - extension: \"109\"\n      always: \"101\"\n", []string{"gatepbx.yaml:10: dialplan.forwards[0].extension: 109 is not an extension"}},
		{"overlapping codes", "dialplan:\n  feature_codes:\n    dnd_on: \"*7\"\n", []string{"dialplan.feature_codes.forward_always:", "overlap"}},
		{"ring group member", routingExts + "dialplan:\n  ring_groups:\n    - number: \"600\"\n      strategy: sequential\n      members: [\"101\", \"105\"]\n", []string{"dialplan.ring_groups[0].members[1]: 105 is not an extension"}},
		{"ring group strategy", routingExts + "dialplan:\n  ring_groups:\n    - number: \"600\"\n      strategy: random\n      members: [\"101\"]\n", []string{"gatepbx.yaml:11: dialplan.ring_groups[0].strategy:"}},
		{"route to missing trunk", "dialplan:\n  routes:\n    - name: out\n      prefix: \"9\"\n      target: {kind: trunk, name: nope}\n", []string{"dialplan.routes[0].target.name: no trunk named \"nope\""}},
		{"trunk without password", "trunks:\n  - name: p\n    registrar: 127.0.0.1\n    username: u\n    register: true\n", []string{"trunks[0].password: missing"}},
		{"duplicate trunk", "trunks:\n  - name: p\n    registrar: 127.0.0.1\n    username: u\n  - name: p\n    registrar: 127.0.0.2\n    username: v\n", []string{"gatepbx.yaml:5: trunks[1].name: \"p\" is also trunks[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("gatepbx.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestParseDialplanGood(t *testing.T) {
	c, err := Parse("gatepbx.yaml", []byte(routingExts+`dialplan:
  routes:
    - name: out
      prefix: "9"
      strip: 1
      target: {kind: trunk, name: p}
  ring_groups:
    - number: "600"
      strategy: simultaneous
      members: ["101", "102"]
  forwards:
    - extension: "101"
      busy: "102"
      no_answer_after: 15s
  feature_codes:
    dnd_on: "*55"
trunks:
  - name: p
    registrar: 127.0.0.1:5070
    username: u
    password: pw
    register: true
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Dialplan.Forwards[0]; got.Busy != "102" || got.NoAnswerAfter != 15*time.Second {
		t.Errorf("forward = %+v", got)
	}
	if c.Dialplan.FeatureCodes.DNDOn != "*55" || c.Dialplan.FeatureCodes.DNDOff != "*79" {
		t.Errorf("feature codes = %+v (a set code replaces one default, the others stay)", c.Dialplan.FeatureCodes)
	}
	if c.Dialplan.RingGroups[0].Strategy != dialplan.Simultaneous || c.Trunks[0].Registrar != "127.0.0.1:5070" || c.Dialplan.Routes[0].Target.Name != "p" {
		t.Errorf("config = %+v", c)
	}
}
