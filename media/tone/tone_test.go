package tone

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// configRegions are the regions firmware/config accepts; each must have tones.
var configRegions = []string{"us", "uk", "eu", "de", "fr", "au"}

func TestEveryRegionHasEveryKind(t *testing.T) {
	regions := Regions()
	for _, r := range append(slices.Clone(configRegions), "hu") {
		if !slices.Contains(regions, r) {
			t.Errorf("region %q missing from the table", r)
		}
	}
	for _, r := range regions {
		for _, k := range Kinds() {
			tn, err := Lookup(r, k)
			if err != nil {
				t.Errorf("Lookup(%q, %v): %v", r, k, err)
				continue
			}
			if tn.Region != r || tn.Kind != k {
				t.Errorf("Lookup(%q, %v) labelled %q %v", r, k, tn.Region, tn.Kind)
			}
		}
	}
	seen := map[string]bool{}
	for _, e := range regionTones {
		key := e.region + "/" + e.kind.String()
		if seen[key] {
			t.Errorf("duplicate table row %s", key)
		}
		seen[key] = true
	}
}

// TestTablePlausible checks every row against what a call-progress tone
// can reasonably be, to catch typos in the data.
func TestTablePlausible(t *testing.T) {
	for _, e := range regionTones {
		name := e.region + "/" + e.kind.String()
		tn, err := Parse(e.spec, e.level)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var cycle time.Duration
		for i, s := range tn.Steps {
			for _, c := range s.Components {
				if c.Freq < 300 || c.Freq > 1500 {
					t.Errorf("%s: %d Hz outside the 300..1500 Hz band of call-progress tones", name, c.Freq)
				}
				if c.Level < -30 || c.Level > -5 {
					t.Errorf("%s: %g dBm0 outside -30..-5", name, c.Level)
				}
			}
			if s.Duration != 0 && s.Duration < 40*time.Millisecond {
				t.Errorf("%s: step %d lasts %v, shorter than 40 ms", name, i+1, s.Duration)
			}
			if i >= tn.Repeat {
				cycle += s.Duration
			}
		}
		endless := tn.Steps[len(tn.Steps)-1].Duration == 0
		switch {
		case e.kind == Dial:
			if len(tn.Steps) != 1 || !endless || len(tn.Steps[0].Components) == 0 {
				t.Errorf("%s: dial tone should be one continuous step, got %q", name, e.spec)
			}
		case e.kind == Beep:
			if tn.Repeat != len(tn.Steps) || endless {
				t.Errorf("%s: a beep must end, got %q", name, e.spec)
			}
		default:
			if endless || tn.Repeat != 0 {
				t.Errorf("%s: a cadenced tone should repeat all its steps, got %q", name, e.spec)
			}
			if cycle < 400*time.Millisecond || cycle > 11*time.Second {
				t.Errorf("%s: cycle %v outside 0.4..11 s", name, cycle)
			}
			if len(tn.Steps[len(tn.Steps)-1].Components) != 0 {
				t.Errorf("%s: a cadence should end in silence, got %q", name, e.spec)
			}
		}
	}
}

