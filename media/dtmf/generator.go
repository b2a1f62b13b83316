package dtmf

import (
	"fmt"
	"math"
	"time"
)

// GeneratorConfig sets how a Generator plays digits.
type GeneratorConfig struct {
	LowLevel  float64       // dBm0 of the row (low-group) tone
	HighLevel float64       // dBm0 of the column (high-group) tone
	On        time.Duration // tone per digit
	Off       time.Duration // silence after each digit
}

// DefaultGeneratorConfig returns −10 dBm0 per tone (spandsp's default,
// hal-notes §2.4) and 100 ms on, 100 ms off: twice the 40/50 ms minimums,
// for margin over real lines and slow receivers.
func DefaultGeneratorConfig() GeneratorConfig {
	return GeneratorConfig{LowLevel: -10, HighLevel: -10, On: 100 * time.Millisecond, Off: 100 * time.Millisecond}
}

func (c GeneratorConfig) validate() error {
	for _, l := range []struct {
		name  string
		level float64
	}{{"LowLevel", c.LowLevel}, {"HighLevel", c.HighLevel}} {
		if !(l.level >= -60 && l.level <= 0) {
			return fmt.Errorf("dtmf: %s %g dBm0 outside -60..0", l.name, l.level)
		}
	}
	if c.On <= 0 || c.On > time.Minute {
		return fmt.Errorf("dtmf: On %v outside (0, 1m]", c.On)
	}
	if c.Off < 0 || c.Off > time.Minute {
		return fmt.Errorf("dtmf: Off %v outside [0, 1m]", c.Off)
	}
	return nil
}

// reseedInterval: see oscillator.
const reseedInterval = 160

// oscillator renders A·sin(2π·f·(k+½)/SampleRate) for positions k in a
// burst. It runs as a two-multiply resonator, re-anchored to the exact
// phase every reseedInterval samples of burst position, so the output does
// not depend on how Fill is called and never drifts.
type oscillator struct {
	freq   int64
	amp    float64
	coef   float64
	y1, y2 float64
}

func (o *oscillator) sample(k int64) float64 {
	k %= SampleRate
	m := (o.freq * (2*k + 1)) % (2 * SampleRate)
	if m < 0 {
		m += 2 * SampleRate
	}
	return o.amp * math.Sin(math.Pi*float64(m)/SampleRate)
}

func (o *oscillator) seed(k int64) { o.y1, o.y2 = o.sample(k-1), o.sample(k-2) }

// Generator plays DTMF digits as audio. It is not safe for concurrent use.
type Generator struct {
	onSamples, offSamples int64
	lowAmp, highAmp       float64

	digits string // still to play, digits[0] is current
	pos    int64  // samples of the current digit (tone then gap) rendered
	low    oscillator
	high   oscillator
}

// NewGenerator returns an idle Generator with the given settings.
func NewGenerator(cfg GeneratorConfig) (*Generator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Generator{
		onSamples:  int64(cfg.On * SampleRate / time.Second),
		offSamples: int64(cfg.Off * SampleRate / time.Second),
		lowAmp:     amplitude(cfg.LowLevel),
		highAmp:    amplitude(cfg.HighLevel),
	}, nil
}

// Play replaces whatever is playing with digits (0-9, *, #, A-D or a-d),
// each a tone burst followed by silence. An empty string stops the
// generator. An invalid digit leaves the generator unchanged.
func (g *Generator) Play(digits string) error {
	for i := 0; i < len(digits); i++ {
		if !ValidDigit(digits[i]) {
			return fmt.Errorf("dtmf: %q at position %d of %q is not a DTMF digit", digits[i], i, digits)
		}
	}
	g.digits = digits
	g.start()
	return nil
}

// start sets up the oscillators for digits[0].
func (g *Generator) start() {
	g.pos = 0
	if g.digits == "" {
		return
	}
	k := keyIndex(g.digits[0])
	f := frequencies()
	g.low = newOscillator(f[k/4], g.lowAmp)
	g.high = newOscillator(f[4+k%4], g.highAmp)
}

func newOscillator(freq, amp float64) oscillator {
	return oscillator{freq: int64(freq), amp: amp, coef: 2 * math.Cos(2*math.Pi*freq/SampleRate)}
}

// Done reports whether every digit has been played.
func (g *Generator) Done() bool { return g.digits == "" }

// Fill renders the next len(dst) samples and reports whether all digits
// have now been played; samples after the end are zero. It never allocates.
func (g *Generator) Fill(dst []int16) (done bool) {
	for len(dst) > 0 {
		if g.digits == "" {
			clear(dst)
			return true
		}
		var n int
		if g.pos < g.onSamples {
			if g.pos%reseedInterval == 0 {
				g.low.seed(g.pos)
				g.high.seed(g.pos)
			}
			n = int(min(int64(len(dst)), g.onSamples-g.pos, reseedInterval-g.pos%reseedInterval))
			g.renderTone(dst[:n])
		} else {
			n = int(min(int64(len(dst)), g.onSamples+g.offSamples-g.pos))
			clear(dst[:n])
		}
		dst = dst[n:]
		g.pos += int64(n)
		if g.pos == g.onSamples+g.offSamples {
			g.digits = g.digits[1:]
			g.start()
		}
	}
	return g.digits == ""
}

func (g *Generator) renderTone(out []int16) {
	a, b := &g.low, &g.high
	ca, a1, a2 := a.coef, a.y1, a.y2
	cb, b1, b2 := b.coef, b.y1, b.y2
	for i := range out {
		ya := ca*a1 - a2
		yb := cb*b1 - b2
		a2, a1 = a1, ya
		b2, b1 = b1, yb
		switch v := ya + yb; {
		case v >= math.MaxInt16: // two tones near 0 dBm0 can exceed full scale
			out[i] = math.MaxInt16
		case v <= math.MinInt16:
			out[i] = math.MinInt16
		case v >= 0:
			out[i] = int16(v + 0.5)
		default:
			out[i] = int16(v - 0.5)
		}
	}
	a.y1, a.y2, b.y1, b.y2 = a1, a2, b1, b2
}
