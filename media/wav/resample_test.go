package wav

import (
	"fmt"
	"math"
	"testing"
)

// TestResamplerQuality checks the documented filter: flat passband to
// 3400 Hz, at least 65 dB (designed 70) below for tones at or above 4600 Hz
// which would otherwise alias into the band, the exact output length and
// zero delay.
func TestResamplerQuality(t *testing.T) {
	const amplitude = 16000.0
	for _, rate := range supportedRates {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			n := rate / 2 // 0.5 s
			wantLen := (n*SampleRate + rate - 1) / rate
			for _, freq := range []float64{300, 1000, 3000, 3400} {
				out, _ := decodeBytes(t, monoFile(rate, sine(n, rate, freq, amplitude)))
				if len(out) != wantLen {
					t.Fatalf("%v Hz: %d output samples, want %d", freq, len(out), wantLen)
				}
				steady := out[200 : len(out)-200]
				gain := 20 * math.Log10(toneAmplitude(steady, freq)/amplitude)
				t.Logf("%v Hz: gain %.4f dB", freq, gain)
				if math.Abs(gain) > 0.1 {
					t.Errorf("%v Hz passband gain %.3f dB, want within ±0.1 dB", freq, gain)
				}
				// Zero delay: the output is the same sine sampled at 8 kHz.
				ideal := sine(len(out), SampleRate, freq, amplitude)
				if rate != SampleRate {
					var errSum float64
					for i := 200; i < len(out)-200; i++ {
						d := float64(out[i] - ideal[i])
						errSum += d * d
					}
					if snr := 10 * math.Log10(rms(ideal[200:len(out)-200])*rms(ideal[200:len(out)-200])*float64(len(out)-400)/errSum); snr < 40 {
						t.Errorf("%v Hz: output differs from the ideal 8 kHz sine (SNR %.1f dB): delayed or distorted", freq, snr)
					}
				}
			}
			if rate == SampleRate {
				return
			}
			for _, freq := range []float64{4600, 5000, 7000, 11000, 20000} {
				if freq >= float64(rate)/2 {
					continue
				}
				out, _ := decodeBytes(t, monoFile(rate, sine(n, rate, freq, amplitude)))
				steady := out[200 : len(out)-200]
				level := 20 * math.Log10(math.Max(rms(steady), 1e-3)*math.Sqrt2/amplitude)
				t.Logf("%v Hz: %.1f dB", freq, level)
				if level > -65 {
					t.Errorf("%v Hz leaks at %.1f dB, want at most -65 dB", freq, level)
				}
			}
		})
	}
}

func monoFile(rate int, samples []int16) []byte {
	return riffFile(chunk("fmt ", fmtBody(formatTagPCM, 1, rate, 16), true), chunk("data", pcm16Bytes(samples...), true))
}

func TestResamplerFilterSizes(t *testing.T) {
	for _, rate := range supportedRates {
		rs, err := newResampler(rate, rawBlockBytes)
		if err != nil {
			t.Fatalf("%d Hz: %v", rate, err)
		}
		if len(rs.coef) > 16000 || rs.taps > 200 {
			t.Errorf("%d Hz: %d phases × %d taps; the table should stay small", rate, rs.l, rs.taps)
		}
		t.Logf("%d Hz: %d phases × %d taps", rate, rs.l, rs.taps)
	}
}
