package cid

import (
	"math"

	"github.com/gatepbx/gatepbx/hal"
)

// Modem is a 1200-baud FSK modem's tone pair.
type Modem struct {
	Name        string
	Mark, Space int // Hz: the 1 and the 0 bit
}

// The two caller-ID modems (hal-notes 2.5).
var (
	Bell202 = Modem{Name: "bell202", Mark: 1200, Space: 2200}
	V23     = Modem{Name: "v23", Mark: 1300, Space: 2100}
)

// Baud is the bit rate of both modems.
const Baud = 1200

// fullScaleDBm0: 0 dBm0 is a sine whose peak is 3.14 dB below full scale
// (the convention of media/tone and media/dtmf).
const fullScaleDBm0 = 3.14

func amplitude(dBm0 float64) float64 {
	return 32767 * math.Pow(10, (dBm0-fullScaleDBm0)/20)
}

// Burst says how a message is framed on the line.
type Burst struct {
	Modem       Modem
	SeizureBits int     // alternating 0101... channel seizure (0 for none)
	MarkBits    int     // steady mark before the message
	Level       float64 // dBm0
}

// trailingMarks follow the checksum so the receiver sees a clean stop bit.
const trailingMarks = 4

// Bits is the number of bit times Render produces for an n-byte message.
func (b Burst) Bits(n int) int { return b.SeizureBits + b.MarkBits + 10*n + trailingMarks }

// Render returns the burst's audio for msg: seizure, marks, then each byte
// as start bit, 8 data bits LSB first, stop bit. The phase is continuous
// across bit boundaries.
func (b Burst) Render(msg []byte) []int16 {
	bits := make([]byte, 0, b.Bits(len(msg)))
	for i := range b.SeizureBits {
		bits = append(bits, byte(i&1))
	}
	for range b.MarkBits {
		bits = append(bits, 1)
	}
	for _, c := range msg {
		bits = append(bits, 0)
		for k := range 8 {
			bits = append(bits, c>>k&1)
		}
		bits = append(bits, 1)
	}
	for range trailingMarks {
		bits = append(bits, 1)
	}
	n := len(bits) * hal.SampleRate / Baud
	out := make([]int16, n)
	amp := amplitude(b.Level)
	markStep := 2 * math.Pi * float64(b.Modem.Mark) / hal.SampleRate
	spaceStep := 2 * math.Pi * float64(b.Modem.Space) / hal.SampleRate
	phase := 0.0
	for i := range out {
		bit := bits[i*Baud/hal.SampleRate]
		step := spaceStep
		if bit == 1 {
			step = markStep
		}
		phase += step
		if phase > 2*math.Pi {
			phase -= 2 * math.Pi
		}
		out[i] = int16(math.Round(amp * math.Sin(phase)))
	}
	return out
}

// Demodulator recovers caller-ID messages from FSK audio: two quadrature
// correlators one bit long (mark and space), the sign of their energy
// difference as the bit, and a UART that starts after a run of marks (so
// the channel seizure is skipped) and ends when a message's length byte
// says it is complete. It does not allocate once a message buffer exists.
// Not safe for concurrent use.
type Demodulator struct {
	mark, space [tableLen]complex128 // e^{-iωn} for n mod tableLen
	n           int                  // sample counter mod tableLen
	hist        [window]float64
	histM       [window]complex128
	histS       [window]complex128
	hpos        int
	accM, accS  complex128
	energy      float64
	threshold   float64 // window energy of the weakest accepted carrier

	state     int
	markRun   int     // consecutive mark samples (hunting)
	wait      float64 // samples to the next bit decision (framing)
	bit       int     // bit index within the byte: 0 start, 1-8 data, 9 stop
	cur       byte
	quiet     int // samples without carrier
	msg       []byte
	completed []byte
}

const (
	// tableLen is a whole number of periods of every modem frequency at
	// 8 kHz (1200, 1300, 2100, 2200 Hz all divide into 80 samples).
	tableLen = 80
	// window is the correlator length, about one bit (6.67 samples).
	window = 7
	// samplesPerBit at 1200 baud.
	samplesPerBit = float64(hal.SampleRate) / Baud
	// huntMarks: mark bits needed before the UART starts.
	huntMarks = 16
	// maxQuiet: samples without carrier that end a burst (2 bits).
	maxQuiet = 14
	// maxMessage bounds a message: type, length, 255 body bytes, checksum.
	maxMessage = 258
)

