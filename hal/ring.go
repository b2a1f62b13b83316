package hal

import (
	"fmt"
	"time"
)

// MaxCadencePairs is how many on/off pairs a Cadence may have (DAHDI allows
// 16 entries, i.e. 8 pairs).
const MaxCadencePairs = 8

// Cadence is a ring pattern as data: burst On[i] is followed by silence
// Off[i], and the pattern repeats from the start.
type Cadence struct {
	Name    string
	On, Off []time.Duration
}

// Validate reports why c cannot be rung, or nil.
func (c Cadence) Validate() error {
	switch {
	case len(c.On) == 0:
		return fmt.Errorf("cadence %q: no ring bursts", c.Name)
	case len(c.On) != len(c.Off):
		return fmt.Errorf("cadence %q: %d bursts but %d pauses", c.Name, len(c.On), len(c.Off))
	case len(c.On) > MaxCadencePairs:
		return fmt.Errorf("cadence %q: %d on/off pairs, at most %d", c.Name, len(c.On), MaxCadencePairs)
	}
	for i := range c.On {
		if c.On[i] <= 0 {
			return fmt.Errorf("cadence %q: burst %d is %v, must be positive", c.Name, i, c.On[i])
		}
		if c.Off[i] < 0 {
			return fmt.Errorf("cadence %q: pause %d is %v, must not be negative", c.Name, i, c.Off[i])
		}
	}
	return nil
}

// Period is the length of one full cycle of the cadence.
func (c Cadence) Period() time.Duration {
	var total time.Duration
	for i := range c.On {
		total += c.On[i]
	}
	for i := range c.Off {
		total += c.Off[i]
	}
	return total
}

// CallerID is what an FXS port sends to the phone while ringing, or what an
// FXO port received from the CO. Encoding (Bell 202 MDMF, ETSI V.23 FSK,
// DTMF) is a region setting of the port (hal/cid, hal/region).
type CallerID struct {
	Number, Name string
	Time         time.Time
	// NumberAbsent and NameAbsent say why Number or Name is empty:
	// AbsentPrivate ('P'), AbsentUnavailable ('O'), or 0 when not said.
	NumberAbsent, NameAbsent byte
}

// Reasons a caller-ID field is absent, as the MDMF/ETSI messages code them.
const (
	AbsentUnavailable byte = 'O'
	AbsentPrivate     byte = 'P'
)
