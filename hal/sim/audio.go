package sim

import (
	"math"

	"github.com/gatepbx/gatepbx/hal"
)

// fullScaleDBm0: 0 dBm0 is a sine 3.14 dB below 16-bit full scale (the
// convention of media/tone).
const fullScaleDBm0 = 3.14

// silenceDBm0 is what Level reports for digital silence.
const silenceDBm0 = -100.0

// meter tracks the level of what a far end hears: the mean power of the
// last few frames.
type meter struct {
	power float64 // exponential average of frame mean squares
}

// add folds in one frame (time constant about 100 ms).
func (m *meter) add(f *hal.Frame) {
	var sum float64
	for _, s := range f {
		sum += float64(s) * float64(s)
	}
	m.power += (sum/hal.FrameSamples - m.power) / 5
}

// dBm0 converts the average power to dBm0.
func (m *meter) dBm0() float64 {
	if m.power < 1 {
		return silenceDBm0
	}
	fullScaleSine := 32767.0 * 32767.0 / 2
	return 10*math.Log10(m.power/fullScaleSine) + fullScaleDBm0
}

// voice is queued audio a far end says.
type voice struct{ queue []int16 }

// fill copies queued audio into f, zero-padding; it reports whether any
// audio was left.
func (v *voice) fill(f *hal.Frame) bool {
	if len(v.queue) == 0 {
		return false
	}
	n := copy(f[:], v.queue)
	clear(f[n:])
	v.queue = v.queue[n:]
	return true
}
