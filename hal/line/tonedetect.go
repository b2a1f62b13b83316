package line

import (
	"math"
	"slices"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/tone"
)

// ToneDetector recognises call-progress tones (busy, congestion, dial,
// ringback...) in 8 kHz audio by frequency and cadence: per 20 ms frame,
// Goertzel filters at each tone's frequencies decide whether that tone is
// sounding; runs of equal frames make on/off segments; a cadenced tone is
// confirmed when enough consecutive segments match its pattern, a steady
// tone when it has sounded longer than any cadenced tone's burst. Not safe
// for concurrent use; it does not allocate after construction.
type ToneDetector struct {
	filters  []goertzel
	freqs    []int
	power    []float64 // per filter, this frame
	patterns []pattern
	need     int
	minPower float64
	steady   int // frames a steady tone must sound
}

type goertzel struct{ coef float64 }

type pattern struct {
	kind    tone.Kind
	filters []int // indexes into ToneDetector.filters
	segs    []segment
	steady  bool

	started bool
	on      bool
	run     int // frames in the current segment
	next    int // index of the segment expected next
	matched int
}

type segment struct {
	on  bool
	dur time.Duration
}

// toneMinLevel is the weakest tone, dBm0, counted as sounding.
const toneMinLevel = -40.0

// NewToneDetector builds a detector for tones; need is how many
// consecutive matching on/off segments confirm a cadenced tone (at least
// 2).
func NewToneDetector(tones []tone.Tone, need int) *ToneDetector {
	d := &ToneDetector{need: max(need, 2)}
	a := tone.Amplitude(toneMinLevel)
	d.minPower = a * a / 2
	longestOn := 300 * time.Millisecond
	for _, t := range tones {
		p := pattern{kind: t.Kind}
		for _, s := range t.Steps[t.Repeat:] {
			on := len(s.Components) > 0
			for _, c := range s.Components {
				i := slices.Index(d.freqs, c.Freq)
				if i < 0 {
					i = len(d.freqs)
					d.freqs = append(d.freqs, c.Freq)
				}
				if !slices.Contains(p.filters, i) {
					p.filters = append(p.filters, i)
				}
			}
			if n := len(p.segs); n > 0 && p.segs[n-1].on == on {
				p.segs[n-1].dur += s.Duration
				continue
			}
			p.segs = append(p.segs, segment{on: on, dur: s.Duration})
		}
		switch {
		case len(p.segs) == 1 && p.segs[0].on:
			p.steady = true
		case len(p.segs) >= 2 && p.segs[0].on != p.segs[len(p.segs)-1].on:
			for _, s := range p.segs {
				if s.on {
					longestOn = max(longestOn, s.dur)
				}
			}
		default:
			continue // a one-shot or odd cadence: not detectable this way
		}
		d.patterns = append(d.patterns, p)
	}
	d.steady = int((longestOn + 300*time.Millisecond) / hal.FrameDuration)
	for _, f := range d.freqs {
		d.filters = append(d.filters, goertzel{coef: 2 * math.Cos(2*math.Pi*float64(f)/hal.SampleRate)})
	}
	d.power = make([]float64, len(d.filters))
	return d
}

// Reset forgets the audio heard so far.
func (d *ToneDetector) Reset() {
	for i := range d.patterns {
		p := &d.patterns[i]
		p.started, p.on, p.run, p.next, p.matched = false, false, 0, 0, 0
	}
}

// Frame analyses one frame and returns the kind of a tone confirmed by it
// (0 when none is). A steady tone is reported once per sounding.
func (d *ToneDetector) Frame(f *hal.Frame) tone.Kind {
	var energy float64
	for _, s := range f {
		energy += float64(s) * float64(s)
	}
	energy /= hal.FrameSamples
	loud := energy >= d.minPower
	for i, g := range d.filters {
		d.power[i] = 0
		if loud {
			d.power[i] = g.power(f)
		}
	}
	var found tone.Kind
	for i := range d.patterns {
		p := &d.patterns[i]
		var sum float64
		for _, k := range p.filters {
			sum += d.power[k]
		}
		if k := d.step(p, loud && sum >= 0.6*energy); k != 0 && found == 0 {
			found = k
		}
	}
	return found
}

// step advances one pattern by one frame.
func (d *ToneDetector) step(p *pattern, on bool) tone.Kind {
	if !p.started {
		p.started, p.on, p.run = true, on, 1
		return 0
	}
	if on == p.on {
		p.run++
		if p.steady && on && p.run == d.steady {
			return p.kind
		}
		return 0
	}
	seg := segment{on: p.on, dur: time.Duration(p.run) * hal.FrameDuration}
	p.on, p.run = on, 1
	if p.steady || p.add(seg) < d.need {
		return 0
	}
	p.matched = 0 // report once per run of matches, then re-confirm
	return p.kind
}

// add matches a completed segment and returns the consecutive matches.
func (p *pattern) add(s segment) int {
	if p.matched > 0 && matches(p.segs[p.next], s) {
		p.next = (p.next + 1) % len(p.segs)
		p.matched++
		return p.matched
	}
	p.matched = 0
	for i, want := range p.segs {
		if matches(want, s) {
			p.next = (i + 1) % len(p.segs)
			p.matched = 1
			break
		}
	}
	return p.matched
}

// matches allows frame quantisation and detector latency: ±max(50 ms, 20%).
func matches(want, got segment) bool {
	if want.on != got.on {
		return false
	}
	tol := max(50*time.Millisecond, want.dur/5)
	diff := got.dur - want.dur
	return diff <= tol && diff >= -tol
}

// power is the mean-square power of the frame at the filter's frequency.
func (g goertzel) power(f *hal.Frame) float64 {
	var s1, s2 float64
	for _, x := range f {
		s0 := float64(x) + g.coef*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - g.coef*s1*s2
	return 2 * p / (hal.FrameSamples * hal.FrameSamples)
}
