package dtmf

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

const allDigits = "0123456789*#ABCD"

func TestDetectsEveryDigitFromGenerator(t *testing.T) {
	tests := []struct {
		name string
		cfg  GeneratorConfig
	}{
		{"defaults", DefaultGeneratorConfig()},
		{"minimum timing 50/55 ms", GeneratorConfig{LowLevel: -10, HighLevel: -10, On: 50e6, Off: 55e6}},
		{"EU levels -11/-9", GeneratorConfig{LowLevel: -11, HighLevel: -9, On: 70e6, Off: 70e6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewGenerator(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Play(allDigits); err != nil {
				t.Fatal(err)
			}
			var x []int16
			frame := make([]int16, 160)
			for done := false; !done; {
				done = g.Fill(frame)
				x = append(x, frame...)
			}
			events := detect(t, x, 160)
			checkWellFormed(t, events)
			if got := pressed(events); got != allDigits {
				t.Errorf("detected %q, want %q", got, allDigits)
			}
			if len(events) != 2*len(allDigits) {
				t.Errorf("%d events, want a down and an up per digit", len(events))
			}
		})
	}
}

// condition describes how each digit is sent through the channel.
type condition struct {
	name      string
	low, high float64 // dBm0
	dev       float64 // frequency error, fraction
	onMs      float64
	noise     float64 // white noise power, dBm0; 0 for none
	codec     func([]int16) []int16
	detected  bool
}

// noiseFor returns the noise power (dBm0) that gives the wanted S/N
// against a digit with the given tone levels.
func noiseFor(low, high, snr float64) float64 {
	return 10*math.Log10(math.Pow(10, low/10)+math.Pow(10, high/10)) - snr
}

func (c condition) audio(digit byte, lead int) []int16 {
	s := signal(nil).silence(ms(100)+lead).tone(digit, c.low, c.high, c.dev, ms(c.onMs)).silence(ms(100))
	if c.noise != 0 {
		s = s.noise(c.noise, uint64(digit)+uint64(lead)<<8)
	}
	x := s.pcm()
	if c.codec != nil {
		x = c.codec(x)
	}
	return x
}

func TestDetectionLimits(t *testing.T) {
	tests := []condition{
		{name: "-10 dBm0", low: -10, high: -10, onMs: 60, detected: true},
		{name: "-20 dBm0", low: -20, high: -20, onMs: 60, detected: true},
		{name: "-36 dBm0", low: -36, high: -36, onMs: 60, detected: true},
		{name: "-20 dBm0 through µ-law", low: -20, high: -20, onMs: 60, codec: throughUlaw, detected: true},
		{name: "-30 dBm0 through µ-law", low: -30, high: -30, onMs: 60, codec: throughUlaw, detected: true},
		{name: "-20 dBm0 through A-law", low: -20, high: -20, onMs: 60, codec: throughAlaw, detected: true},
		{name: "-3 dBm0 through µ-law", low: -3, high: -3, onMs: 60, codec: throughUlaw, detected: true},
		{name: "below threshold -48 dBm0", low: -48, high: -48, onMs: 60},

		{name: "normal twist 7 dB", low: -10, high: -17, onMs: 60, detected: true},
		{name: "reverse twist 3.5 dB", low: -13.5, high: -10, onMs: 60, detected: true},
		{name: "normal twist 10 dB", low: -10, high: -20, onMs: 60},
		{name: "reverse twist 6 dB", low: -16, high: -10, onMs: 60},

		{name: "+1.5%", low: -10, high: -10, dev: 0.015, onMs: 60, detected: true},
		{name: "-1.5%", low: -10, high: -10, dev: -0.015, onMs: 60, detected: true},
		{name: "+3.5%", low: -10, high: -10, dev: 0.035, onMs: 60},
		{name: "-3.5%", low: -10, high: -10, dev: -0.035, onMs: 60},
		{name: "+3.5% with 8 dB normal twist", low: -10, high: -18, dev: 0.035, onMs: 60},

		{name: "S/N 15 dB", low: -10, high: -10, noise: noiseFor(-10, -10, 15), onMs: 60, detected: true},
		{name: "S/N 15 dB at -25 dBm0", low: -25, high: -25, noise: noiseFor(-25, -25, 15), onMs: 60, detected: true},
		{name: "S/N 15 dB, normal twist 7 dB", low: -10, high: -17, noise: noiseFor(-10, -17, 15), onMs: 60, detected: true},
		{name: "S/N 15 dB, +1.5%, reverse twist 3.5 dB, µ-law", low: -13.5, high: -10, dev: 0.015, noise: noiseFor(-13.5, -10, 15), onMs: 60, codec: throughUlaw, detected: true},
		// Off-frequency tones lose up to 1.4 dB in the 1633 Hz filter, which
		// adds to the measured twist; 6 dB leaves room for it.
		{name: "S/N 15 dB, -1.5%, normal twist 6 dB", low: -10, high: -16, dev: -0.015, noise: noiseFor(-10, -16, 15), onMs: 60, detected: true},
		{name: "S/N 0 dB", low: -20, high: -20, noise: noiseFor(-20, -20, 0), onMs: 60},

		{name: "40 ms", low: -10, high: -10, onMs: 40, detected: true},
		{name: "40 ms at -30 dBm0, +1.5%", low: -30, high: -30, dev: 0.015, onMs: 40, detected: true},
		{name: "23 ms", low: -10, high: -10, onMs: 23},
		{name: "20 ms", low: -10, high: -10, onMs: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range len(allDigits) {
				digit := allDigits[i]
				// Vary where the tone falls against the detector's windows.
				lead := (i * 13) % halfLen
				events := detect(t, tt.audio(digit, lead), 160)
				checkWellFormed(t, events)
				want := ""
				if tt.detected {
					want = string(digit)
				}
				if got := pressed(events); got != want {
					t.Errorf("digit %c: detected %q, want %q", digit, got, want)
				}
			}
		})
	}
}