// TestTableMatchesHalNotes pins rows to the values in hal-notes §2.2.
func TestTableMatchesHalNotes(t *testing.T) {
	on := func(ms int, c ...Component) Step {
		return Step{Components: c, Duration: time.Duration(ms) * time.Millisecond}
	}
	off := func(ms int) Step { return Step{Duration: time.Duration(ms) * time.Millisecond} }
	tests := []struct {
		region string
		kind   Kind
		want   []Step
	}{
		{"us", Dial, []Step{{Components: []Component{{350, -13}, {440, -13}}}}},
		{"us", Busy, []Step{on(500, Component{480, -24}, Component{620, -24}), off(500)}},
		{"us", Ringback, []Step{on(2000, Component{440, -19}, Component{480, -19}), off(4000)}},
		{"us", Congestion, []Step{on(250, Component{480, -24}, Component{620, -24}), off(250)}},
		{"us", CallWaiting, []Step{on(300, Component{440, -13}), off(10000)}},
		{"uk", Dial, []Step{{Components: []Component{{350, -22}, {440, -18}}}}},
		{"uk", Busy, []Step{on(375, Component{400, -18}), off(375)}},
		{"uk", Ringback, []Step{on(400, Component{400, -18}, Component{450, -18}), off(200), on(400, Component{400, -18}, Component{450, -18}), off(2000)}},
		{"uk", Congestion, []Step{on(400, Component{400, -18}), off(350), on(225, Component{400, -18}), off(525)}},
		{"uk", CallWaiting, []Step{on(100, Component{400, -18}), off(4000)}},
		{"de", Dial, []Step{{Components: []Component{{425, -13}}}}},
		{"de", Busy, []Step{on(480, Component{425, -13}), off(480)}},
		{"de", Ringback, []Step{on(1000, Component{425, -13}), off(4000)}},
		{"de", Congestion, []Step{on(240, Component{425, -13}), off(240)}},
		{"de", CallWaiting, []Step{on(200, Component{425, -13}), off(200), on(200, Component{425, -13}), off(5000)}},
		{"hu", Busy, []Step{on(300, Component{425, -13}), off(300)}},
		{"hu", Ringback, []Step{on(1250, Component{425, -13}), off(3750)}},
		{"hu", Congestion, []Step{on(300, Component{425, -13}), off(300)}},
		{"hu", CallWaiting, []Step{on(40, Component{425, -13}), off(1960)}},
		{"au", Congestion, []Step{on(375, Component{425, -13}), off(375), on(375, Component{425, -23}), off(375)}},
		{"fr", Ringback, []Step{on(1500, Component{440, -13}), off(3500)}},
	}
	for _, tt := range tests {
		t.Run(tt.region+"/"+tt.kind.String(), func(t *testing.T) {
			got, err := Lookup(tt.region, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got.Steps, tt.want, func(a, b Step) bool {
				return a.Duration == b.Duration && slices.Equal(a.Components, b.Components)
			}) {
				t.Errorf("steps = %v, want %v", got.Steps, tt.want)
			}
		})
	}
}

func TestLookupErrors(t *testing.T) {
	tests := []struct {
		region string
		kind   Kind
		is     error
		msg    string
	}{
		{"xx", Busy, ErrUnknownRegion, `tone: unknown region "xx" (known: au, de, eu, fr, hu, uk, us)`},
		{"US", Busy, ErrUnknownRegion, `unknown region "US"`},
		{"us", Kind(99), ErrUnknownKind, `tone: unknown tone kind Kind(99) for region "us"`},
		{"de", 0, ErrUnknownKind, "Kind(0)"},
	}
	for _, tt := range tests {
		_, err := Lookup(tt.region, tt.kind)
		if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Lookup(%q, %d) = %v, want %v containing %q", tt.region, tt.kind, err, tt.is, tt.msg)
		}
	}
}