const (
	stateHunt = iota
	stateIdle
	stateByte
)

// NewDemodulator returns a demodulator for m that accepts carriers down to
// minLevel dBm0 (−40 is a sensible floor for a CO line).
func NewDemodulator(m Modem, minLevel float64) *Demodulator {
	d := &Demodulator{msg: make([]byte, 0, maxMessage)}
	for i := range tableLen {
		d.mark[i] = complexExp(-2 * math.Pi * float64(m.Mark*i) / hal.SampleRate)
		d.space[i] = complexExp(-2 * math.Pi * float64(m.Space*i) / hal.SampleRate)
	}
	a := amplitude(minLevel)
	d.threshold = a * a / 2 * window
	return d
}

func complexExp(x float64) complex128 { return complex(math.Cos(x), math.Sin(x)) }

// Reset forgets everything heard so far.
func (d *Demodulator) Reset() {
	*d = Demodulator{mark: d.mark, space: d.space, threshold: d.threshold, msg: d.msg[:0]}
}

// Feed demodulates samples and returns a complete message (type, length,
// body, checksum; checked by Decode, not here) if one ended inside them.
// The returned slice is valid until the next Feed or Reset.
func (d *Demodulator) Feed(samples []int16) ([]byte, bool) {
	var done []byte
	for _, s := range samples {
		if m := d.sample(float64(s)); m != nil && done == nil {
			done = m
		}
	}
	return done, done != nil
}

// sample processes one sample; it returns a finished message or nil.
func (d *Demodulator) sample(x float64) []byte {
	m := complex(x, 0) * d.mark[d.n]
	s := complex(x, 0) * d.space[d.n]
	d.n++
	if d.n == tableLen {
		d.n = 0
	}
	d.accM += m - d.histM[d.hpos]
	d.accS += s - d.histS[d.hpos]
	d.energy += x*x - d.hist[d.hpos]
	d.histM[d.hpos], d.histS[d.hpos], d.hist[d.hpos] = m, s, x*x
	d.hpos = (d.hpos + 1) % window

	carrier := d.energy > d.threshold
	isMark := sqAbs(d.accM) > sqAbs(d.accS)
	if !carrier {
		d.quiet++
		if d.quiet > maxQuiet && d.state != stateHunt {
			d.state, d.markRun, d.msg = stateHunt, 0, d.msg[:0]
		}
		if d.state == stateHunt {
			d.markRun = 0
			return nil
		}
	} else {
		d.quiet = 0
	}

	switch d.state {
	case stateHunt:
		if isMark {
			d.markRun++
			if float64(d.markRun) >= huntMarks*samplesPerBit {
				d.state = stateIdle
			}
		} else {
			d.markRun = 0
		}
	case stateIdle:
		if !isMark {
			// The start bit's front edge has reached the middle of the
			// correlator: its centre is half a bit on.
			d.state, d.bit, d.cur = stateByte, 0, 0
			d.wait = samplesPerBit/2 - 1
		}
	case stateByte:
		d.wait--
		if d.wait > 0 {
			return nil
		}
		d.wait += samplesPerBit
		switch {
		case d.bit == 0:
			if isMark { // a glitch, not a start bit
				d.state = stateIdle
				return nil
			}
		case d.bit <= 8:
			if isMark {
				d.cur |= 1 << (d.bit - 1)
			}
		default:
			d.state = stateIdle
			if !isMark { // framing error: lose the message
				d.state, d.markRun, d.msg = stateHunt, 0, d.msg[:0]
				return nil
			}
			return d.addByte(d.cur)
		}
		d.bit++
	}
	return nil
}

// addByte appends a received byte and reports the message once complete.
func (d *Demodulator) addByte(b byte) []byte {
	d.msg = append(d.msg, b)
	if len(d.msg) >= 2 && len(d.msg) == int(d.msg[1])+3 {
		d.completed = append(d.completed[:0], d.msg...)
		d.state, d.markRun, d.msg = stateHunt, 0, d.msg[:0]
		return d.completed
	}
	return nil
}

func sqAbs(c complex128) float64 { return real(c)*real(c) + imag(c)*imag(c) }
