package contactid

import (
	"errors"
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/media/dtmf"
)

// SenderConfig sets the alarm panel side's timing. DefaultSenderConfig
// gives the DC-05 values.
type SenderConfig struct {
	// HandshakeTimeout is how long to wait for the receiver's handshake
	// after the call is answered.
	HandshakeTimeout time.Duration
	// Pause is the wait after the handshake (or a kissoff) ends before a
	// message starts (DC-05: 250-300 ms).
	Pause time.Duration
	// DigitOn and DigitOff are each digit's tone and gap (DC-05: 50-60 ms).
	DigitOn, DigitOff time.Duration
	// Level is the dBm0 of each DTMF tone.
	Level float64
	// KissoffWait is how long after its last digit the sender waits for
	// the kissoff to start (DC-05: 1.25 s).
	KissoffWait time.Duration
	// KissoffMin is how long 1400 Hz must last to count as the kissoff
	// (the receiver sends 750 ms to 1 s; the handshake's 1400 Hz is 100 ms).
	KissoffMin time.Duration
	// Attempts is how many times one message is sent without a kissoff
	// before the sender gives up (DC-05: 4).
	Attempts int
	// MinLevel is the weakest handshake or kissoff tone, in dBm0, heard.
	MinLevel float64
}

// DefaultSenderConfig returns the DC-05 timing: 20 s for the handshake,
// 250 ms pause, 55/55 ms digits at -8 dBm0, 1.25 s for the kissoff, which
// must last 400 ms, and 4 attempts; tones down to -40 dBm0 are heard.
func DefaultSenderConfig() SenderConfig {
	return SenderConfig{
		HandshakeTimeout: 20 * time.Second,
		Pause:            250 * time.Millisecond,
		DigitOn:          55 * time.Millisecond,
		DigitOff:         55 * time.Millisecond,
		Level:            -8,
		KissoffWait:      1250 * time.Millisecond,
		KissoffMin:       400 * time.Millisecond,
		Attempts:         4,
		MinLevel:         -40,
	}
}

func (c SenderConfig) validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"HandshakeTimeout", c.HandshakeTimeout}, {"Pause", c.Pause}, {"DigitOn", c.DigitOn},
		{"DigitOff", c.DigitOff}, {"KissoffWait", c.KissoffWait}, {"KissoffMin", c.KissoffMin}} {
		if d.v <= 0 || d.v > 5*time.Minute {
			return fmt.Errorf("contactid: %s %v outside (0, 5m]", d.name, d.v)
		}
	}
	if c.Attempts < 1 || c.Attempts > 16 {
		return fmt.Errorf("contactid: Attempts %d outside 1..16", c.Attempts)
	}
	if !(c.MinLevel >= -60 && c.MinLevel <= 0) {
		return fmt.Errorf("contactid: MinLevel %g dBm0 outside -60..0", c.MinLevel)
	}
	return nil
}

// Outcome errors of a Sender or Receiver.
var (
	ErrNoHandshake = errors.New("contactid: no handshake from the receiver")
	ErrNoKissoff   = errors.New("contactid: no kissoff from the receiver")
	ErrNoMessage   = errors.New("contactid: no valid message from the sender")
)

type senderState uint8

const (
	sWaitHandshake senderState = iota
	sHandshakeEnd              // 2300 Hz heard, waiting for it to stop
	sPause                     // waiting Pause before a message
	sSending
	sWaitKissoff
	sKissoffEnd // kissoff heard, more to send: waiting for it to stop
	sDone
)

// Sender is the alarm panel side: it waits for the handshake, sends each
// message as DTMF and waits for its kissoff, repeating a message that gets
// none. It is not safe for concurrent use.
type Sender struct {
	cfg      SenderConfig
	digits   []string // the encoded messages
	det      toneDetector
	gen      *dtmf.Generator
	state    senderState
	now      int64 // samples processed
	deadline int64 // current state's timeout, in samples

	run1400, run2300 int   // consecutive frames of each tone
	last1400         int64 // when the latest 1400 Hz run (≥ 3 frames) ended

	msg      int // index of the message being sent
	attempts int // attempts at the current message
	total    int // attempts at all messages
	err      error

	corrupt func(attempt int, digits string) string // tests: alter what is sent
}

// minToneFrames is how many consecutive frames make a handshake tone (the
// 100 ms tones always fill four).
const minToneFrames = 3

