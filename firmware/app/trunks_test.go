package app

import (
	"testing"

	"github.com/gatepbx/gatepbx/sip/trunk"
)

func TestSameRegistrations(t *testing.T) {
	base := []trunk.Config{{Name: "p", Registrar: "sip.example", Username: "u", Password: "pw", Register: true,
		Inbound: []trunk.DID{{Number: "555", To: "101"}}, InboundDefault: "102"}}
	with := func(f func(*trunk.Config)) []trunk.Config {
		c := []trunk.Config{base[0]}
		c[0].Inbound = append([]trunk.DID(nil), base[0].Inbound...)
		f(&c[0])
		return c
	}
	tests := []struct {
		name string
		b    []trunk.Config
		same bool
	}{
		{"unchanged", with(func(*trunk.Config) {}), true},
		{"DIDs changed", with(func(c *trunk.Config) { c.Inbound[0].To = "103" }), true},
		{"inbound default changed", with(func(c *trunk.Config) { c.InboundDefault = "" }), true},
		{"password changed", with(func(c *trunk.Config) { c.Password = "new" }), false},
		{"expires changed", with(func(c *trunk.Config) { c.Expires = 1800 }), false},
		{"registrar changed", with(func(c *trunk.Config) { c.Registrar = "sip2.example" }), false},
		{"trunk added", append(with(func(*trunk.Config) {}), trunk.Config{Name: "q"}), false},
		{"trunk removed", nil, false},
	}
	for _, tc := range tests {
		if got := sameRegistrations(base, tc.b); got != tc.same {
			t.Errorf("%s: sameRegistrations = %v, want %v", tc.name, got, tc.same)
		}
	}
}
