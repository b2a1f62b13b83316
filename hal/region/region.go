package region

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
)

// Region is one country's analog line practice.
type Region struct {
	Code     string      // ISO 3166 alpha-2, lower case, e.g. "hu"
	Name     string      // e.g. "Hungary"
	Tones    string      // media/tone region code for call-progress tones
	Ring     hal.Cadence // default ring cadence
	RingHz   int         // ring signal frequency: 20 or 25
	CallerID cid.Plan
	// FlashMin and FlashMax bound a hook flash; a shorter break is a
	// pulse or a glitch, a longer one a hang-up.
	FlashMin, FlashMax time.Duration
	// DAACountry names the hal/daa country entry (line impedance, DC
	// termination, ring detection) for FXO ports.
	DAACountry string
}

// ErrUnknown is wrapped by Lookup for an unknown code.
var ErrUnknown = errors.New("unknown region")

const ms = time.Millisecond

func cadence(name string, onOff ...time.Duration) hal.Cadence {
	c := hal.Cadence{Name: name}
	for i := 0; i+1 < len(onOff); i += 2 {
		c.On = append(c.On, onOff[i])
		c.Off = append(c.Off, onOff[i+1])
	}
	return c
}

// table is the region data. Cadences: dahdi-tools zonedata.c via
// hal-notes 2.1; caller-ID practice: hal-notes 2.5; ring frequency: 20 Hz
// in North America, 25 Hz in most of Europe and Australia (France uses
// 50 Hz, outside the Si321x presets here, so 25 Hz [verify]); the flash
// window is the notes' recommended 100-700 ms everywhere until national
// specs are checked [verify]. Read only.
var table = []Region{
	{Code: "us", RingHz: 20, Name: "United States", Tones: "us", Ring: cadence("us", 2000*ms, 4000*ms),
		CallerID: cid.PlanBell202, FlashMin: 100 * ms, FlashMax: 700 * ms, DAACountry: "FCC"},
	{Code: "uk", RingHz: 25, Name: "United Kingdom", Tones: "uk", Ring: cadence("uk", 400*ms, 200*ms, 400*ms, 2000*ms),
		CallerID: cid.PlanETSIDTAS, FlashMin: 100 * ms, FlashMax: 700 * ms, DAACountry: "UK"},
	{Code: "de", RingHz: 25, Name: "Germany", Tones: "de", Ring: cadence("de", 1000*ms, 4000*ms),
		CallerID: cid.PlanETSIAfterRing, FlashMin: 100 * ms, FlashMax: 700 * ms, DAACountry: "GERMANY"},
	{Code: "hu", RingHz: 25, Name: "Hungary", Tones: "hu", Ring: cadence("hu", 1250*ms, 3750*ms),
		CallerID: cid.PlanETSIAfterRing, FlashMin: 100 * ms, FlashMax: 700 * ms, DAACountry: "HUNGARY"},
	{Code: "fr", RingHz: 25, Name: "France", Tones: "fr", Ring: cadence("fr", 1500*ms, 3500*ms),
		CallerID: cid.PlanETSIAfterRing, FlashMin: 100 * ms, FlashMax: 700 * ms, DAACountry: "FRANCE"},
	{Code: "nl", RingHz: 25, Name: "Netherlands", Tones: "eu", Ring: cadence("nl", 1000*ms, 4000*ms),
		CallerID: cid.PlanDTMF, FlashMin: 100 * ms, FlashMax: 700 * ms, DAACountry: "NETHERLANDS"},
	{Code: "au", RingHz: 25, Name: "Australia", Tones: "au", Ring: cadence("au", 400*ms, 200*ms, 400*ms, 2000*ms),
		CallerID: cid.PlanBell202, FlashMin: 100 * ms, FlashMax: 700 * ms, DAACountry: "AUSTRALIA"},
}

// Lookup returns the region with the given code. The returned value is the
// caller's own copy.
func Lookup(code string) (Region, error) {
	for _, r := range table {
		if r.Code == code {
			r.Ring.On = slices.Clone(r.Ring.On)
			r.Ring.Off = slices.Clone(r.Ring.Off)
			return r, nil
		}
	}
	return Region{}, fmt.Errorf("region: %w %q (known: %s)", ErrUnknown, code, strings.Join(Codes(), ", "))
}

// Codes lists the known region codes in table order.
func Codes() []string {
	out := make([]string, len(table))
	for i, r := range table {
		out[i] = r.Code
	}
	return out
}

// Validate reports why r is unusable, or nil.
func (r Region) Validate() error {
	if err := r.Ring.Validate(); err != nil {
		return fmt.Errorf("region %s: %w", r.Code, err)
	}
	if err := r.CallerID.Validate(); err != nil {
		return fmt.Errorf("region %s: %w", r.Code, err)
	}
	if r.FlashMin <= 0 || r.FlashMax <= r.FlashMin {
		return fmt.Errorf("region %s: flash window %v-%v is empty", r.Code, r.FlashMin, r.FlashMax)
	}
	if r.RingHz != 20 && r.RingHz != 25 {
		return fmt.Errorf("region %s: ring frequency %d Hz, want 20 or 25", r.Code, r.RingHz)
	}
	if r.Tones == "" || r.DAACountry == "" {
		return fmt.Errorf("region %s: no tone region or DAA country", r.Code)
	}
	return nil
}