// NewSender returns a Sender that will deliver msgs, in order, once the
// call is answered and Process starts being called.
func NewSender(cfg SenderConfig, msgs ...Message) (*Sender, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, errors.New("contactid: no message to send")
	}
	s := &Sender{cfg: cfg, det: newToneDetector(cfg.MinLevel), last1400: -1 << 62}
	for i, m := range msgs {
		d, err := m.Encode()
		if err != nil {
			return nil, fmt.Errorf("contactid: message %d: %w", i+1, err)
		}
		s.digits = append(s.digits, d)
	}
	gcfg := dtmf.GeneratorConfig{LowLevel: cfg.Level, HighLevel: cfg.Level, On: cfg.DigitOn, Off: cfg.DigitOff}
	g, err := dtmf.NewGenerator(gcfg)
	if err != nil {
		return nil, fmt.Errorf("contactid: %w", err)
	}
	s.gen = g
	s.deadline = samples(cfg.HandshakeTimeout)
	return s, nil
}

// Process takes the 20 ms frame heard from the line and fills out with the
// frame to send. done reports the end of the exchange; err is then nil when
// every message got its kissoff, ErrNoHandshake or ErrNoKissoff otherwise.
// A frame of the wrong size returns ErrFrameSize with done false.
func (s *Sender) Process(in, out []int16) (done bool, err error) {
	if len(in) != FrameSamples || len(out) != FrameSamples {
		return false, ErrFrameSize
	}
	if s.state == sDone {
		clear(out)
		return true, s.err
	}
	heard := s.det.classify(in)
	s.now += FrameSamples
	s.observe(heard)
	if s.state == sSending {
		if s.gen.Fill(out) {
			s.state, s.deadline = sWaitKissoff, s.now+samples(s.cfg.KissoffWait)
			s.run1400 = 0
		}
	} else {
		clear(out)
	}
	return s.state == sDone, s.err
}

// observe advances the state machine on what the frame held.
func (s *Sender) observe(heard toneKind) {
	switch s.state {
	case sWaitHandshake:
		if heard == tone1400 {
			s.run1400++
		} else {
			if s.run1400 >= minToneFrames {
				s.last1400 = s.now - FrameSamples
			}
			s.run1400 = 0
		}
		if heard == tone2300 {
			s.run2300++
		} else {
			s.run2300 = 0
		}
		// 1400 Hz, 100 ms of silence, 2300 Hz: the 2300 Hz run must
		// follow a 1400 Hz run by at most 400 ms.
		if s.run2300 >= minToneFrames && s.now-s.last1400 <= samples(400*time.Millisecond) {
			s.state, s.deadline = sHandshakeEnd, s.now+samples(time.Second)
		} else if s.now >= s.deadline {
			s.finish(ErrNoHandshake)
		}
	case sHandshakeEnd, sKissoffEnd:
		want := tone2300
		if s.state == sKissoffEnd {
			want = tone1400
		}
		if heard != want || s.now >= s.deadline {
			s.state, s.deadline = sPause, s.now+samples(s.cfg.Pause)
		}
	case sPause:
		if s.now >= s.deadline {
			s.send()
		}
	case sWaitKissoff:
		if heard == tone1400 {
			s.run1400++
			if int64(s.run1400)*FrameSamples >= samples(s.cfg.KissoffMin) {
				s.acknowledged()
			}
			return
		}
		s.run1400 = 0
		if s.now < s.deadline {
			return
		}
		if s.attempts >= s.cfg.Attempts {
			s.finish(fmt.Errorf("%w after %d attempts at message %d", ErrNoKissoff, s.attempts, s.msg+1))
			return
		}
		s.send()
	}
}

// send starts an attempt at the current message.
func (s *Sender) send() {
	s.attempts++
	s.total++
	d := s.digits[s.msg]
	if s.corrupt != nil {
		d = s.corrupt(s.total, d)
	}
	if err := s.gen.Play(d); err != nil { // encoded digits are always valid
		s.finish(fmt.Errorf("contactid: %w", err))
		return
	}
	s.state = sSending
}

// acknowledged moves past a message whose kissoff was heard.
func (s *Sender) acknowledged() {
	s.msg++
	s.attempts = 0
	if s.msg == len(s.digits) {
		s.finish(nil)
		return
	}
	s.state, s.deadline = sKissoffEnd, s.now+samples(2*time.Second)
}

func (s *Sender) finish(err error) {
	s.state, s.err = sDone, err
	s.gen.Play("")
}

// Delivered returns how many messages got their kissoff.
func (s *Sender) Delivered() int { return s.msg }

// Attempts returns how many times messages were sent, retries included.
func (s *Sender) Attempts() int { return s.total }

// Elapsed returns the audio time processed so far.
func (s *Sender) Elapsed() time.Duration {
	return time.Duration(s.now) * time.Second / SampleRate
}
