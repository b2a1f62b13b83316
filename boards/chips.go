package boards

import (
	"slices"

	"github.com/gatepbx/gatepbx/hal"
)

// chipType is what validation needs to know about a telephony chip.
type chipType struct {
	name     string
	kind     hal.Kind // the kind of port it serves
	channels int      // lines per chip
}

// chipTypes lists the chips a profile may name (hal-notes 1.1). Read only.
var chipTypes = []chipType{
	{name: "si3210", kind: hal.KindFXS, channels: 1}, // ProSLIC with on-chip DC-DC controller
	{name: "si3215", kind: hal.KindFXS, channels: 1},
	{name: "si3226x", kind: hal.KindFXS, channels: 2}, // dual ProSLIC; licensed API and patch blob: no driver
	{name: "si3050", kind: hal.KindFXO, channels: 1},  // DAA system side, with Si3019 line side
}

func lookupChipType(name string) (chipType, bool) {
	i := slices.IndexFunc(chipTypes, func(t chipType) bool { return t.name == name })
	if i < 0 {
		return chipType{}, false
	}
	return chipTypes[i], true
}

func chipTypeNames() []string {
	names := make([]string, len(chipTypes))
	for i, t := range chipTypes {
		names[i] = t.name
	}
	return names
}
