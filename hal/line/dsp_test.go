package line

import "math"

// tonesShare is the share of x's energy at the given frequencies.
func tonesShare(x []int16, freqs ...float64) float64 {
	var total float64
	for _, s := range x {
		total += float64(s) * float64(s)
	}
	if total == 0 {
		return 0
	}
	var sum float64
	for _, f := range freqs {
		w := 2 * math.Pi * f / 8000
		var re, im float64
		for n, s := range x {
			re += float64(s) * math.Cos(w*float64(n))
			im -= float64(s) * math.Sin(w*float64(n))
		}
		sum += 2 * (re*re + im*im) / float64(len(x))
	}
	return sum / total
}
