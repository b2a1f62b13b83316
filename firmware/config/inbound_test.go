package config

import (
	"strings"
	"testing"
)

// Trunk DID maps and pickup groups: errors point at the line written.
func TestParseInboundAndPickupErrors(t *testing.T) {
	const trunk = "trunks:\n  - name: p\n    registrar: 127.0.0.1\n    username: u\n"
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"DID to no extension", routingExts + trunk + "    inbound:\n      - did: \"3612345678\"\n        to: \"109\"\n",
			"gatepbx.yaml:14: trunks[0].inbound[0].to: 109 is not an extension or ring group"},
		{"DID not a number", routingExts + trunk + "    inbound:\n      - did: \"36-12\"\n        to: \"101\"\n",
			"gatepbx.yaml:13: trunks[0].inbound[0].did: \"36-12\" is not a number"},
		{"duplicate DID", routingExts + trunk + "    inbound:\n      - did: \"1\"\n        to: \"101\"\n      - did: \"1\"\n        to: \"102\"\n",
			"gatepbx.yaml:15: trunks[0].inbound[1].did: 1 is also inbound[0]"},
		{"default to no extension", routingExts + trunk + "    inbound_default: \"109\"\n",
			"gatepbx.yaml:12: trunks[0].inbound_default: 109 is not an extension or ring group"},
		{"inbound as a map", routingExts + trunk + "    inbound: {\"1\": \"101\"}\n",
			"gatepbx.yaml:12: trunks[0].inbound: expected a list"},
		{"bad pickup group", "extensions:\n  - number: \"101\"\n    kind: sip\n    password: secret-one\n    pickup_group: \"front desk\"\n",
			"gatepbx.yaml:5: extensions[0].pickup_group: \"front desk\" must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("gatepbx.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v\nlacks %q", err, tt.want)
			}
		})
	}
}

func TestParseInboundGood(t *testing.T) {
	c, err := Parse("gatepbx.yaml", []byte(routingExts+`trunks:
  - name: p
    registrar: 127.0.0.1
    username: u
    inbound:
      - did: "+3612345678"
        to: "101"
    inbound_default: "102"
`))
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Trunks[0]
	if len(tr.Inbound) != 1 || tr.Inbound[0].Number != "+3612345678" || tr.Inbound[0].To != "101" || tr.InboundDefault != "102" {
		t.Fatalf("trunk %+v", tr)
	}
}
