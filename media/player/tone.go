package player

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/tone"
)

// toneSource plays a tone.Generator, ending with io.EOF when the tone
// ends (tones with a held last step never end).
type toneSource struct{ g *tone.Generator }

func (s toneSource) ReadFrame(dst []int16) (int, error) {
	if s.g.Done() {
		return 0, io.EOF
	}
	s.g.Fill(dst)
	return len(dst), nil
}

func (toneSource) Close() error { return nil }

// Tone returns the region's tone of the given kind (tone.Lookup's
// regions; "" means the Library's default region).
func (l *Library) Tone(region string, kind tone.Kind) (Source, error) {
	if region == "" {
		region = l.region
	}
	t, err := tone.Lookup(region, kind)
	if err != nil {
		return nil, fmt.Errorf("player: %w", err)
	}
	g, err := tone.NewGenerator(t)
	if err != nil {
		return nil, fmt.Errorf("player: tone %s/%s: %w", region, kind, err)
	}
	return toneSource{g}, nil
}

// openToneSpec opens "kind" or "region/kind" (the part after "tone:").
func (l *Library) openToneSpec(spec string) (Source, error) {
	region, name := "", spec
	if i := strings.IndexByte(spec, '/'); i >= 0 {
		region, name = spec[:i], spec[i+1:]
	}
	kind, err := tone.ParseKind(name)
	if err != nil {
		return nil, fmt.Errorf("player: %w", err)
	}
	return l.Tone(strings.ToLower(region), kind)
}

// note is one note of the built-in hold melody: a frequency (0: rest) and
// a length.
type note struct {
	freq float64
	dur  time.Duration
}

// holdMelody is the built-in music on hold: a slow arpeggio in C major
// and A minor, looped. Data, not code: change the tune here.
var holdMelody = []note{
	{523.25, 400 * time.Millisecond}, {659.25, 400 * time.Millisecond}, {783.99, 400 * time.Millisecond}, {659.25, 400 * time.Millisecond},
	{523.25, 800 * time.Millisecond}, {0, 200 * time.Millisecond},
	{440.00, 400 * time.Millisecond}, {523.25, 400 * time.Millisecond}, {659.25, 400 * time.Millisecond}, {523.25, 400 * time.Millisecond},
	{440.00, 800 * time.Millisecond}, {0, 200 * time.Millisecond},
	{349.23, 400 * time.Millisecond}, {440.00, 400 * time.Millisecond}, {523.25, 400 * time.Millisecond}, {440.00, 400 * time.Millisecond},
	{392.00, 400 * time.Millisecond}, {493.88, 400 * time.Millisecond}, {587.33, 400 * time.Millisecond}, {493.88, 400 * time.Millisecond},
	{523.25, 1200 * time.Millisecond}, {0, 600 * time.Millisecond},
}

const (
	// melodyLevel is the hold melody's peak, about -20 dBm0: soft.
	melodyLevel = -20.0
	// melodyAttack and melodyRelease shape each note so it does not click.
	melodyAttack  = 20 * time.Millisecond
	melodyRelease = 120 * time.Millisecond
)

// melody renders holdMelody once, then ends (Loop repeats it).
type melody struct {
	notes []note
	i     int   // current note
	pos   int64 // samples into it
	amp   float64
}

func newMelody() *melody {
	return &melody{notes: holdMelody, amp: tone.Amplitude(melodyLevel)}
}

func (m *melody) ReadFrame(dst []int16) (int, error) {
	const perSample = float64(time.Second / stream.SampleRate)
	attack := float64(melodyAttack) / perSample
	release := float64(melodyRelease) / perSample
	n := 0
	for n < len(dst) {
		if m.i >= len(m.notes) {
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		nt := m.notes[m.i]
		length := int64(float64(nt.dur) / perSample)
		for ; n < len(dst) && m.pos < length; n, m.pos = n+1, m.pos+1 {
			if nt.freq == 0 {
				dst[n] = 0
				continue
			}
			t := float64(m.pos)
			env := min(1, t/attack, float64(length-m.pos)/release)
			// A touch of second harmonic makes it rounder than a pure sine.
			v := math.Sin(2*math.Pi*nt.freq*t/stream.SampleRate) + 0.2*math.Sin(4*math.Pi*nt.freq*t/stream.SampleRate)
			dst[n] = int16(m.amp * env * v / 1.2)
		}
		if m.pos >= length {
			m.i, m.pos = m.i+1, 0
		}
	}
	return n, nil
}

func (*melody) Close() error { return nil }