// TestDurationAtEveryAlignment sweeps a tone's start across a whole window:
// 40 ms must always be detected, 23 ms never.
func TestDurationAtEveryAlignment(t *testing.T) {
	for _, tt := range []struct {
		onMs float64
		want bool
	}{{40, true}, {23, false}} {
		t.Run(fmt.Sprintf("%gms", tt.onMs), func(t *testing.T) {
			for lead := 0; lead < windowLen; lead++ {
				for _, digit := range []byte("1D") { // lowest and highest pair
					c := condition{low: -10, high: -10, onMs: tt.onMs}
					got := pressed(detect(t, c.audio(digit, lead), 160))
					if (got != "") != tt.want {
						t.Fatalf("digit %c starting %d samples into a window: detected %q", digit, lead, got)
					}
				}
			}
		})
	}
}

func TestRepeatedDigitsAndGaps(t *testing.T) {
	tests := []struct {
		name  string
		build func() signal
		want  string
	}{
		{"10 digits per second", func() signal {
			s := signal(nil).silence(ms(50))
			for _, d := range []byte("1111155555") {
				s = s.tone(d, -10, -10, 0, ms(50)).silence(ms(50))
			}
			return s
		}, "1111155555"},
		{"5 ms dropout bridged", func() signal {
			return signal(nil).silence(ms(50)).tone('7', -10, -10, 0, ms(100)).silence(ms(5)).tone('7', -10, -10, 0, ms(100)).silence(ms(50))
		}, "7"},
		{"30 ms gap splits", func() signal {
			return signal(nil).silence(ms(50)).tone('7', -10, -10, 0, ms(100)).silence(ms(30)).tone('7', -10, -10, 0, ms(100)).silence(ms(50))
		}, "77"},
		{"digit change without a gap", func() signal {
			return signal(nil).silence(ms(50)).tone('2', -10, -10, 0, ms(80)).tone('9', -10, -10, 0, ms(80)).silence(ms(50))
		}, "29"},
		{"long press reported once", func() signal {
			return signal(nil).silence(ms(50)).tone('#', -10, -10, 0, ms(3000)).silence(ms(50))
		}, "#"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := detect(t, tt.build().pcm(), 160)
			checkWellFormed(t, events)
			if got := pressed(events); got != tt.want {
				t.Errorf("detected %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEventPositions(t *testing.T) {
	const start, length = 4000 + 17, 800 // 100 ms tone at 0.5 s
	x := signal(nil).silence(start).tone('5', -10, -10, 0, length).silence(2000).pcm()
	events := detect(t, x, 160)
	if len(events) != 2 {
		t.Fatalf("events %v, want down and up", events)
	}
	if d := events[0].Sample - start; d < -halfLen || d > halfLen {
		t.Errorf("KeyDown at %d, tone starts at %d", events[0].Sample, start)
	}
	if d := events[1].Sample - (start + length); d < -halfLen || d > halfLen {
		t.Errorf("KeyUp at %d, tone ends at %d", events[1].Sample, start+length)
	}
}

// TestTalkOff plays signals that are not DTMF; none may produce a digit.
func TestTalkOff(t *testing.T) {
	second := ms(1000)
	tests := []struct {
		name string
		x    signal
	}{
		{"silence", signal(nil).silence(second)},
		{"white noise -10 dBm0", signal(nil).silence(3*second).noise(-10, 1)},
		{"white noise -30 dBm0", signal(nil).silence(3*second).noise(-30, 2)},
		{"non-DTMF chord", signal(nil).sines(3*second, sine{400, -12, 0}, sine{600, -12, 1}, sine{1000, -12, 2}, sine{1800, -12, 3})},
		{"two non-DTMF sines in the DTMF bands", signal(nil).sines(3*second, sine{800, -10, 0}, sine{1400, -10, 1})},
		{"near-miss pair 3.5% off", signal(nil).sines(3*second, sine{697 * 0.965, -10, 0}, sine{1209 * 0.965, -10, 1})},
		{"row tone alone", signal(nil).sines(second, sine{852, -10, 0})},
		{"column tone alone", signal(nil).sines(second, sine{1336, -10, 0})},
		{"US dial tone", signal(nil).sines(3*second, sine{350, -13, 0}, sine{440, -13, 0})},
		{"US ringback", signal(nil).sines(3*second, sine{440, -19, 0}, sine{480, -19, 0})},
		{"US busy", signal(nil).sines(3*second, sine{480, -24, 0}, sine{620, -24, 0})},
		{"EU 425 Hz", signal(nil).sines(3*second, sine{425, -10, 0})},
		{"chirp 300-3400 Hz", chirp(3*second, 300, 3400, -10)},
		{"vowels", vowels(4 * second)},
		{"voice with harmonics on 697 and 1220 Hz", harmonics(3*second, 174.25, []float64{697, 1220})},
		{"vowels with noise", vowels(4*second).noise(-30, 3)},
		{"DTMF row under a loud vowel", vowels(2*second).tone('1', -30, -30, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, codec := range []func([]int16) []int16{nil, throughUlaw} {
				x := tt.x.pcm()
				if codec != nil {
					x = codec(x)
				}
				if got := pressed(detect(t, x, 160)); got != "" {
					t.Errorf("false detection %q", got)
				}
			}
		})
	}
}

// chirp sweeps a sine linearly from f0 to f1 Hz.
func chirp(n int, f0, f1, dBm0 float64) signal {
	s := make(signal, n)
	a := amplitude(dBm0)
	var phase float64
	for i := range s {
		f := f0 + (f1-f0)*float64(i)/float64(n)
		phase += 2 * math.Pi * f / SampleRate
		s[i] = a * math.Sin(phase)
	}
	return s
}

// vowels is a crude voiced-speech stand-in: a glottal pulse train (pitch
// gliding 95-220 Hz) whose harmonics are shaped by formants that move
// between the vowels /a/, /i/, /u/, /e/ every 150 ms.
func vowels(n int) signal {
	formants := [][3]float64{{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240}, {530, 1840, 2480}}
	s := make(signal, n)
	var phase float64
	for i := range s {
		tSec := float64(i) / SampleRate
		pitch := 95 + 125*(0.5+0.5*math.Sin(2*math.Pi*0.7*tSec))
		phase += 2 * math.Pi * pitch / SampleRate
		fm := formants[(i/ms(150))%len(formants)]
		var v float64
		for h := 1; float64(h)*pitch < 3800; h++ {
			hf := float64(h) * pitch
			gain := 0.0
			for j, f := range fm {
				bw := 80.0 + 40*float64(j)
				gain += 1 / (1 + ((hf-f)/bw)*((hf-f)/bw)) / float64(j+1)
			}
			v += gain / float64(h) * math.Sin(float64(h)*phase)
		}
		s[i] = 9000 * v
	}
	return s
}

// harmonics is a steady voiced sound at pitch f0 with formants of 100 Hz
// bandwidth at the given frequencies: the talk-off case where two harmonics
// fall on a DTMF row and column (4 × 174.25 = 697, 7 × 174.25 = 1219.75).
// Every window is a hit; only the purity check at confirmation rejects it.
func harmonics(n int, f0 float64, formants []float64) signal {
	s := make(signal, n)
	for i := range s {
		var v float64
		for h := 1; float64(h)*f0 < 3800; h++ {
			hf := float64(h) * f0
			gain := 0.05
			for _, f := range formants {
				gain += 1 / (1 + ((hf-f)/100)*((hf-f)/100))
			}
			v += gain * math.Sin(2*math.Pi*hf*float64(i)/SampleRate+float64(h))
		}
		s[i] = 4000 * v
	}
	return s
}

// TestFrameSizeDoesNotMatter: the events depend only on the samples, not
// on how they are delivered.
func TestFrameSizeDoesNotMatter(t *testing.T) {
	s := signal(nil).silence(ms(30))
	for _, d := range []byte(allDigits) {
		s = s.tone(d, -15, -13, 0.01, ms(45)).silence(ms(50))
	}
	x := s.noise(-35, 9).pcm()
	want := detect(t, x, len(x))
	if pressed(want) != allDigits {
		t.Fatalf("baseline detected %q", pressed(want))
	}
	for _, frame := range []int{1, 7, 50, 51, 52, 101, 160, 240, 1000} {
		if got := detect(t, x, frame); !slices.Equal(got, want) {
			t.Errorf("frames of %d: %v, want %v", frame, got, want)
		}
	}
}

func TestResetRestartsPositions(t *testing.T) {
	x := signal(nil).silence(ms(20)).tone('3', -10, -10, 0, ms(60)).silence(ms(60)).pcm()
	d, _ := NewDetector(DefaultConfig())
	first := d.Detect(nil, x)
	d.Reset()
	second := d.Detect(nil, x)
	if len(first) != 2 || !slices.Equal(first, second) {
		t.Errorf("before Reset %v, after %v", first, second)
	}
	// Reset in the middle of a tone must not leave a dangling digit.
	d.Detect(nil, x[:ms(70)])
	d.Reset()
	if ev := d.Detect(nil, make([]int16, 2000)); len(ev) != 0 {
		t.Errorf("after Reset mid-tone: %v", ev)
	}
}

func TestDetectorConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		msg  string
	}{
		{"zero value", Config{}, ""},
		{"defaults", DefaultConfig(), ""},
		{"level too high", Config{MinLevel: 1}, "MinLevel 1 dBm0"},
		{"level NaN", Config{MinLevel: math.NaN(), NormalTwist: 8, ReverseTwist: 4}, "MinLevel NaN"},
		{"negative twist", Config{MinLevel: -40, NormalTwist: -1}, "NormalTwist -1 dB"},
		{"huge reverse twist", Config{MinLevel: -40, ReverseTwist: 30}, "ReverseTwist 30 dB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDetector(tt.cfg)
			if (err == nil) != (tt.msg == "") || (err != nil && !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("NewDetector(%+v) = %v, want %q", tt.cfg, err, tt.msg)
			}
		})
	}
	// A stricter twist limit changes the outcome.
	strict, _ := NewDetector(Config{MinLevel: -42, NormalTwist: 4, ReverseTwist: 4})
	x := signal(nil).silence(ms(20)).tone('8', -10, -16, 0, ms(80)).silence(ms(60)).pcm()
	if got := pressed(strict.Detect(nil, x)); got != "" {
		t.Errorf("6 dB normal twist with a 4 dB limit: detected %q", got)
	}
	if got := pressed(detect(t, x, 160)); got != "8" {
		t.Errorf("6 dB normal twist with the default 8 dB limit: detected %q", got)
	}
}

func TestDetectDoesNotAllocate(t *testing.T) {
	s := signal(nil)
	for _, d := range []byte(allDigits) {
		s = s.tone(d, -10, -10, 0, ms(60)).silence(ms(60))
	}
	x := s.pcm()
	d, _ := NewDetector(DefaultConfig())
	events := make([]Event, 0, 8)
	i := 0
	allocs := testing.AllocsPerRun(len(x)/160-1, func() {
		events = d.Detect(events[:0], x[i:i+160])
		i += 160
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per frame, want 0", allocs)
	}
}

func TestEventKindString(t *testing.T) {
	for k, want := range map[EventKind]string{KeyDown: "down", KeyUp: "up", 7: "EventKind(7)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), want)
		}
	}
}

// FuzzDetect feeds arbitrary audio (as from a line or an RTP payload) in
// arbitrary frame sizes: no panic, well-formed events, and the same events
// whatever the frame size.
func FuzzDetect(f *testing.F) {
	g, _ := NewGenerator(GeneratorConfig{LowLevel: -10, HighLevel: -10, On: 45e6, Off: 50e6})
	g.Play("19#")
	frame := make([]int16, 2000)
	g.Fill(frame)
	seed := make([]byte, 2*len(frame))
	for i, v := range frame {
		seed[2*i], seed[2*i+1] = byte(v), byte(v>>8)
	}
	f.Add(seed, uint8(160))
	f.Add([]byte{}, uint8(0))
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80}, uint8(1))
	f.Add(make([]byte, 1000), uint8(51))
	f.Fuzz(func(t *testing.T, data []byte, frameSize uint8) {
		x := make([]int16, len(data)/2)
		for i := range x {
			x[i] = int16(uint16(data[2*i]) | uint16(data[2*i+1])<<8)
		}
		events := detect(t, x, int(frameSize)+1)
		checkWellFormed(t, events)
		if whole := detect(t, x, len(x)+1); !slices.Equal(whole, events) {
			t.Fatalf("frame size %d gave %v, whole buffer %v", int(frameSize)+1, events, whole)
		}
	})
}
