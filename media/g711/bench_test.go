package g711

import (
	"math"
	"testing"
)

// frameSamples is one 20 ms frame at 8 kHz.
const frameSamples = 160

func benchFrame() []int16 {
	pcm := make([]int16, frameSamples)
	for i := range pcm {
		pcm[i] = int16(12000 * math.Sin(2*math.Pi*1000*float64(i)/8000))
	}
	return pcm
}

func BenchmarkEncodeUlaw(b *testing.B) {
	pcm, out := benchFrame(), make([]byte, frameSamples)
	b.ReportAllocs()
	b.SetBytes(frameSamples)
	for b.Loop() {
		EncodeUlaw(out, pcm)
	}
}

func BenchmarkDecodeUlaw(b *testing.B) {
	enc, pcm := make([]byte, frameSamples), make([]int16, frameSamples)
	EncodeUlaw(enc, benchFrame())
	b.ReportAllocs()
	b.SetBytes(frameSamples)
	for b.Loop() {
		DecodeUlaw(pcm, enc)
	}
}

func BenchmarkEncodeAlaw(b *testing.B) {
	pcm, out := benchFrame(), make([]byte, frameSamples)
	b.ReportAllocs()
	b.SetBytes(frameSamples)
	for b.Loop() {
		EncodeAlaw(out, pcm)
	}
}

func BenchmarkDecodeAlaw(b *testing.B) {
	enc, pcm := make([]byte, frameSamples), make([]int16, frameSamples)
	EncodeAlaw(enc, benchFrame())
	b.ReportAllocs()
	b.SetBytes(frameSamples)
	for b.Loop() {
		DecodeAlaw(pcm, enc)
	}
}

func BenchmarkUlawToAlaw(b *testing.B) {
	src, dst := make([]byte, frameSamples), make([]byte, frameSamples)
	EncodeUlaw(src, benchFrame())
	b.ReportAllocs()
	b.SetBytes(frameSamples)
	for b.Loop() {
		UlawToAlaw(dst, src)
	}
}

func BenchmarkAlawToUlaw(b *testing.B) {
	src, dst := make([]byte, frameSamples), make([]byte, frameSamples)
	EncodeAlaw(src, benchFrame())
	b.ReportAllocs()
	b.SetBytes(frameSamples)
	for b.Loop() {
		AlawToUlaw(dst, src)
	}
}
