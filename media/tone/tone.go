package tone

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SampleRate is the rate, in Hz, of the audio a Generator renders.
const SampleRate = 8000

// Limits on a Tone, checked by Parse and Tone.Validate.
const (
	MaxSteps      = 32 // steps in one cadence
	MaxComponents = 4  // frequencies sounding at once in one step
	MinLevel      = -60.0
	MaxLevel      = 3.0 // dBm0; the coder overloads at +3.14
	MaxStep       = 10 * time.Minute
)

// Kind names a call-progress tone.
type Kind int

// The tones every region provides.
const (
	Dial Kind = iota + 1
	Ringback
	Busy
	Congestion
	CallWaiting
	Beep
)

var kindNames = [...]string{Dial: "dial", Ringback: "ringback", Busy: "busy", Congestion: "congestion", CallWaiting: "callwaiting", Beep: "beep"}

// String returns the kind's name as ParseKind accepts it.
func (k Kind) String() string {
	if k >= Dial && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Kinds lists every Kind in order.
func Kinds() []Kind { return []Kind{Dial, Ringback, Busy, Congestion, CallWaiting, Beep} }

// Errors returned (wrapped) by Lookup and ParseKind.
var (
	ErrUnknownRegion = errors.New("unknown region")
	ErrUnknownKind   = errors.New("unknown tone kind")
)

// ParseKind parses a kind name: dial, ringback, busy, congestion,
// callwaiting (also call-waiting) or beep, in any case.
func ParseKind(s string) (Kind, error) {
	name := strings.ReplaceAll(strings.ToLower(s), "-", "")
	for k := Dial; int(k) < len(kindNames); k++ {
		if kindNames[k] == name {
			return k, nil
		}
	}
	return 0, fmt.Errorf("tone: %w %q (known: %s)", ErrUnknownKind, s, strings.Join(kindNames[Dial:], ", "))
}

// Component is one sine wave of a step.
type Component struct {
	Freq  int     // Hz, 1..3999
	Level float64 // dBm0
}

// Step is one segment of a cadence: the listed components sounding
// together (none: silence) for Duration. Duration 0 means "until stopped"
// and is allowed only on a tone's last step.
type Step struct {
	Components []Component
	Duration   time.Duration
}

// Tone is a cadence. Steps[:Repeat] play once; Steps[Repeat:] then repeat
// for ever. Repeat == len(Steps) means nothing repeats and the tone ends
// after its last step (unless that step has no duration).
type Tone struct {
	Region string // set by Lookup
	Kind   Kind   // set by Lookup
	Steps  []Step
	Repeat int
}

// Validate reports the first problem that would stop a Generator from
// rendering t.
func (t Tone) Validate() error {
	if len(t.Steps) == 0 {
		return errors.New("tone: no steps")
	}
	if len(t.Steps) > MaxSteps {
		return fmt.Errorf("tone: %d steps, at most %d", len(t.Steps), MaxSteps)
	}
	if t.Repeat < 0 || t.Repeat > len(t.Steps) {
		return fmt.Errorf("tone: repeat index %d outside 0..%d", t.Repeat, len(t.Steps))
	}
	for i, s := range t.Steps {
		if err := s.validate(); err != nil {
			return fmt.Errorf("tone: step %d: %w", i+1, err)
		}
		if s.Duration == 0 && i != len(t.Steps)-1 {
			return fmt.Errorf("tone: step %d: only the last step may be endless", i+1)
		}
	}
	return nil
}

func (s Step) validate() error {
	if len(s.Components) > MaxComponents {
		return fmt.Errorf("%d frequencies, at most %d", len(s.Components), MaxComponents)
	}
	for _, c := range s.Components {
		if c.Freq < 1 || c.Freq >= SampleRate/2 {
			return fmt.Errorf("frequency %d Hz outside 1..%d", c.Freq, SampleRate/2-1)
		}
		if !(c.Level >= MinLevel && c.Level <= MaxLevel) { // also rejects NaN
			return fmt.Errorf("level %g dBm0 outside %g..%g", c.Level, MinLevel, MaxLevel)
		}
	}
	if s.Duration < 0 || s.Duration > MaxStep {
		return fmt.Errorf("duration %v outside 0..%v", s.Duration, MaxStep)
	}
	if s.Duration%time.Millisecond != 0 {
		return fmt.Errorf("duration %v is not whole milliseconds", s.Duration)
	}
	return nil
}

// Lookup returns the tone of the given kind for a region (a lower-case
// code such as "us", "uk", "eu", "de", "fr", "au", "hu"). The returned Tone
// is the caller's own copy.
func Lookup(region string, kind Kind) (Tone, error) {
	known := false
	for _, e := range regionTones {
		if e.region != region {
			continue
		}
		known = true
		if e.kind != kind {
			continue
		}
		t, err := Parse(e.spec, e.level)
		if err != nil { // the table is tested; this would be a bad edit
			return Tone{}, fmt.Errorf("tone: built-in %s %s: %w", region, kind, err)
		}
		t.Region, t.Kind = region, kind
		return t, nil
	}
	if !known {
		return Tone{}, fmt.Errorf("tone: %w %q (known: %s)", ErrUnknownRegion, region, strings.Join(Regions(), ", "))
	}
	return Tone{}, fmt.Errorf("tone: %w %v for region %q", ErrUnknownKind, kind, region)
}

// Regions lists the region codes that have tones, sorted.
func Regions() []string {
	var out []string
	for _, e := range regionTones {
		if !slices.Contains(out, e.region) {
			out = append(out, e.region)
		}
	}
	slices.Sort(out)
	return out
}
