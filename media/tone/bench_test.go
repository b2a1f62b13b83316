package tone

import "testing"

func benchmarkFill(b *testing.B, region string, kind Kind) {
	tn, err := Lookup(region, kind)
	if err != nil {
		b.Fatal(err)
	}
	g, _ := NewGenerator(tn)
	frame := make([]int16, 160) // 20 ms
	b.ReportAllocs()
	for b.Loop() {
		g.Fill(frame)
	}
}

func BenchmarkFillDialOneFrequency(b *testing.B)   { benchmarkFill(b, "de", Dial) }
func BenchmarkFillDialTwoFrequencies(b *testing.B) { benchmarkFill(b, "us", Dial) }
func BenchmarkFillRingbackCadence(b *testing.B)    { benchmarkFill(b, "uk", Ringback) }
