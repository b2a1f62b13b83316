package daa

import (
	"fmt"
	"slices"
	"strings"
)

// Country is one country's DAA line settings (the fields of DAHDI's
// fxo_modes table, hal-notes 1.3). Field values are register bit fields.
type Country struct {
	Name string
	OHS  byte // on-hook speed (reg 16 bit 6)
	OHS2 byte // (reg 31 bit 3)
	RZ   byte // ringer impedance (reg 16 bit 1)
	RT   byte // ring threshold (reg 16 bit 0)
	ILIM byte // current limit (reg 26 bit 1)
	DCV  byte // DC termination voltage (reg 26 bits 7:6)
	MINI byte // minimum operational loop current (reg 26 bits 5:4)
	ACIM byte // AC termination impedance (reg 30 bits 3:0)
}

// countries is the country table. Every value is [verify] against the
// Si3050 datasheet's country tables before use on a live line: ACIM 0 is
// 600 Ω (FCC), 2 is the TBR21 complex impedance 270 Ω + (750 Ω ∥ 150 nF),
// 3 the Australian 220 Ω + (820 Ω ∥ 120 nF), 5 the UK-style 370 Ω + (620 Ω
// ∥ 310 nF). Read only.
var countries = []Country{
	{Name: "FCC", RT: 1, DCV: 3},
	{Name: "TBR21", ILIM: 1, DCV: 3, ACIM: 2},
	{Name: "UK", OHS2: 1, ILIM: 1, DCV: 3, ACIM: 5},
	{Name: "GERMANY", ILIM: 1, DCV: 3, ACIM: 2},
	{Name: "HUNGARY", ILIM: 1, DCV: 3, ACIM: 2},
	{Name: "FRANCE", ILIM: 1, DCV: 3, ACIM: 2},
	{Name: "NETHERLANDS", ILIM: 1, DCV: 3, ACIM: 2},
	{Name: "AUSTRALIA", OHS: 1, DCV: 3, MINI: 3, ACIM: 3},
}

// LookupCountry finds a country entry by name (as region.Region.DAACountry
// spells it).
func LookupCountry(name string) (Country, error) {
	i := slices.IndexFunc(countries, func(c Country) bool { return c.Name == name })
	if i < 0 {
		names := make([]string, len(countries))
		for i, c := range countries {
			names[i] = c.Name
		}
		return Country{}, fmt.Errorf("daa: unknown country %q (known: %s)", name, strings.Join(names, ", "))
	}
	return countries[i], nil
}

// registers returns the values of registers 16, 26, 30 and 31.
func (c Country) registers() (r16, r26, r30, r31 byte) {
	r16 = c.OHS<<6 | c.RZ<<1 | c.RT
	r26 = c.DCV<<6 | c.MINI<<4 | c.ILIM<<1
	r30 = c.ACIM & 0x0f
	r31 = daaControl5 | c.OHS2<<3
	return
}
