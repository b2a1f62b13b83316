package wav

import (
	"fmt"
	"math"
)

// Design of the anti-aliasing low-pass filter (see the package comment).
const (
	passbandEdgeHz   = 3400
	stopbandEdgeHz   = 4600
	stopbandAttenDB  = 70
	maxResamplePhase = 320 // 11025 -> 8000 needs 320 phases
)

// resampler converts a stream of mono samples at one rate to SampleRate
// with a polyphase windowed-sinc filter. It is rational: with
// inRate/outRate = m/l in lowest terms, output sample n sits at input
// position n·m/l, whose integer part is base and whose fractional part is
// phase/l. Each phase has its own precomputed row of taps covering input
// indices base-left … base+right.
//
// Input is pushed into buf, which holds input indices start … start+len-1;
// the left history starts as zeros and end of input appends right zeros, so
// the first and last outputs are computed like all others.
type resampler struct {
	l, m        int
	left, right int
	taps        int       // left + 1 + right
	coef        []float32 // l rows of taps
	buf         []float32 // fixed capacity, never grown
	start       int64     // input index of buf[0]
	base        int64     // integer input position of the next output
	phase       int       // fractional input position of the next output, in 1/l
	inputs      int64     // real input samples pushed so far
	eof         bool
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// newResampler builds a resampler from inRate to SampleRate whose push
// accepts up to maxPush samples at a time.
func newResampler(inRate, maxPush int) (*resampler, error) {
	if inRate < SampleRate {
		return nil, fmt.Errorf("%w: sample rate %d Hz is below %d Hz", ErrUnsupported, inRate, SampleRate)
	}
	g := gcd(inRate, SampleRate)
	r := &resampler{l: SampleRate / g, m: inRate / g}
	if r.l > maxResamplePhase {
		return nil, fmt.Errorf("%w: sample rate %d Hz needs %d filter phases (limit %d)", ErrUnsupported, inRate, r.l, maxResamplePhase)
	}
	if r.l == r.m {
		r.taps = 1
		r.coef = []float32{1}
	} else {
		r.designFilter(float64(inRate))
	}
	r.buf = make([]float32, r.left, maxPush+r.taps+r.right)
	r.start = -int64(r.left)
	return r, nil
}

// designFilter fills coef with a Kaiser-windowed sinc low-pass centred on
// half the output rate, one normalised row per phase.
func (r *resampler) designFilter(inRate float64) {
	deltaOmega := 2 * math.Pi * (stopbandEdgeHz - passbandEdgeHz) / inRate
	length := int(math.Ceil((stopbandAttenDB-7.95)/(2.285*deltaOmega))) + 1
	half := (length + 1) / 2
	r.left, r.right = half-1, half
	r.taps = r.left + 1 + r.right
	beta := 0.1102 * (stopbandAttenDB - 8.7)
	i0Beta := besselI0(beta)
	cutoff := 2 * (passbandEdgeHz + stopbandEdgeHz) / 2 / inRate // cycles per input sample ×2
	r.coef = make([]float32, r.l*r.taps)
	values := make([]float64, r.taps)
	for p := 0; p < r.l; p++ {
		row := r.coef[p*r.taps : (p+1)*r.taps]
		frac := float64(p) / float64(r.l)
		sum := 0.0
		for j := range values {
			d := float64(j-r.left) - frac // distance from the output instant, in input samples
			x := d / float64(half)
			w := 0.0
			if x*x < 1 {
				w = besselI0(beta*math.Sqrt(1-x*x)) / i0Beta
			}
			values[j] = sinc(cutoff*d) * w
			sum += values[j]
		}
		for j, v := range values {
			row[j] = float32(v / sum)
		}
	}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the zeroth-order modified Bessel function of the first kind.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		f := x / (2 * float64(k))
		term *= f * f
		sum += term
		if term < sum*1e-12 {
			break
		}
	}
	return sum
}

// room is how many samples push accepts now.
func (r *resampler) room() int {
	return cap(r.buf) - len(r.buf) + r.consumed()
}

// consumed is how many samples at the front of buf no output needs any more.
func (r *resampler) consumed() int {
	return int(r.base - int64(r.left) - r.start)
}

// push appends input samples; len(samples) must not exceed room().
func (r *resampler) push(samples []int16) {
	if drop := r.consumed(); drop > 0 {
		n := copy(r.buf, r.buf[drop:])
		r.buf = r.buf[:n]
		r.start += int64(drop)
	}
	for _, s := range samples {
		r.buf = append(r.buf, float32(s))
	}
	r.inputs += int64(len(samples))
}

// finish marks the end of input.
func (r *resampler) finish() {
	if r.eof {
		return
	}
	if drop := r.consumed(); drop > 0 {
		n := copy(r.buf, r.buf[drop:])
		r.buf = r.buf[:n]
		r.start += int64(drop)
	}
	for i := 0; i < r.right; i++ {
		r.buf = append(r.buf, 0)
	}
	r.eof = true
}

// drained reports that input has ended and every output was pulled.
func (r *resampler) drained() bool { return r.eof && r.base >= r.inputs }

// pull writes as many output samples into dst as the buffered input allows.
func (r *resampler) pull(dst []int16) int {
	n := 0
	end := r.start + int64(len(r.buf)) // one past the last buffered index
	for n < len(dst) {
		if r.base >= r.inputs || r.base+int64(r.right) >= end {
			break
		}
		i := int(r.base - int64(r.left) - r.start)
		window := r.buf[i : i+r.taps]
		row := r.coef[r.phase*r.taps : (r.phase+1)*r.taps]
		row = row[:len(window)]
		var acc float32
		for j, x := range window {
			acc += x * row[j]
		}
		dst[n] = saturate(acc)
		n++
		r.phase += r.m
		r.base += int64(r.phase / r.l)
		r.phase %= r.l
	}
	return n
}

// saturate rounds to the nearest int16, clipping at the range ends.
func saturate(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}
