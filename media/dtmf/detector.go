package dtmf

import (
	"fmt"
	"math"
	"math/cmplx"
)

const (
	// halfLen is the hop; two halves make one 102-sample analysis window.
	halfLen   = 51
	windowLen = 2 * halfLen

	// relativePeak: the chosen row (column) must be this much stronger, as
	// a power ratio, than every other row (column): 8 dB.
	relativePeak = 6.309573

	// minShare is the fraction of a window's energy the two tones must hold.
	minShare = 0.7

	// confirmHits consecutive hit windows report a digit; releaseMisses
	// windows without it end it.
	confirmHits   = 4
	releaseMisses = 3

	// maxDeviation is the largest accepted frequency error, as a fraction.
	maxDeviation = 0.025

	// minPurity is the share of a window's energy a confirmed digit's two
	// tones must hold, measured at their actual frequencies.
	minPurity = 0.92
)

// Config sets the detector's acceptance limits.
type Config struct {
	// MinLevel is the weakest tone, in dBm0 per frequency, accepted.
	MinLevel float64
	// NormalTwist is how many dB the row (low-group) tone may be stronger
	// than the column (high-group) tone.
	NormalTwist float64
	// ReverseTwist is how many dB the column tone may be stronger than the
	// row tone.
	ReverseTwist float64
}

// DefaultConfig returns the limits of hal-notes §2.4: −42 dBm0, 8 dB normal
// and 4 dB reverse twist.
func DefaultConfig() Config {
	return Config{MinLevel: -42, NormalTwist: 8, ReverseTwist: 4}
}

func (c Config) validate() error {
	if !(c.MinLevel >= -60 && c.MinLevel <= 0) {
		return fmt.Errorf("dtmf: MinLevel %g dBm0 outside -60..0", c.MinLevel)
	}
	if !(c.NormalTwist >= 0 && c.NormalTwist <= 20) {
		return fmt.Errorf("dtmf: NormalTwist %g dB outside 0..20", c.NormalTwist)
	}
	if !(c.ReverseTwist >= 0 && c.ReverseTwist <= 20) {
		return fmt.Errorf("dtmf: ReverseTwist %g dB outside 0..20", c.ReverseTwist)
	}
	return nil
}

// EventKind says whether an Event starts or ends a digit.
type EventKind uint8

// The two edges of a digit.
const (
	KeyDown EventKind = iota + 1 // the digit is confirmed
	KeyUp                        // the digit has ended
)

