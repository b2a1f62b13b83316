package contactid

import (
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/tone"
)

// ReceiverConfig sets the central station side's timing.
// DefaultReceiverConfig gives the DC-05 values.
type ReceiverConfig struct {
	// HandshakeDelay is the wait after answering before the handshake
	// (DC-05: 0.5 to 2 s).
	HandshakeDelay time.Duration
	// FirstDigitTimeout is how long after the handshake the receiver waits
	// for a message before sending the handshake again.
	FirstDigitTimeout time.Duration
	// Handshakes is how many handshakes are sent before giving up.
	Handshakes int
	// InterDigitTimeout discards a message whose digits stop coming.
	InterDigitTimeout time.Duration
	// KissoffDelay is the wait after the last digit is recognised before
	// the kissoff starts, so it does not overlap the digit's tail.
	KissoffDelay time.Duration
	// Kissoff is the length of the 1400 Hz kissoff (DC-05: 750 ms to 1 s).
	Kissoff time.Duration
	// NextMessageTimeout ends the exchange when no further message starts
	// this long after a kissoff (or after a rejected message, once one
	// message was accepted).
	NextMessageTimeout time.Duration
	// Level is the dBm0 of the handshake and kissoff tones.
	Level float64
	// DTMF sets the detector's limits.
	DTMF dtmf.Config
}

// DefaultReceiverConfig returns 500 ms before the handshake, 3 s for a
// message, 3 handshakes, 1 s between digits, kissoff of 800 ms at -8 dBm0
// starting 200 ms after the last digit, and 3 s for a further message.
func DefaultReceiverConfig() ReceiverConfig {
	return ReceiverConfig{
		HandshakeDelay:     500 * time.Millisecond,
		FirstDigitTimeout:  3 * time.Second,
		Handshakes:         3,
		InterDigitTimeout:  time.Second,
		KissoffDelay:       200 * time.Millisecond,
		Kissoff:            800 * time.Millisecond,
		NextMessageTimeout: 3 * time.Second,
		Level:              -8,
		DTMF:               dtmf.DefaultConfig(),
	}
}

func (c ReceiverConfig) validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"HandshakeDelay", c.HandshakeDelay}, {"FirstDigitTimeout", c.FirstDigitTimeout},
		{"InterDigitTimeout", c.InterDigitTimeout}, {"KissoffDelay", c.KissoffDelay},
		{"Kissoff", c.Kissoff}, {"NextMessageTimeout", c.NextMessageTimeout}} {
		if d.v <= 0 || d.v > 5*time.Minute {
			return fmt.Errorf("contactid: %s %v outside (0, 5m]", d.name, d.v)
		}
	}
	if c.Handshakes < 1 || c.Handshakes > 16 {
		return fmt.Errorf("contactid: Handshakes %d outside 1..16", c.Handshakes)
	}
	return nil
}

type receiverState uint8

const (
	rDelay     receiverState = iota // before the first handshake
	rHandshake                      // playing the handshake
	rListen                         // collecting digits
	rPending                        // valid message, kissoff soon
	rKissoff                        // playing the kissoff
	rDone
)

// Receiver is the central station side: handshake, collect and validate
// messages, kissoff each valid one. It is not safe for concurrent use.
type Receiver struct {
	cfg       ReceiverConfig
	det       *dtmf.Detector
	events    []dtmf.Event
	gen       tone.Generator
	handshake tone.Tone
	kissoff   tone.Tone

	state      receiverState
	now        int64
	deadline   int64 // rDelay, rPending: when to move on
	idleSince  int64 // rListen: handshake end, kissoff end, or last digit
	handshakes int

	digits   [MessageDigits]byte
	ndigits  int
	messages []Message
	rejected []string
	err      error
}