func TestLookupReturnsACopy(t *testing.T) {
	a, _ := Lookup("us", Busy)
	a.Steps[0].Components[0].Freq = 1
	b, _ := Lookup("us", Busy)
	if b.Steps[0].Components[0].Freq != 480 {
		t.Fatal("changing a looked-up tone changed the table")
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
		ok   bool
	}{
		{"dial", Dial, true},
		{"Ringback", Ringback, true},
		{"BUSY", Busy, true},
		{"congestion", Congestion, true},
		{"callwaiting", CallWaiting, true},
		{"call-waiting", CallWaiting, true},
		{"beep", Beep, true},
		{"", 0, false},
		{"reorder", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseKind(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseKind(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrUnknownKind) {
			t.Errorf("ParseKind(%q) error %v is not ErrUnknownKind", tt.in, err)
		}
		if tt.ok && got.String() != strings.ReplaceAll(strings.ToLower(tt.in), "-", "") {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		spec   string
		want   Tone
		errMsg string
	}{
		{spec: "425", want: Tone{Steps: []Step{{Components: []Component{{425, -10}}}}}},
		{spec: "350@-22+440", want: Tone{Steps: []Step{{Components: []Component{{350, -22}, {440, -10}}}}}},
		{spec: " 425/100 , 0/200 ", want: Tone{Steps: []Step{
			{Components: []Component{{425, -10}}, Duration: 100 * time.Millisecond},
			{Duration: 200 * time.Millisecond}}}},
		{spec: "!350+440/100,!0/100,350+440", want: Tone{Repeat: 2, Steps: []Step{
			{Components: []Component{{350, -10}, {440, -10}}, Duration: 100 * time.Millisecond},
			{Duration: 100 * time.Millisecond},
			{Components: []Component{{350, -10}, {440, -10}}}}}},
		{spec: "!1400/500", want: Tone{Repeat: 1, Steps: []Step{{Components: []Component{{1400, -10}}, Duration: 500 * time.Millisecond}}}},
		{spec: "425@3/10", want: Tone{Steps: []Step{{Components: []Component{{425, 3}}, Duration: 10 * time.Millisecond}}}},

		{spec: "", errMsg: "empty spec"},
		{spec: "425,0/100", errMsg: "only the last step may be endless"},
		{spec: "425/100,!0/100", errMsg: "play-once step (!) after a repeated one"},
		{spec: "4000", errMsg: `frequency "4000"`},
		{spec: "0+425", errMsg: `frequency "0"`},
		{spec: "-425", errMsg: `frequency "-425"`},
		{spec: "425.5", errMsg: `frequency "425.5"`},
		{spec: "425/0", errMsg: `duration "0"`},
		{spec: "425/-5", errMsg: `duration "-5"`},
		{spec: "425/600001", errMsg: "longer than 10m0s"},
		{spec: "425@loud", errMsg: `level "loud"`},
		{spec: "425@+3", errMsg: `level ""`}, // "+" joins frequencies, so levels carry no plus sign
		{spec: "425@-61", errMsg: "level -61 dBm0 outside"},
		{spec: "425@NaN", errMsg: "level NaN dBm0 outside"},
		{spec: "425@4", errMsg: "level 4 dBm0 outside"},
		{spec: "1+2+3+4+5", errMsg: "5 frequencies, at most 4"},
		{spec: "425/100,", errMsg: `step 2 ""`},
		{spec: "!", errMsg: `frequency ""`},
		{spec: strings.Repeat("425/1,", 32) + "0/1", errMsg: "33 steps, at most 32"},
		{spec: strings.Repeat("4", 2000), errMsg: "at most 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := Parse(tt.spec, -10)
			if tt.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMsg) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tt.spec, err, tt.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.spec, err)
			}
			if got.Repeat != tt.want.Repeat || !slices.EqualFunc(got.Steps, tt.want.Steps, func(a, b Step) bool {
				return a.Duration == b.Duration && slices.Equal(a.Components, b.Components)
			}) {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.spec, got, tt.want)
			}
		})
	}
}

func TestValidateRejectsHandBuiltTones(t *testing.T) {
	tests := []struct {
		name string
		tone Tone
		msg  string
	}{
		{"no steps", Tone{}, "no steps"},
		{"repeat out of range", Tone{Steps: []Step{{}}, Repeat: 2}, "repeat index 2"},
		{"sub-millisecond", Tone{Steps: []Step{{Duration: time.Microsecond}}}, "not whole milliseconds"},
		{"negative duration", Tone{Steps: []Step{{Duration: -time.Second}}}, "duration -1s"},
		{"too many components", Tone{Steps: []Step{{Components: make([]Component, 5)}}}, "5 frequencies"},
		{"zero frequency", Tone{Steps: []Step{{Components: []Component{{0, -10}}}}}, "frequency 0 Hz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.tone.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Validate = %v, want %q", err, tt.msg)
			}
			if _, err := NewGenerator(tt.tone); err == nil {
				t.Fatal("NewGenerator accepted an invalid tone")
			}
		})
	}
}

// goertzelAmplitude estimates the peak amplitude of the component of x at
// frequency f.
func goertzelAmplitude(x []int16, f float64) float64 {
	w := 2 * math.Pi * f / SampleRate
	coef := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+coef*s1-s2, s1
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	return 2 * math.Hypot(re, im) / float64(len(x))
}

func render(t *testing.T, tn Tone, samples int) []int16 {
	t.Helper()
	g, err := NewGenerator(tn)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, samples)
	for i := 0; i < samples; i += 160 {
		g.Fill(out[i:min(i+160, samples)])
	}
	return out
}

