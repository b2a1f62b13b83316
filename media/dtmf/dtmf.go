package dtmf

import (
	"math"
	"strings"
)

// SampleRate is the audio rate, in Hz, the package works at.
const SampleRate = 8000

// keypad lists the digits row by row: rows are the low group (697, 770,
// 852, 941 Hz), columns the high group (1209, 1336, 1477, 1633 Hz).
const keypad = "123A456B789C*0#D"

// frequencies returns the four row frequencies followed by the four
// column frequencies, in Hz.
func frequencies() [8]float64 {
	return [8]float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}
}

// ValidDigit reports whether d is a DTMF key: 0-9, *, #, A-D (or a-d).
func ValidDigit(d byte) bool { return keyIndex(d) >= 0 }

// keyIndex returns the digit's position in keypad, or -1.
func keyIndex(d byte) int {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	return strings.IndexByte(keypad, d)
}

// fullScaleDBm0 is the level of a full-scale 16-bit sine (A-law overload).
const fullScaleDBm0 = 3.14

// amplitude returns the peak, in 16-bit sample units, of a sine at dBm0.
func amplitude(dBm0 float64) float64 {
	return 32768 * math.Pow(10, (dBm0-fullScaleDBm0)/20)
}
