package tone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxSpecLen bounds the input Parse accepts; real cadences are far shorter.
const maxSpecLen = 1024

// Parse reads a cadence spec (see the package documentation) into a Tone.
// level is the dBm0 of every component that does not give its own "@level".
func Parse(spec string, level float64) (Tone, error) {
	if len(spec) > maxSpecLen {
		return Tone{}, fmt.Errorf("tone: spec is %d bytes, at most %d", len(spec), maxSpecLen)
	}
	if strings.TrimSpace(spec) == "" {
		return Tone{}, errors.New("tone: empty spec")
	}
	parts := strings.Split(spec, ",")
	if len(parts) > MaxSteps {
		return Tone{}, fmt.Errorf("tone: %q: %d steps, at most %d", spec, len(parts), MaxSteps)
	}
	t := Tone{Steps: make([]Step, 0, len(parts))}
	repeating := false
	for i, part := range parts {
		part = strings.TrimSpace(part)
		once := strings.HasPrefix(part, "!")
		if once {
			if repeating {
				return Tone{}, fmt.Errorf("tone: %q: step %d %q: a play-once step (!) after a repeated one", spec, i+1, part)
			}
			t.Repeat++
			part = part[1:]
		} else {
			repeating = true
		}
		s, err := parseStep(part, level)
		if err != nil {
			return Tone{}, fmt.Errorf("tone: %q: step %d %q: %w", spec, i+1, part, err)
		}
		t.Steps = append(t.Steps, s)
	}
	if err := t.Validate(); err != nil {
		return Tone{}, fmt.Errorf("%w (in %q)", err, spec)
	}
	return t, nil
}

func parseStep(s string, level float64) (Step, error) {
	freqs, dur, hasDur := strings.Cut(s, "/")
	var st Step
	if hasDur {
		ms, err := strconv.ParseUint(dur, 10, 32)
		if err != nil || ms == 0 {
			return Step{}, fmt.Errorf("duration %q is not a positive whole number of milliseconds", dur)
		}
		if time.Duration(ms)*time.Millisecond > MaxStep {
			return Step{}, fmt.Errorf("duration %s ms longer than %v", dur, MaxStep)
		}
		st.Duration = time.Duration(ms) * time.Millisecond
	}
	if freqs == "0" {
		return st, nil
	}
	comps := strings.Split(freqs, "+")
	if len(comps) > MaxComponents {
		return Step{}, fmt.Errorf("%d frequencies, at most %d", len(comps), MaxComponents)
	}
	st.Components = make([]Component, 0, len(comps))
	for _, c := range comps {
		hz, lvl, hasLevel := strings.Cut(c, "@")
		f, err := strconv.ParseUint(hz, 10, 16)
		if err != nil || f == 0 || f >= SampleRate/2 {
			return Step{}, fmt.Errorf("frequency %q is not a whole number of Hz in 1..%d", hz, SampleRate/2-1)
		}
		comp := Component{Freq: int(f), Level: level}
		if hasLevel {
			l, err := strconv.ParseFloat(lvl, 64)
			if err != nil {
				return Step{}, fmt.Errorf("level %q is not a number of dBm0", lvl)
			}
			comp.Level = l
		}
		st.Components = append(st.Components, comp)
	}
	return st, nil
}