// TestGeneratedFrequencyContent renders the first sounding step of every
// table tone and checks, by Goertzel, that each listed frequency is present
// at its level (within 0.05 dB) and that nothing else is (below -50 dB).
func TestGeneratedFrequencyContent(t *testing.T) {
	probes := []float64{200, 300, 350, 400, 413, 425, 438, 440, 450, 480, 620, 700, 850, 1000, 1400, 2000, 3000}
	for _, r := range Regions() {
		for _, k := range Kinds() {
			tn, _ := Lookup(r, k)
			t.Run(r+"/"+k.String(), func(t *testing.T) {
				step := tn.Steps[0]
				// One second of the step's components held: every integer
				// frequency completes whole cycles, so the bins do not leak.
				n := SampleRate
				x := render(t, Tone{Steps: []Step{{Components: step.Components}}}, n)
				for _, c := range step.Components {
					got := 20 * math.Log10(goertzelAmplitude(x, float64(c.Freq))/Amplitude(c.Level))
					if math.Abs(got) > 0.05 {
						t.Errorf("%d Hz is %+.2f dB off %g dBm0", c.Freq, got, c.Level)
					}
				}
				var strongest float64
				for _, c := range step.Components {
					strongest = max(strongest, Amplitude(c.Level))
				}
				for _, p := range probes {
					near := false
					for _, c := range step.Components {
						near = near || math.Abs(p-float64(c.Freq)) < 50
					}
					if near {
						continue
					}
					if rel := 20 * math.Log10(goertzelAmplitude(x, p)/strongest); rel > -50 {
						t.Errorf("%g Hz at %.1f dB relative to the tone", p, rel)
					}
				}
			})
		}
	}
}

// TestWaveformIsExact compares 30 s of rendering with the closed form
// A·sin(2πf(k+½)/8000): no drift, no phase jumps at frame boundaries.
func TestWaveformIsExact(t *testing.T) {
	tn, _ := Lookup("us", Dial)
	x := render(t, tn, 30*SampleRate)
	a350, a440 := Amplitude(-13), Amplitude(-13)
	for k, got := range x {
		want := a350*math.Sin(2*math.Pi*350*(float64(k)+0.5)/SampleRate) +
			a440*math.Sin(2*math.Pi*440*(float64(k)+0.5)/SampleRate)
		if math.Abs(float64(got)-want) > 1 {
			t.Fatalf("sample %d = %d, closed form %.2f", k, got, want)
		}
	}
}

// TestFrameSizeDoesNotMatter renders the same tones in one piece and in
// random-sized pieces; the samples must be identical.
func TestFrameSizeDoesNotMatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range Kinds() {
		tn, _ := Lookup("uk", k)
		const n = 3 * SampleRate
		whole := make([]int16, n)
		g, _ := NewGenerator(tn)
		g.Fill(whole)

		pieces := make([]int16, n)
		g.Reset(tn)
		for i := 0; i < n; {
			m := min(1+rng.IntN(400), n-i)
			g.Fill(pieces[i : i+m])
			i += m
		}
		if i := slices.Compare(whole, pieces); i != 0 {
			for j := range whole {
				if whole[j] != pieces[j] {
					t.Fatalf("%v: sample %d differs: %d whole, %d in pieces", k, j, whole[j], pieces[j])
				}
			}
		}
		if g.Position() != n {
			t.Errorf("Position = %d, want %d", g.Position(), n)
		}
	}
}

type run struct {
	sounding bool
	samples  int
}

// runs splits x into sounding and silent runs; silence is two or more
// zero samples in a row (a sounding step never has two: its first sample is
// half a sample past a zero crossing and its slope is far above 1 LSB).
func runs(x []int16) []run {
	var out []run
	for i := 0; i < len(x); {
		silent := x[i] == 0 && i+1 < len(x) && x[i+1] == 0
		j := i
		if silent {
			for j < len(x) && x[j] == 0 {
				j++
			}
		} else {
			for j < len(x) && !(x[j] == 0 && j+1 < len(x) && x[j+1] == 0) {
				j++
			}
		}
		if len(out) > 0 && out[len(out)-1].sounding == !silent {
			out[len(out)-1].samples += j - i
		} else {
			out = append(out, run{!silent, j - i})
		}
		i = j
	}
	return out
}

