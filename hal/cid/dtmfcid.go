package cid

import (
	"fmt"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/dtmf"
)

// DTMFFormat is one DTMF caller-ID variant (ETSI EN 300 659-1 annex and
// national practice; hal-notes 2.5): the number between Start and End, and
// the codes sent instead of a number that is private or unavailable.
type DTMFFormat struct {
	Name        string
	Start, End  byte   // 0 for none
	Private     string // whole digit string sent for a private number
	Unavailable string // and for an unavailable one
}

// The DTMF variants. Absence codes are [verify] against national specs.
var (
	// DTMFAC: A<number>C (BE, BR, DK, FI, IS, IN, NL, SA, SE, UY).
	DTMFAC = DTMFFormat{Name: "dtmf-a-c", Start: 'A', End: 'C', Private: "B10C", Unavailable: "B00C"}
	// DTMFAHash: A<number>#, absence D1# (private) and D3# (unavailable).
	DTMFAHash = DTMFFormat{Name: "dtmf-a-hash", Start: 'A', End: '#', Private: "D1#", Unavailable: "D3#"}
	// DTMFDC: D<number>C (TW, KW).
	DTMFDC = DTMFFormat{Name: "dtmf-d-c", Start: 'D', End: 'C', Private: "B10C", Unavailable: "B00C"}
	// DTMFHash: <number># (DK, NL variant).
	DTMFHash = DTMFFormat{Name: "dtmf-hash", End: '#', Private: "D1#", Unavailable: "D3#"}
)

// maxDTMFCID bounds a received DTMF caller-ID string.
const maxDTMFCID = 32

// Digits returns the DTMF string for c: the digits of its number framed by
// Start and End, or the absence code when it has no number.
func (f DTMFFormat) Digits(c hal.CallerID) string {
	var b strings.Builder
	for i := 0; i < len(c.Number) && b.Len() < MaxNumber; i++ {
		if c.Number[i] >= '0' && c.Number[i] <= '9' {
			b.WriteByte(c.Number[i])
		}
	}
	if b.Len() == 0 {
		if c.NumberAbsent == hal.AbsentPrivate {
			return f.Private
		}
		return f.Unavailable
	}
	out := b.String()
	if f.Start != 0 {
		out = string(f.Start) + out
	}
	return out + string(f.End)
}

// Parse decodes a received DTMF caller-ID string.
func (f DTMFFormat) Parse(s string) (hal.CallerID, error) {
	switch {
	case len(s) > maxDTMFCID:
		return hal.CallerID{}, fmt.Errorf("cid: %s: %d digits, at most %d", f.Name, len(s), maxDTMFCID)
	case s == f.Private:
		return hal.CallerID{NumberAbsent: hal.AbsentPrivate}, nil
	case s == f.Unavailable:
		return hal.CallerID{NumberAbsent: hal.AbsentUnavailable}, nil
	}
	body, ok := strings.CutSuffix(s, string(f.End))
	if ok && f.Start != 0 {
		body, ok = strings.CutPrefix(body, string(f.Start))
	}
	if !ok {
		return hal.CallerID{}, fmt.Errorf("cid: %s: %q is not framed %q...%q", f.Name, s, f.Start, f.End)
	}
	// ETSI variant: a B<info> or D<redirect> field may follow the number.
	if i := strings.IndexAny(body, "ABCD*#"); i >= 0 {
		body = body[:i]
	}
	if body == "" || len(body) > MaxNumber || strings.Trim(body, "0123456789") != "" {
		return hal.CallerID{}, fmt.Errorf("cid: %s: %q has no valid number", f.Name, s)
	}
	return hal.CallerID{Number: body}, nil
}

// Complete reports whether s is a whole caller-ID string in this format,
// so a receiver knows when to stop collecting digits.
func (f DTMFFormat) Complete(s string) bool {
	return s == f.Private || s == f.Unavailable || len(s) > 1 && s[len(s)-1] == f.End
}

// RenderDTMF returns the audio of c as DTMF caller ID: 70 ms tones with
// 70 ms gaps at −8 dBm0 [verify against EN 300 659-1 annex B], which the
// media/dtmf detector accepts.
func RenderDTMF(f DTMFFormat, c hal.CallerID) ([]int16, error) {
	digits := f.Digits(c)
	const on, off = 70 * time.Millisecond, 70 * time.Millisecond
	g, err := dtmf.NewGenerator(dtmf.GeneratorConfig{LowLevel: -8, HighLevel: -8, On: on, Off: off})
	if err != nil {
		return nil, fmt.Errorf("cid: %w", err)
	}
	if err := g.Play(digits); err != nil {
		return nil, fmt.Errorf("cid: %w", err)
	}
	out := make([]int16, len(digits)*int((on+off)/time.Millisecond)*hal.SampleRate/1000)
	g.Fill(out)
	return out, nil
}
