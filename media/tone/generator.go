package tone

import (
	"math"
	"time"
)

// reseedInterval is how often, in samples of step position, an oscillator
// is re-anchored to the exact phase. Between anchors it runs as a
// two-multiply resonator; anchoring at fixed positions (not at frame
// boundaries) keeps the output independent of how Fill is called.
const reseedInterval = 160

// fullScaleDBm0 is the level of a full-scale 16-bit sine (A-law overload).
const fullScaleDBm0 = 3.14

// Amplitude returns the peak, in 16-bit sample units, of a sine at the
// given level in dBm0.
func Amplitude(dBm0 float64) float64 {
	return 32768 * math.Pow(10, (dBm0-fullScaleDBm0)/20)
}

// oscillator renders A·sin(2π·f·(k+½)/SampleRate) for step positions k.
type oscillator struct {
	freq   int64
	amp    float64
	coef   float64 // 2·cos(ω)
	y1, y2 float64 // the two previous samples
}

// sample returns the exact value at step position k (k may be -1 or -2).
func (o *oscillator) sample(k int64) float64 {
	// Phase in units of 1/(2·SampleRate) cycles, reduced exactly in
	// integers: f·(2k+1) mod 2·SampleRate.
	k %= SampleRate
	m := (o.freq * (2*k + 1)) % (2 * SampleRate)
	if m < 0 {
		m += 2 * SampleRate
	}
	return o.amp * math.Sin(math.Pi*float64(m)/SampleRate)
}

// seed anchors the resonator so that its next output is the sample at k.
func (o *oscillator) seed(k int64) {
	o.y1, o.y2 = o.sample(k-1), o.sample(k-2)
}

// Generator renders a Tone as 8 kHz 16-bit samples. The zero value is
// silent and done; Reset (or NewGenerator) gives it a tone. A Generator is
// not safe for concurrent use.
type Generator struct {
	tone   Tone
	step   int   // current index into tone.Steps
	pos    int64 // samples of the current step already rendered
	length int64 // samples in the current step; 0: endless
	osc    [MaxComponents]oscillator
	active int // components sounding in the current step
	done   bool
	total  int64 // samples rendered since Reset
}

// NewGenerator returns a Generator that renders t from its start.
func NewGenerator(t Tone) (*Generator, error) {
	g := &Generator{}
	if err := g.Reset(t); err != nil {
		return nil, err
	}
	return g, nil
}

// Reset starts rendering t from its beginning. It does not allocate; the
// Generator keeps t (and its Steps slice) until the next Reset.
func (g *Generator) Reset(t Tone) error {
	if err := t.Validate(); err != nil {
		return err
	}
	*g = Generator{tone: t}
	g.enter(0)
	return nil
}

// enter makes step i current.
func (g *Generator) enter(i int) {
	g.step, g.pos = i, 0
	s := g.tone.Steps[i]
	g.length = int64(s.Duration / (time.Second / SampleRate))
	g.active = len(s.Components)
	for c, comp := range s.Components {
		w := 2 * math.Pi * float64(comp.Freq) / SampleRate
		g.osc[c] = oscillator{freq: int64(comp.Freq), amp: Amplitude(comp.Level), coef: 2 * math.Cos(w)}
	}
}

// advance moves past the current step, which has just finished.
func (g *Generator) advance() {
	next := g.step + 1
	if next == len(g.tone.Steps) {
		if g.tone.Repeat == len(g.tone.Steps) {
			g.done = true
			return
		}
		next = g.tone.Repeat
	}
	g.enter(next)
}

// Fill renders the next len(dst) samples into dst. It reports true once
// the tone has ended (only tones whose steps all play once end); samples
// after the end are zero. Fill never allocates.
func (g *Generator) Fill(dst []int16) (done bool) {
	for len(dst) > 0 {
		if g.done || g.tone.Steps == nil {
			clear(dst)
			g.total += int64(len(dst))
			return true
		}
		if g.pos%reseedInterval == 0 {
			for c := range g.active {
				g.osc[c].seed(g.pos)
			}
		}
		n := min(len(dst), reseedInterval-int(g.pos%reseedInterval))
		if g.length > 0 {
			n = min(n, int(g.length-g.pos))
		}
		g.render(dst[:n])
		dst = dst[n:]
		g.pos += int64(n)
		g.total += int64(n)
		if g.length > 0 && g.pos == g.length {
			g.advance()
		}
	}
	return g.done
}

// Done reports whether the tone has ended.
func (g *Generator) Done() bool { return g.done || g.tone.Steps == nil }

// Position returns the number of samples rendered since the last Reset.
func (g *Generator) Position() int64 { return g.total }

// render writes the current step's waveform into out, which does not cross
// a step end or a reseed point.
func (g *Generator) render(out []int16) {
	switch g.active {
	case 0:
		clear(out)
	case 1:
		o := &g.osc[0]
		c, y1, y2 := o.coef, o.y1, o.y2
		for i := range out {
			y := c*y1 - y2
			y2, y1 = y1, y
			out[i] = toSample(y)
		}
		o.y1, o.y2 = y1, y2
	case 2:
		a, b := &g.osc[0], &g.osc[1]
		ca, a1, a2 := a.coef, a.y1, a.y2
		cb, b1, b2 := b.coef, b.y1, b.y2
		for i := range out {
			ya := ca*a1 - a2
			yb := cb*b1 - b2
			a2, a1 = a1, ya
			b2, b1 = b1, yb
			out[i] = toSample(ya + yb)
		}
		a.y1, a.y2, b.y1, b.y2 = a1, a2, b1, b2
	default:
		for i := range out {
			var v float64
			for c := range g.active {
				o := &g.osc[c]
				y := o.coef*o.y1 - o.y2
				o.y2, o.y1 = o.y1, y
				v += y
			}
			out[i] = toSample(v)
		}
	}
}

// toSample rounds v to the nearest int16, saturating.
func toSample(v float64) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}
