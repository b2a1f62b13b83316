package dtmf

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func goertzelAmplitude(x []int16, f float64) float64 {
	w := 2 * math.Pi * f / SampleRate
	coef := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+coef*s1-s2, s1
	}
	return 2 * math.Hypot(s1-s2*math.Cos(w), s2*math.Sin(w)) / float64(len(x))
}

func TestGeneratorLevelsAndFrequencies(t *testing.T) {
	cfg := GeneratorConfig{LowLevel: -11, HighLevel: -9, On: time.Second, Off: 0}
	for i := range len(allDigits) {
		digit := allDigits[i]
		t.Run(string(digit), func(t *testing.T) {
			g, _ := NewGenerator(cfg)
			if err := g.Play(string(digit)); err != nil {
				t.Fatal(err)
			}
			x := make([]int16, SampleRate) // 1 s: every DTMF frequency completes whole cycles
			if !g.Fill(x) {
				t.Fatal("a 1 s digit with no gap should be done after 1 s")
			}
			k := keyIndex(digit)
			f := frequencies()
			for j, hz := range f {
				got := goertzelAmplitude(x, hz)
				switch {
				case j == k/4:
					if dB := 20 * math.Log10(got/amplitude(cfg.LowLevel)); math.Abs(dB) > 0.05 {
						t.Errorf("low tone %g Hz %+.2f dB off", hz, dB)
					}
				case j == 4+k%4:
					if dB := 20 * math.Log10(got/amplitude(cfg.HighLevel)); math.Abs(dB) > 0.05 {
						t.Errorf("high tone %g Hz %+.2f dB off", hz, dB)
					}
				default:
					if dB := 20 * math.Log10(got/amplitude(cfg.HighLevel)); dB > -50 {
						t.Errorf("%g Hz present at %.1f dB", hz, dB)
					}
				}
			}
		})
	}
}

func TestGeneratorTiming(t *testing.T) {
	tests := []struct {
		name    string
		on, off time.Duration
		digits  string
	}{
		{"defaults", 100 * time.Millisecond, 100 * time.Millisecond, "12"},
		{"spandsp 50/55", 50 * time.Millisecond, 55 * time.Millisecond, "9*#"},
		{"no gap", 40 * time.Millisecond, 0, "5"},
		{"odd sample counts", 12345 * time.Microsecond, 777 * time.Microsecond, "0D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewGenerator(GeneratorConfig{LowLevel: -10, HighLevel: -10, On: tt.on, Off: tt.off})
			if err != nil {
				t.Fatal(err)
			}
			g.Play(tt.digits)
			on := int(tt.on * SampleRate / time.Second)
			off := int(tt.off * SampleRate / time.Second)
			total := len(tt.digits) * (on + off)
			x := make([]int16, total+500)
			// Odd frame sizes: timing must not depend on them.
			rng := rand.New(rand.NewPCG(3, 4))
			var doneAt = -1
			for i := 0; i < len(x); {
				n := min(1+rng.IntN(200), len(x)-i)
				if g.Fill(x[i:i+n]) && doneAt < 0 {
					doneAt = i + n
				}
				i += n
			}
			if doneAt < total || doneAt > total+200 {
				t.Errorf("done reported at sample %d, digits end at %d", doneAt, total)
			}
			for d := range len(tt.digits) {
				burst := x[d*(on+off) : d*(on+off)+on]
				gap := x[d*(on+off)+on : (d+1)*(on+off)]
				if burst[0] == 0 || burst[on-1] == 0 {
					t.Errorf("digit %d: burst edges are silent: first %d last %d", d, burst[0], burst[on-1])
				}
				if slices.ContainsFunc(gap, func(v int16) bool { return v != 0 }) {
					t.Errorf("digit %d: gap not silent", d)
				}
			}
			if slices.ContainsFunc(x[total:], func(v int16) bool { return v != 0 }) {
				t.Error("samples after the last digit are not silent")
			}
		})
	}
}

func TestGeneratorPlay(t *testing.T) {
	g, _ := NewGenerator(DefaultGeneratorConfig())
	if !g.Done() {
		t.Error("a new generator should be idle")
	}
	frame := make([]int16, 160)
	if !g.Fill(frame) {
		t.Error("an idle generator should report done")
	}
	err := g.Play("12x4")
	if err == nil || !strings.Contains(err.Error(), `'x' at position 2 of "12x4"`) {
		t.Errorf("Play with a bad digit: %v", err)
	}
	if !g.Done() {
		t.Error("a rejected Play must not start anything")
	}
	if err := g.Play("abcd"); err != nil {
		t.Fatalf("lower-case A-D: %v", err)
	}
	var x []int16
	for !g.Fill(frame) {
		x = append(x, frame...)
	}
	x = append(x, frame...)
	if got := pressed(detect(t, x, 160)); got != "ABCD" {
		t.Errorf("played abcd, detected %q", got)
	}
	// Play replaces what is playing; "" stops.
	g.Play("1111")
	g.Fill(frame)
	g.Play("")
	if !g.Done() || !g.Fill(frame) || slices.ContainsFunc(frame, func(v int16) bool { return v != 0 }) {
		t.Error(`Play("") should stop and silence the generator`)
	}
}

func TestGeneratorConfig(t *testing.T) {
	ok := DefaultGeneratorConfig()
	tests := []struct {
		name   string
		change func(*GeneratorConfig)
		msg    string
	}{
		{"defaults", func(*GeneratorConfig) {}, ""},
		{"loud", func(c *GeneratorConfig) { c.LowLevel = 1 }, "LowLevel 1 dBm0"},
		{"NaN", func(c *GeneratorConfig) { c.HighLevel = math.NaN() }, "HighLevel NaN"},
		{"no tone", func(c *GeneratorConfig) { c.On = 0 }, "On 0s"},
		{"negative gap", func(c *GeneratorConfig) { c.Off = -time.Millisecond }, "Off -1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			_, err := NewGenerator(c)
			if (err == nil) != (tt.msg == "") || (err != nil && !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("NewGenerator = %v, want %q", err, tt.msg)
			}
		})
	}
	// Full-scale tones saturate rather than wrap.
	g, _ := NewGenerator(GeneratorConfig{LowLevel: 0, HighLevel: 0, On: time.Second})
	g.Play("D")
	x := make([]int16, 4000)
	g.Fill(x)
	if slices.Max(x) != math.MaxInt16 || slices.Min(x) != math.MinInt16 {
		t.Errorf("two 0 dBm0 tones should clip, got %d..%d", slices.Min(x), slices.Max(x))
	}
}

func TestGeneratorFillDoesNotAllocate(t *testing.T) {
	g, _ := NewGenerator(DefaultGeneratorConfig())
	frame := make([]int16, 160)
	digits := strings.Repeat(allDigits, 20)
	if a := testing.AllocsPerRun(200, func() {
		if g.Done() {
			g.Play(digits)
		}
		g.Fill(frame)
	}); a != 0 {
		t.Errorf("%.2f allocations per frame", a)
	}
}
