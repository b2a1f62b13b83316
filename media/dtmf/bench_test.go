package dtmf

import "testing"

// benchAudio is 2 s of digits and gaps with some noise: the detector's
// steady-state work.
func benchAudio() []int16 {
	s := signal(nil)
	for _, d := range []byte(allDigits) {
		s = s.tone(d, -12, -10, 0, ms(60)).silence(ms(65))
	}
	return s.noise(-40, 7).pcm()
}

func BenchmarkDetectFrame(b *testing.B) {
	x := benchAudio()
	d, _ := NewDetector(DefaultConfig())
	events := make([]Event, 0, 8)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i+160 > len(x) {
			i = 0
		}
		events = d.Detect(events[:0], x[i:i+160]) // one 20 ms frame
		i += 160
	}
}

func BenchmarkDetectSilenceFrame(b *testing.B) {
	x := make([]int16, 160)
	d, _ := NewDetector(DefaultConfig())
	events := make([]Event, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		events = d.Detect(events[:0], x)
	}
}

func BenchmarkGeneratorFillFrame(b *testing.B) {
	g, _ := NewGenerator(DefaultGeneratorConfig())
	frame := make([]int16, 160)
	b.ReportAllocs()
	for b.Loop() {
		if g.Done() {
			g.Play(allDigits)
		}
		g.Fill(frame)
	}
}