// expectedRuns lists the runs a tone should produce over total samples.
func expectedRuns(tn Tone, total int) []run {
	var out []run
	add := func(r run) {
		if len(out) > 0 && out[len(out)-1].sounding == r.sounding {
			out[len(out)-1].samples += r.samples
		} else {
			out = append(out, r)
		}
	}
	for i, left := 0, total; left > 0; {
		s := tn.Steps[i]
		n := int(s.Duration.Milliseconds()) * SampleRate / 1000
		if n == 0 || n > left {
			n = left
		}
		add(run{len(s.Components) > 0, n})
		left -= n
		if i++; i == len(tn.Steps) {
			if tn.Repeat == len(tn.Steps) {
				add(run{false, left})
				break
			}
			i = tn.Repeat
		}
	}
	return out
}

func TestCadenceSampleCounts(t *testing.T) {
	for _, r := range Regions() {
		for _, k := range Kinds() {
			tn, _ := Lookup(r, k)
			t.Run(r+"/"+k.String(), func(t *testing.T) {
				var cycle int
				for _, s := range tn.Steps {
					cycle += int(s.Duration.Milliseconds()) * SampleRate / 1000
				}
				total := max(2*cycle+1234, SampleRate) // two cycles and a bit
				got, want := runs(render(t, tn, total)), expectedRuns(tn, total)
				if !slices.Equal(got, want) {
					t.Errorf("runs (sounding, samples):\n got %v\nwant %v", got, want)
				}
			})
		}
	}
}

func TestFiniteToneEnds(t *testing.T) {
	tn, _ := Lookup("de", Beep) // 500 ms = 4000 samples, once
	g, _ := NewGenerator(tn)
	frame := make([]int16, 160)
	frames := 0
	for !g.Fill(frame) {
		frames++
		if frames > 100 {
			t.Fatal("beep never ended")
		}
	}
	if frames != 24 { // frames 0..23 are full of tone; frame 24 ends exactly at 4000
		t.Errorf("beep ended after %d full frames, want 24", frames)
	}
	if !g.Done() {
		t.Error("Done() false after Fill reported done")
	}
	for i := range frame {
		frame[i] = 1
	}
	if !g.Fill(frame) || slices.ContainsFunc(frame, func(v int16) bool { return v != 0 }) {
		t.Error("after the end Fill must report done and write silence")
	}
	var zero Generator
	if !zero.Fill(frame) || !zero.Done() {
		t.Error("the zero Generator must be silent and done")
	}
}

func TestLevelsSaturateInsteadOfWrapping(t *testing.T) {
	tn, err := Parse("1000@3+1001@3+1002@3+1003@3", 0)
	if err != nil {
		t.Fatal(err)
	}
	x := render(t, tn, 800)
	if slices.Max(x) != math.MaxInt16 || slices.Min(x) != math.MinInt16 {
		t.Errorf("four +3 dBm0 tones should clip at full scale, got %d..%d", slices.Min(x), slices.Max(x))
	}
}

func TestFillDoesNotAllocate(t *testing.T) {
	for _, k := range []Kind{Dial, Ringback, Congestion} {
		tn, _ := Lookup("au", k)
		g, _ := NewGenerator(tn)
		frame := make([]int16, 160)
		if a := testing.AllocsPerRun(500, func() { g.Fill(frame) }); a != 0 {
			t.Errorf("%v: %.1f allocations per frame", k, a)
		}
		if a := testing.AllocsPerRun(100, func() { g.Reset(tn) }); a != 0 {
			t.Errorf("%v: Reset makes %.1f allocations", k, a)
		}
	}
}

// FuzzParse checks that any spec either fails cleanly or yields a tone
// that renders.
func FuzzParse(f *testing.F) {
	for _, e := range regionTones {
		f.Add(e.spec, e.level)
	}
	for _, s := range []string{"", "!", ",", "0", "0/0", "425@", "@-3", "1+1+1+1", "!0/1,0/1", "425/4294967296", "350@1e308"} {
		f.Add(s, -10.0)
	}
	frame := make([]int16, 160)
	f.Fuzz(func(t *testing.T, spec string, level float64) {
		tn, err := Parse(spec, level)
		if err != nil {
			return
		}
		if err := tn.Validate(); err != nil {
			t.Fatalf("Parse(%q) returned a tone that fails Validate: %v", spec, err)
		}
		g, err := NewGenerator(tn)
		if err != nil {
			t.Fatalf("NewGenerator on parsed %q: %v", spec, err)
		}
		for range 3 {
			g.Fill(frame)
		}
	})
}
