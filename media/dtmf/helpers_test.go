package dtmf

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gatepbx/gatepbx/media/g711"
)

// signal is a float64 waveform built up by the tests, quantised at the end.
type signal []float64

func ms(n float64) int { return int(n * SampleRate / 1000) }

// tone appends n samples of the digit's two tones, each frequency scaled by
// (1+dev), at the given levels in dBm0.
func (s signal) tone(digit byte, lowDBm0, highDBm0, dev float64, n int) signal {
	k := keyIndex(digit)
	f := frequencies()
	return s.sines(n, sine{f[k/4] * (1 + dev), lowDBm0, 0.3}, sine{f[4+k%4] * (1 + dev), highDBm0, 1.1})
}

type sine struct {
	hz, dBm0, phase float64
}

// sines appends n samples of the sum of the given sines.
func (s signal) sines(n int, comps ...sine) signal {
	for i := range n {
		var v float64
		for _, c := range comps {
			v += amplitude(c.dBm0) * math.Sin(2*math.Pi*c.hz*float64(i)/SampleRate+c.phase)
		}
		s = append(s, v)
	}
	return s
}

func (s signal) silence(n int) signal { return append(s, make([]float64, n)...) }

// noise adds white Gaussian noise of the given power (dBm0) from a seeded
// generator, so every run sees the same noise.
func (s signal) noise(dBm0 float64, seed uint64) signal {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sigma := math.Sqrt(tonePower(dBm0))
	for i := range s {
		s[i] += sigma * rng.NormFloat64()
	}
	return s
}

// pcm quantises to 16 bits, saturating.
func (s signal) pcm() []int16 {
	out := make([]int16, len(s))
	for i, v := range s {
		out[i] = int16(max(math.MinInt16, min(math.MaxInt16, math.Round(v))))
	}
	return out
}

// throughUlaw and throughAlaw pass audio through a G.711 encode/decode.
func throughUlaw(x []int16) []int16 {
	b := make([]byte, len(x))
	g711.EncodeUlaw(b, x)
	out := make([]int16, len(x))
	g711.DecodeUlaw(out, b)
	return out
}

func throughAlaw(x []int16) []int16 {
	b := make([]byte, len(x))
	g711.EncodeAlaw(b, x)
	out := make([]int16, len(x))
	g711.DecodeAlaw(out, b)
	return out
}

// detect runs a fresh default detector over x in frames of the given size.
func detect(t testing.TB, x []int16, frame int) []Event {
	t.Helper()
	d, err := NewDetector(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	for i := 0; i < len(x); i += frame {
		events = d.Detect(events, x[i:min(i+frame, len(x))])
	}
	return events
}

// pressed returns the digits of the KeyDown events.
func pressed(events []Event) string {
	var b []byte
	for _, e := range events {
		if e.Kind == KeyDown {
			b = append(b, e.Digit)
		}
	}
	return string(b)
}

// checkWellFormed verifies that events alternate down/up per digit, carry
// valid digits and move forward in time (a KeyUp may be stamped after the
// next KeyDown's start when one digit follows another without a gap).
func checkWellFormed(t testing.TB, events []Event) {
	t.Helper()
	var down byte
	var lastDown int64 = -1
	for i, e := range events {
		if !ValidDigit(e.Digit) || e.Digit >= 'a' {
			t.Fatalf("event %d: digit %q", i, e.Digit)
		}
		switch e.Kind {
		case KeyDown:
			if down != 0 {
				t.Fatalf("event %d: %c down while %c is still down", i, e.Digit, down)
			}
			if e.Sample < lastDown {
				t.Fatalf("event %d: down at sample %d before the previous down at %d", i, e.Sample, lastDown)
			}
			down, lastDown = e.Digit, e.Sample
		case KeyUp:
			if down != e.Digit {
				t.Fatalf("event %d: %c up without a matching down (down: %q)", i, e.Digit, down)
			}
			if e.Sample <= lastDown {
				t.Fatalf("event %d: up at sample %d, not after its down at %d", i, e.Sample, lastDown)
			}
			down = 0
		default:
			t.Fatalf("event %d: kind %v", i, e.Kind)
		}
	}
}