func (k EventKind) String() string {
	switch k {
	case KeyDown:
		return "down"
	case KeyUp:
		return "up"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is a detected digit edge.
type Event struct {
	Digit byte // '0'-'9', '*', '#', 'A'-'D'
	Kind  EventKind
	// Sample is where the tone began (KeyDown) or ended (KeyUp), counted in
	// samples from the detector's start or last Reset, to within about 50
	// samples. A KeyDown is emitted about 32 ms after the tone began, a
	// KeyUp about 25 ms after it ended.
	Sample int64
}

// filter holds one frequency's constants.
type filter struct {
	coef    float64    // 2·cos(ω)
	cos     float64    // cos(ω)
	sin     float64    // sin(ω)
	rot     complex128 // e^{-iω·halfLen}: shifts the second half's output
	advance float64    // ω·halfLen: the expected phase step between windows
	freq    float64
}

// Detector finds DTMF digits in a stream of 8 kHz samples. It is not safe
// for concurrent use; give each stream its own.
type Detector struct {
	filters      [8]filter
	leak         [8][8]complex128 // leak[i][j]: filter j's output for a tone at i, relative to filter i's
	threshold    float64          // minimum tone power (mean square)
	normalTwist  float64          // power ratios
	reverseTwist float64

	buf  [halfLen]float64
	nbuf int

	halves     int64         // halves analysed since Reset
	prevHalf   [8]complex128 // previous half's Goertzel outputs
	prevEnergy float64       // previous half's Σx²
	prevFit    fit           // the previous hit window's tones

	cand      int              // candidate key index, -1 for none
	candHits  int              // consecutive hit windows for cand
	run       [confirmHits]fit // cand's first hit windows
	candStart int64            // first sample of cand's first hit window
	rowPhase  complex128       // Σ window-to-window phase steps of cand's row tone
	colPhase  complex128       // and of its column tone

	active    int   // reported key index, -1 for none
	activeEnd int64 // last sample (exclusive) of active's latest hit window
	misses    int   // windows since active's latest hit
}

// NewDetector returns a Detector with the given limits.
func NewDetector(cfg Config) (*Detector, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Detector{
		threshold:    tonePower(cfg.MinLevel),
		normalTwist:  math.Pow(10, cfg.NormalTwist/10),
		reverseTwist: math.Pow(10, cfg.ReverseTwist/10),
	}
	for i, f := range frequencies() {
		w := 2 * math.Pi * f / SampleRate
		d.filters[i] = filter{
			coef:    2 * math.Cos(w),
			cos:     math.Cos(w),
			sin:     math.Sin(w),
			rot:     cmplx.Rect(1, -w*halfLen),
			advance: w * halfLen,
			freq:    f,
		}
	}
	d.leak = leakage()
	d.Reset()
	return d, nil
}

// leakage returns, for a complex tone exactly at DTMF frequency i, the
// output of filter j over one window divided by the output of filter i.
// The window's DFT at ω_j of e^{iω_i n} is the Dirichlet kernel
// D(δ) = Σ e^{iδn} = e^{iδ(N-1)/2}·sin(Nδ/2)/sin(δ/2), δ = ω_i-ω_j, and our
// outputs carry an extra factor e^{iω(M-1)} (see analyseHalf).
func leakage() (k [8][8]complex128) {
	f := frequencies()
	for i := range f {
		for j := range f {
			wi, wj := 2*math.Pi*f[i]/SampleRate, 2*math.Pi*f[j]/SampleRate
			delta := wi - wj
			dirichlet := complex(1, 0)
			if i != j {
				mag := math.Sin(windowLen*delta/2) / math.Sin(delta/2) / windowLen
				dirichlet = cmplx.Rect(mag, delta*(windowLen-1)/2)
			}
			k[i][j] = dirichlet * cmplx.Rect(1, (wj-wi)*(halfLen-1))
		}
	}
	return k
}

// tonePower is the mean square of a sine at dBm0.
func tonePower(dBm0 float64) float64 {
	a := amplitude(dBm0)
	return a * a / 2
}

// Reset forgets all history, as if the detector were new. Sample
// positions restart at zero.
func (d *Detector) Reset() {
	d.nbuf, d.halves, d.prevEnergy = 0, 0, 0
	d.prevHalf, d.prevFit = [8]complex128{}, fit{}
	d.cand, d.candHits, d.candStart = -1, 0, 0
	d.rowPhase, d.colPhase = 0, 0
	d.active, d.activeEnd, d.misses = -1, 0, 0
}

// Detect consumes samples (any number) and appends the resulting events to
// dst, returning the extended slice. With enough capacity in dst it does
// not allocate; a 20 ms frame yields at most one event of each kind.
func (d *Detector) Detect(dst []Event, samples []int16) []Event {
	for len(samples) > 0 {
		n := min(len(samples), halfLen-d.nbuf)
		for i, s := range samples[:n] {
			d.buf[d.nbuf+i] = float64(s)
		}
		d.nbuf += n
		samples = samples[n:]
		if d.nbuf == halfLen {
			dst = d.analyseHalf(dst)
			d.nbuf = 0
		}
	}
	return dst
}

// analyseHalf filters the buffered half and, from the second half on,
// judges the window it completes.
func (d *Detector) analyseHalf(dst []Event) []Event {
	var energy float64
	for _, x := range d.buf {
		energy += x * x
	}
	var cur [8]complex128
	// Four filters per pass: their recursions are independent, so the CPU
	// overlaps them instead of waiting on one chain of multiply-adds.
	for i := 0; i < len(d.filters); i += 4 {
		f := d.filters[i : i+4 : i+4]
		ca, cb, cc, cd := f[0].coef, f[1].coef, f[2].coef, f[3].coef
		var a1, a2, b1, b2, c1, c2, d1, d2 float64
		for _, x := range d.buf {
			a1, a2 = x+ca*a1-a2, a1
			b1, b2 = x+cb*b1-b2, b1
			c1, c2 = x+cc*c1-c2, c1
			d1, d2 = x+cd*d1-d2, d1
		}
		for j, s := range [4][2]float64{{a1, a2}, {b1, b2}, {c1, c2}, {d1, d2}} {
			// X = e^{-iω(M-1)}·(s1 - e^{-iω}·s2); the constant phase
			// factor is the same for every half and drops out below.
			cur[i+j] = complex(s[0]-f[j].cos*s[1], f[j].sin*s[1])
		}
	}
	d.halves++
	if d.halves >= 2 {
		var win [8]complex128
		for i := range d.filters {
			win[i] = d.prevHalf[i] + d.filters[i].rot*cur[i]
		}
		start := (d.halves - 2) * halfLen
		dst = d.judge(dst, &win, d.prevEnergy+energy, start)
	}
	d.prevHalf, d.prevEnergy = cur, energy
	return dst
}

// fit is the outcome of classifying one window.
type fit struct {
	key      int        // key index, or -1 when the window is not a hit
	row, col complex128 // the two tones' outputs with each other's leakage removed
	energy   float64    // the window's Σx²
}

// classify decides whether a window is a hit for a key.
//
// The rectangular window lets every tone leak into the other filters (at
// -14 to -25 dB), so a strong row tone can make a weak column look impure.
// classify therefore fits the window as "best row tone + best column tone"
// first: it solves for the two tone outputs without each other's leakage,
// and judges the other six filters on what the two tones do not explain.
func (d *Detector) classify(win *[8]complex128, energy float64) fit {
	const norm = 2.0 / (windowLen * windowLen) // |X|² to mean-square power
	var p [8]float64
	for i, v := range win {
		p[i] = real(v)*real(v) + imag(v)*imag(v)
	}
	row, col := 0, 4
	for i := 1; i < 4; i++ {
		if p[i] > p[row] {
			row = i
		}
		if p[4+i] > p[col] {
			col = 4 + i
		}
	}
	kcr, krc := d.leak[col][row], d.leak[row][col]
	det := 1 - kcr*krc
	ar := (win[row] - kcr*win[col]) / det
	ac := (win[col] - krc*win[row]) / det
	pr := (real(ar)*real(ar) + imag(ar)*imag(ar)) * norm
	pc := (real(ac)*real(ac) + imag(ac)*imag(ac)) * norm
	miss := fit{key: -1}
	switch {
	case pr < d.threshold || pc < d.threshold:
		return miss
	case pc > pr*d.reverseTwist || pr > pc*d.normalTwist:
		return miss
	case (pr+pc)*windowLen < minShare*energy:
		return miss
	}
	for j := range win {
		if j == row || j == col {
			continue
		}
		r := win[j] - d.leak[row][j]*ar - d.leak[col][j]*ac
		pj := (real(r)*real(r) + imag(r)*imag(r)) * norm * relativePeak
		if (j < 4 && pj > pr) || (j >= 4 && pj > pc) {
			return miss
		}
	}
	return fit{key: row*4 + (col - 4), row: ar, col: ac, energy: energy}
}

// judge runs the digit state machine on one window.
func (d *Detector) judge(dst []Event, win *[8]complex128, energy float64, start int64) []Event {
	f := d.classify(win, energy)
	key := f.key
	end := start + windowLen

	// The reported digit holds while its windows keep coming.
	if d.active >= 0 {
		if key == d.active {
			d.misses, d.activeEnd = 0, end
		} else if d.misses++; d.misses >= releaseMisses {
			dst = append(dst, Event{Digit: keypad[d.active], Kind: KeyUp, Sample: d.activeEnd})
			d.active = -1
		}
	}

	if key < 0 || key != d.cand {
		d.cand, d.candHits, d.candStart = key, 0, start
		d.rowPhase, d.colPhase = 0, 0
		if key < 0 {
			return dst
		}
	} else {
		// Same digit as the previous window: accumulate each tone's phase
		// step, weighted by its strength.
		d.rowPhase += f.row * cmplx.Conj(d.prevFit.row)
		d.colPhase += f.col * cmplx.Conj(d.prevFit.col)
	}
	d.prevFit = f
	if d.candHits < confirmHits {
		d.run[d.candHits] = f
	}
	d.candHits++
	if d.candHits != confirmHits || key == d.active {
		return dst
	}
	if !d.confirm(key) {
		return dst
	}
	if d.active >= 0 { // a new digit straight after another
		dst = append(dst, Event{Digit: keypad[d.active], Kind: KeyUp, Sample: d.activeEnd})
	}
	d.active, d.activeEnd, d.misses = key, end, 0
	return append(dst, Event{Digit: keypad[key], Kind: KeyDown, Sample: d.candStart})
}

// confirm applies the checks that need a whole run of hits: both tones
// within maxDeviation of nominal, and, once the filters' loss at the
// measured frequencies is corrected for, the two tones holding at least
// minPurity of the energy of the run's cleanest window.
func (d *Detector) confirm(key int) bool {
	row, col := key/4, 4+key%4
	dr, okr := d.offset(row, d.rowPhase)
	dc, okc := d.offset(col, d.colPhase)
	if !okr || !okc {
		return false
	}
	gr, gc := windowGain(dr), windowGain(dc)
	const norm = 2.0 / windowLen // |X|² to energy over the window
	best := 0.0
	for _, w := range d.run {
		pr := real(w.row)*real(w.row) + imag(w.row)*imag(w.row)
		pc := real(w.col)*real(w.col) + imag(w.col)*imag(w.col)
		if w.energy > 0 {
			best = max(best, (pr/gr+pc/gc)*norm/w.energy)
		}
	}
	return best >= minPurity
}

// offset converts an accumulated window-to-window phase step of filter i
// into the tone's frequency error in radians per sample, and reports
// whether it is within maxDeviation.
func (d *Detector) offset(i int, acc complex128) (float64, bool) {
	f := &d.filters[i]
	dw := math.Remainder(cmplx.Phase(acc)-f.advance, 2*math.Pi) / halfLen
	return dw, math.Abs(dw) <= maxDeviation*2*math.Pi*f.freq/SampleRate
}

// windowGain is the power response of a windowLen-sample filter to a tone
// dw radians per sample away from its frequency (1 at dw = 0).
func windowGain(dw float64) float64 {
	if math.Abs(dw) < 1e-9 {
		return 1
	}
	g := math.Sin(windowLen*dw/2) / (windowLen * math.Sin(dw/2))
	return g * g
}
