package boards

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/region"
)

var (
	profileNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	portNamePattern    = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)
	chipNamePattern    = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,15}$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2}$`)
)

// Limits for hardware fields; beyond them a profile is surely a typo.
const (
	maxSPIHz    = 50_000_000
	maxPCMSlots = 32
	pcmRate     = 8000
)

// Validate reports every problem with the profile, joined, or nil.
func (p Profile) Validate() error {
	v := validator{profile: p.Name}
	if !profileNamePattern.MatchString(p.Name) {
		v.addf("name %q must be 1-32 lower-case letters, digits and dashes", p.Name)
	}
	if !regionPattern.MatchString(p.Region) {
		v.addf("region %q must be a two-letter lower-case country code", p.Region)
	} else if _, err := region.Lookup(p.Region); err != nil {
		v.addf("%v", err)
	}
	for _, c := range p.Match.DTCompatible {
		if c == "" || strings.ContainsAny(c, " \t\r\n\x00") {
			v.addf("match.dt_compatible entry %q must be non-empty without spaces", c)
		}
	}
	p.validatePorts(&v)
	switch p.Driver {
	case DriverSim:
		p.validateSim(&v)
	case DriverHardware:
		p.validateHardware(&v)
	default:
		v.addf("driver %q must be %q or %q", p.Driver, DriverSim, DriverHardware)
	}
	return v.err()
}

func (p Profile) validatePorts(v *validator) {
	if len(p.Ports) == 0 {
		v.addf("no ports")
	}
	seen := map[string]bool{}
	for i, port := range p.Ports {
		if !portNamePattern.MatchString(port.Name) {
			v.addf("port %d: name %q must be a lower-case letter then up to 15 letters or digits", i, port.Name)
		}
		if seen[port.Name] {
			v.addf("port %q listed twice", port.Name)
		}
		seen[port.Name] = true
		if !port.Kind.Valid() {
			v.addf("port %q: kind %q must be %q or %q", port.Name, port.Kind, hal.KindFXS, hal.KindFXO)
		}
		switch {
		case port.Dial != "" && port.Dial != DialDTMF && port.Dial != DialPulse:
			v.addf("port %q: dial %q must be %q or %q", port.Name, port.Dial, DialDTMF, DialPulse)
		case port.Dial != "" && port.Kind != hal.KindFXO:
			v.addf("port %q: dial is for FXO ports", port.Name)
		}
	}
}

func (p Profile) validateSim(v *validator) {
	if len(p.Chips) > 0 {
		v.addf("a sim board has no chips")
	}
	if p.Audio != (Audio{}) {
		v.addf("a sim board has no audio section")
	}
	for _, port := range p.Ports {
		if port.Chip != "" || port.Channel != 0 || port.Slot != 0 {
			v.addf("port %q: a sim port has no chip, channel or slot", port.Name)
		}
	}
}

func (p Profile) validateHardware(v *validator) {
	noAudio := p.Audio == (Audio{})
	if noAudio {
		v.addf("a hardware board needs an audio section")
	} else {
		p.Audio.validate(v)
	}
	if len(p.Chips) == 0 {
		v.addf("a hardware board needs chips")
	}
	chips := map[string]chipType{}
	spiDevs := map[string]string{}
	resets := map[string]string{}
	irqs := map[string]bool{}
	for i, c := range p.Chips {
		if !chipNamePattern.MatchString(c.Name) {
			v.addf("chip %d: name %q must be a lower-case letter then up to 15 letters, digits, '-' or '_'", i, c.Name)
		}
		if _, dup := chips[c.Name]; dup {
			v.addf("chip %q listed twice", c.Name)
		}
		t, known := lookupChipType(c.Type)
		if !known {
			v.addf("chip %q: unknown type %q (known: %s)", c.Name, c.Type, strings.Join(chipTypeNames(), ", "))
		}
		chips[c.Name] = t
		c.SPI.validate(v, c.Name)
		if other, dup := spiDevs[c.SPI.Dev]; dup && c.SPI.Dev != "" {
			v.addf("chip %q: spi.dev %q already used by chip %q", c.Name, c.SPI.Dev, other)
		}
		spiDevs[c.SPI.Dev] = c.Name
		if !validPinName(c.Reset) {
			v.addf("chip %q: reset %q must name a GPIO (the chip is held in reset until configured)", c.Name, c.Reset)
		} else if other, dup := resets[c.Reset]; dup {
			v.addf("chip %q: reset GPIO %q already resets chip %q", c.Name, c.Reset, other)
		}
		resets[c.Reset] = c.Name
		if c.IRQ != "" {
			if !validPinName(c.IRQ) {
				v.addf("chip %q: irq %q is not a GPIO name", c.Name, c.IRQ)
			}
			irqs[c.IRQ] = true // open-drain IRQ lines may be shared
		}
	}
	for pin := range resets {
		if irqs[pin] {
			v.addf("GPIO %q is used both as a reset and as an irq", pin)
		}
	}

	type chipChannel struct {
		chip    string
		channel int
	}
	channelUsers := map[chipChannel]string{}
	slotUsers := map[int]string{}
	chipUsed := map[string]bool{}
	for _, port := range p.Ports {
		t, ok := chips[port.Chip]
		switch {
		case port.Chip == "":
			v.addf("port %q: no chip", port.Name)
		case !ok:
			v.addf("port %q: chip %q is not in chips", port.Name, port.Chip)
		case t.name != "" && t.kind != port.Kind:
			v.addf("port %q: kind %q but chip %q (%s) serves %q ports", port.Name, port.Kind, port.Chip, t.name, t.kind)
		case t.name != "" && (port.Channel < 0 || port.Channel >= t.channels):
			v.addf("port %q: channel %d out of range for %s (0-%d)", port.Name, port.Channel, t.name, t.channels-1)
		}
		chipUsed[port.Chip] = true
		cc := chipChannel{port.Chip, port.Channel}
		if other, dup := channelUsers[cc]; dup {
			v.addf("port %q: chip %q channel %d already used by port %q", port.Name, port.Chip, port.Channel, other)
		}
		channelUsers[cc] = port.Name
		if !noAudio && (port.Slot < 0 || port.Slot >= p.Audio.Slots) {
			v.addf("port %q: slot %d out of range (audio.slots is %d)", port.Name, port.Slot, p.Audio.Slots)
		}
		if other, dup := slotUsers[port.Slot]; dup {
			v.addf("port %q: slot %d already used by port %q", port.Name, port.Slot, other)
		}
		slotUsers[port.Slot] = port.Name
	}
	for _, c := range p.Chips {
		if !chipUsed[c.Name] {
			v.addf("chip %q serves no port", c.Name)
		}
	}
}

func (a Audio) validate(v *validator) {
	if a.Driver != "alsa" {
		v.addf("audio.driver %q must be \"alsa\"", a.Driver)
	}
	if a.Card == "" {
		v.addf("audio.card is empty")
	}
	if a.Rate != pcmRate {
		v.addf("audio.rate %d must be %d", a.Rate, pcmRate)
	}
	switch a.Format {
	case "S16_LE", "MU_LAW", "A_LAW":
	default:
		v.addf("audio.format %q must be S16_LE, MU_LAW or A_LAW", a.Format)
	}
	if a.Slots < 1 || a.Slots > maxPCMSlots {
		v.addf("audio.slots %d must be 1-%d", a.Slots, maxPCMSlots)
	}
}

func (s SPI) validate(v *validator, chip string) {
	if s.Dev == "" {
		v.addf("chip %q: spi.dev is empty", chip)
	}
	if s.Hz <= 0 || s.Hz > maxSPIHz {
		v.addf("chip %q: spi.hz %d must be 1-%d", chip, s.Hz, maxSPIHz)
	}
	if s.Mode < 0 || s.Mode > 3 {
		v.addf("chip %q: spi.mode %d must be 0-3", chip, s.Mode)
	}
}

func validPinName(name string) bool {
	return name != "" && !strings.ContainsAny(name, " \t\r\n\x00")
}

// validator collects problems so a profile author sees them all at once.
type validator struct {
	profile  string
	problems []error
}

func (v *validator) addf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Errorf(format, args...))
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return fmt.Errorf("boards: profile %q: %w", v.profile, errors.Join(v.problems...))
}
