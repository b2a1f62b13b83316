package contactid

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gatepbx/gatepbx/media/tone"
)

// SampleRate is the audio rate in Hz, FrameSamples the samples of the 20 ms
// frames Process takes.
const (
	SampleRate   = 8000
	FrameSamples = SampleRate / 50
)

// ErrFrameSize is returned by Process for frames that are not FrameSamples
// long; the state machine is left unchanged.
var ErrFrameSize = errors.New("contactid: frame is not 160 samples")

// The signalling tones, in Hz.
const (
	handshakeLow  = 1400
	handshakeHigh = 2300
	kissoffFreq   = 1400
)

// samples converts a duration to a sample count.
func samples(d time.Duration) int64 { return int64(d * SampleRate / time.Second) }

// toneKind is what a frame holds.
type toneKind uint8

const (
	toneOther toneKind = iota
	tone1400
	tone2300
)

// minShare is the part of a frame's energy the tone must hold: a frame
// fully inside a clean tone gives 1, one more than half covered gives more
// than 0.5; DTMF, speech and noise give far less at these frequencies.
const minShare = 0.6

// toneDetector recognises 1400 Hz and 2300 Hz in whole frames with one
// Goertzel filter each. Both sit exactly on a bin of a 160-sample frame
// (50 Hz spacing), so a steady tone's full energy lands in its filter.
type toneDetector struct {
	coef1400, coef2300 float64
	minPower           float64 // mean square of the weakest accepted tone
}

func newToneDetector(minLevel float64) toneDetector {
	a := tone.Amplitude(minLevel)
	return toneDetector{
		coef1400: 2 * math.Cos(2*math.Pi*handshakeLow/SampleRate),
		coef2300: 2 * math.Cos(2*math.Pi*handshakeHigh/SampleRate),
		minPower: a * a / 2,
	}
}

// classify reports which signalling tone, if any, fills the frame.
func (d *toneDetector) classify(frame []int16) toneKind {
	var energy, a1, a2, b1, b2 float64
	ca, cb := d.coef1400, d.coef2300
	for _, s := range frame {
		x := float64(s)
		energy += x * x
		a1, a2 = x+ca*a1-a2, a1
		b1, b2 = x+cb*b1-b2, b1
	}
	n := float64(len(frame))
	// |X|² = s1² + s2² - coef·s1·s2; a sine of amplitude A gives
	// |X| = A·N/2, so the tone's energy over the frame is 2|X|²/N.
	pa := 2 * (a1*a1 + a2*a2 - ca*a1*a2) / n
	pb := 2 * (b1*b1 + b2*b2 - cb*b1*b2) / n
	switch {
	case pa/n >= d.minPower && pa >= minShare*energy:
		return tone1400
	case pb/n >= d.minPower && pb >= minShare*energy:
		return tone2300
	}
	return toneOther
}

// Handshake returns the receiver's handshake at level dBm0, played once:
// 1400 Hz for 100 ms, 100 ms of silence, 2300 Hz for 100 ms.
func Handshake(level float64) (tone.Tone, error) {
	return signalTone(fmt.Sprintf("!%d/100,!0/100,!%d/100", handshakeLow, handshakeHigh), level)
}

// signalTone renders a play-once tone spec ("!1400/100,...") at level.
func signalTone(spec string, level float64) (tone.Tone, error) {
	t, err := tone.Parse(spec, level)
	if err != nil {
		return tone.Tone{}, fmt.Errorf("contactid: tone %q: %w", spec, err)
	}
	return t, nil
}