// NewReceiver returns a Receiver for a call that has just been answered.
func NewReceiver(cfg ReceiverConfig) (*Receiver, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	det, err := dtmf.NewDetector(cfg.DTMF)
	if err != nil {
		return nil, fmt.Errorf("contactid: %w", err)
	}
	hs, err := Handshake(cfg.Level)
	if err != nil {
		return nil, err
	}
	ko, err := signalTone(fmt.Sprintf("!%d/%d", kissoffFreq, cfg.Kissoff.Milliseconds()), cfg.Level)
	if err != nil {
		return nil, err
	}
	return &Receiver{
		cfg: cfg, det: det, events: make([]dtmf.Event, 0, 4),
		handshake: hs, kissoff: ko,
		deadline: samples(cfg.HandshakeDelay),
	}, nil
}

// Process takes the 20 ms frame heard from the line and fills out with the
// frame to send. done reports the end of the exchange; err is then nil when
// at least one message was accepted (see Messages), ErrNoMessage otherwise.
// A frame of the wrong size returns ErrFrameSize with done false.
func (r *Receiver) Process(in, out []int16) (done bool, err error) {
	if len(in) != FrameSamples || len(out) != FrameSamples {
		return false, ErrFrameSize
	}
	if r.state == rDone {
		clear(out)
		return true, r.err
	}
	r.now += FrameSamples
	switch r.state {
	case rDelay:
		if r.now >= r.deadline {
			r.play(rHandshake, r.handshake)
			r.handshakes++
		}
	case rListen:
		r.listen(in)
	case rPending:
		if r.now >= r.deadline {
			r.play(rKissoff, r.kissoff)
		}
	}
	if r.state == rHandshake || r.state == rKissoff {
		if r.gen.Fill(out) {
			r.state, r.idleSince = rListen, r.now
			r.ndigits = 0
			r.det.Reset()
		}
	} else {
		clear(out)
	}
	return r.state == rDone, r.err
}

func (r *Receiver) play(st receiverState, t tone.Tone) {
	r.state = st
	_ = r.gen.Reset(t) // validated in NewReceiver
}

// listen feeds the detector and acts on digits and silences.
func (r *Receiver) listen(in []int16) {
	r.events = r.det.Detect(r.events[:0], in)
	for _, e := range r.events {
		if e.Kind != dtmf.KeyDown {
			continue
		}
		r.digits[r.ndigits] = e.Digit
		r.ndigits++
		r.idleSince = r.now
		if r.ndigits < MessageDigits {
			continue
		}
		got := string(r.digits[:])
		r.ndigits = 0
		m, err := Decode(got)
		if err != nil {
			r.rejected = append(r.rejected, got)
			continue
		}
		r.messages = append(r.messages, m)
		r.state, r.deadline = rPending, r.now+samples(r.cfg.KissoffDelay)
		return
	}
	if r.ndigits > 0 {
		if r.now-r.idleSince >= samples(r.cfg.InterDigitTimeout) {
			r.rejected = append(r.rejected, string(r.digits[:r.ndigits]))
			r.ndigits = 0
		}
		return
	}
	switch {
	case len(r.messages) > 0:
		if r.now-r.idleSince >= samples(r.cfg.NextMessageTimeout) {
			r.state = rDone
		}
	case r.now-r.idleSince >= samples(r.cfg.FirstDigitTimeout):
		if r.handshakes >= r.cfg.Handshakes {
			r.state = rDone
			r.err = fmt.Errorf("%w after %d handshakes (%d rejected)", ErrNoMessage, r.handshakes, len(r.rejected))
			return
		}
		r.handshakes++
		r.play(rHandshake, r.handshake)
	}
}

// Messages returns the valid messages received so far, in order. A message
// repeated because its kissoff was not heard appears again.
func (r *Receiver) Messages() []Message { return r.messages }

// Rejected returns the digit strings that failed validation or stopped
// short, in order.
func (r *Receiver) Rejected() []string { return r.rejected }

// Elapsed returns the audio time processed so far.
func (r *Receiver) Elapsed() time.Duration {
	return time.Duration(r.now) * time.Second / SampleRate
}
