package contactid

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/g711"
)

// codec is what the line does to the audio between the two ends.
type codec int

const (
	linear codec = iota
	ulaw
	alaw
)

func (c codec) pass(frame []int16) {
	var b [FrameSamples]byte
	switch c {
	case ulaw:
		g711.EncodeUlaw(b[:], frame)
		g711.DecodeUlaw(frame, b[:])
	case alaw:
		g711.EncodeAlaw(b[:], frame)
		g711.DecodeAlaw(frame, b[:])
	}
}

// line wires a Sender and a Receiver back to back; each hears the other's
// previous frame after the codec and the impairments.
type line struct {
	codec  codec
	lossDB float64 // attenuation in both directions
	// muteReceiver silences the receiver's audio towards the sender while
	// it returns true (given the receiver).
	muteReceiver func(r *Receiver) bool
	// muteSender silences the sender's audio in the given frame.
	muteSender func(frame int) bool
}

type outcome struct {
	sendErr, recvErr error
	frames           int
}

// maxFrames bounds a run: 2 minutes of audio.
const maxFrames = 2 * 60 * 50

func (l line) run(t *testing.T, s *Sender, r *Receiver) outcome {
	t.Helper()
	var sIn, sOut, rIn, rOut [FrameSamples]int16
	var o outcome
	sDone, rDone := false, false
	for i := range maxFrames {
		var err error
		if !sDone {
			if sDone, err = s.Process(sIn[:], sOut[:]); sDone {
				o.sendErr = err
			} else if err != nil {
				t.Fatal(err)
			}
		} else {
			clear(sOut[:]) // the panel has hung up
		}
		if !rDone {
			if rDone, err = r.Process(rIn[:], rOut[:]); rDone {
				o.recvErr = err
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if sDone && rDone {
			o.frames = i + 1
			return o
		}
		sIn, rIn = rOut, sOut
		if l.muteReceiver != nil && l.muteReceiver(r) {
			clear(sIn[:])
		}
		if l.muteSender != nil && l.muteSender(i) {
			clear(rIn[:])
		}
		l.attenuate(sIn[:])
		l.attenuate(rIn[:])
		l.codec.pass(sIn[:])
		l.codec.pass(rIn[:])
	}
	t.Fatalf("exchange did not end in %d frames (sender state %d, receiver state %d)", maxFrames, s.state, r.state)
	return o
}

func (l line) attenuate(frame []int16) {
	if l.lossDB == 0 {
		return
	}
	g := math.Pow(10, -l.lossDB/20)
	for i, v := range frame {
		frame[i] = int16(math.Round(float64(v) * g))
	}
}

var (
	burglary = Message{Account: "1234", Qualifier: NewEvent, Event: 131, Partition: 1, Zone: 15}
	restore  = Message{Account: "B0F7", Qualifier: NewRestore, Event: 131, Partition: 1, Zone: 15}
	test602  = Message{Account: "0000", Qualifier: NewEvent, Event: 602}
)

func TestSenderReceiverBackToBack(t *testing.T) {
	// corruptAttempts makes the sender send a wrong checksum on the listed
	// attempts (counted over the whole call).
	corruptAttempts := func(bad ...int) func(int, string) string {
		return func(attempt int, d string) string {
			for _, b := range bad {
				if b == attempt {
					c := []byte(d)
					c[len(c)-1] = map[byte]byte{'1': '2'}[c[len(c)-1]]
					if c[len(c)-1] == 0 {
						c[len(c)-1] = '1'
					}
					return string(c)
				}
			}
			return d
		}
	}
	kissoffLost := func(r *Receiver) bool { return r.state == rKissoff }
	tests := []struct {
		name         string
		line         line
		msgs         []Message
		corrupt      func(int, string) string
		sendErr      error
		recvErr      error
		attempts     int
		delivered    int
		received     []Message
		rejected     int
		maxSendAudio time.Duration // the sender's whole exchange
	}{
		{name: "linear", line: line{codec: linear}, msgs: []Message{burglary},
			attempts: 1, delivered: 1, received: []Message{burglary}, maxSendAudio: 4 * time.Second},
		{name: "through µ-law", line: line{codec: ulaw}, msgs: []Message{burglary},
			attempts: 1, delivered: 1, received: []Message{burglary}, maxSendAudio: 4 * time.Second},
		{name: "through A-law", line: line{codec: alaw}, msgs: []Message{restore},
			attempts: 1, delivered: 1, received: []Message{restore}, maxSendAudio: 4 * time.Second},
		{name: "15 dB of line loss, µ-law", line: line{codec: ulaw, lossDB: 15}, msgs: []Message{burglary},
			attempts: 1, delivered: 1, received: []Message{burglary}, maxSendAudio: 4 * time.Second},
		{name: "three messages in one call", line: line{codec: ulaw}, msgs: []Message{burglary, restore, test602},
			attempts: 3, delivered: 3, received: []Message{burglary, restore, test602}, maxSendAudio: 10 * time.Second},
		{name: "checksum error then resent", line: line{codec: ulaw}, msgs: []Message{burglary}, corrupt: corruptAttempts(1),
			attempts: 2, delivered: 1, received: []Message{burglary}, rejected: 1, maxSendAudio: 8 * time.Second},
		{name: "checksum error on the second message", line: line{codec: linear}, msgs: []Message{burglary, restore},
			corrupt: corruptAttempts(2, 3), attempts: 4, delivered: 2, received: []Message{burglary, restore}, rejected: 2},
		{name: "checksum errors on every attempt", line: line{codec: ulaw}, msgs: []Message{burglary}, corrupt: corruptAttempts(1, 2, 3, 4),
			sendErr: ErrNoKissoff, recvErr: ErrNoMessage, attempts: 4, rejected: 4},
		{name: "kissoff never arrives", line: line{codec: ulaw, muteReceiver: kissoffLost}, msgs: []Message{burglary},
			sendErr: ErrNoKissoff, attempts: 4, received: []Message{burglary, burglary, burglary, burglary}},
		{name: "digit lost on the line", line: line{codec: linear, muteSender: func(f int) bool { return f >= 60 && f < 67 }},
			msgs: []Message{burglary}, attempts: 2, delivered: 1, received: []Message{burglary}, rejected: 1},
		{name: "no handshake", line: line{codec: ulaw, muteReceiver: func(*Receiver) bool { return true }}, msgs: []Message{burglary},
			sendErr: ErrNoHandshake, recvErr: ErrNoMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSender(DefaultSenderConfig(), tt.msgs...)
			if err != nil {
				t.Fatal(err)
			}
			s.corrupt = tt.corrupt
			r, err := NewReceiver(DefaultReceiverConfig())
			if err != nil {
				t.Fatal(err)
			}
			o := tt.line.run(t, s, r)
			if !errors.Is(o.sendErr, tt.sendErr) || (tt.sendErr == nil) != (o.sendErr == nil) {
				t.Errorf("sender: %v, want %v", o.sendErr, tt.sendErr)
			}
			if !errors.Is(o.recvErr, tt.recvErr) || (tt.recvErr == nil) != (o.recvErr == nil) {
				t.Errorf("receiver: %v, want %v", o.recvErr, tt.recvErr)
			}
			if s.Attempts() != tt.attempts || s.Delivered() != tt.delivered {
				t.Errorf("sender: %d attempts, %d delivered; want %d, %d", s.Attempts(), s.Delivered(), tt.attempts, tt.delivered)
			}
			got := r.Messages()
			if len(got) != len(tt.received) {
				t.Fatalf("receiver got %v, want %v (rejected %q)", got, tt.received, r.Rejected())
			}
			for i := range got {
				want := tt.received[i]
				want.Type = TypeContactID
				want.Account = string(normalAccount(want.Account))
				if got[i] != want {
					t.Errorf("message %d = %+v, want %+v", i, got[i], want)
				}
			}
			if len(r.Rejected()) != tt.rejected {
				t.Errorf("rejected %q, want %d", r.Rejected(), tt.rejected)
			}
			if tt.maxSendAudio > 0 && s.Elapsed() > tt.maxSendAudio {
				t.Errorf("sender took %v of audio, want at most %v", s.Elapsed(), tt.maxSendAudio)
			}
		})
	}
}

func normalAccount(a string) []byte {
	b := []byte(a)
	for i, c := range b {
		if c == 'A' {
			b[i] = '0'
		}
	}
	return b
}

func TestProcessRejectsWrongFrames(t *testing.T) {
	s, err := NewSender(DefaultSenderConfig(), burglary)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReceiver(DefaultReceiverConfig())
	if err != nil {
		t.Fatal(err)
	}
	short, frame := make([]int16, 80), make([]int16, FrameSamples)
	if _, err := s.Process(short, frame); !errors.Is(err, ErrFrameSize) {
		t.Errorf("sender: %v", err)
	}
	if _, err := r.Process(frame, short); !errors.Is(err, ErrFrameSize) {
		t.Errorf("receiver: %v", err)
	}
	if s.Elapsed() != 0 || r.Elapsed() != 0 {
		t.Errorf("wrong frames advanced time")
	}
}

func TestConfigValidation(t *testing.T) {
	if _, err := NewSender(DefaultSenderConfig()); err == nil {
		t.Error("sender without messages accepted")
	}
	if _, err := NewSender(DefaultSenderConfig(), Message{Account: "12"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid message: %v", err)
	}
	sc := DefaultSenderConfig()
	sc.Attempts = 0
	if _, err := NewSender(sc, burglary); err == nil {
		t.Error("0 attempts accepted")
	}
	sc = DefaultSenderConfig()
	sc.Level = 5
	if _, err := NewSender(sc, burglary); err == nil {
		t.Error("+5 dBm0 accepted")
	}
	rc := DefaultReceiverConfig()
	rc.Kissoff = 0
	if _, err := NewReceiver(rc); err == nil {
		t.Error("zero kissoff accepted")
	}
}

func BenchmarkReceiverListening(b *testing.B) {
	r, err := NewReceiver(DefaultReceiverConfig())
	if err != nil {
		b.Fatal(err)
	}
	r.state = rListen
	r.cfg.FirstDigitTimeout = time.Hour
	in, out := make([]int16, FrameSamples), make([]int16, FrameSamples)
	for i := range in {
		in[i] = int16(i * 37 % 2000)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Process(in, out)
	}
}

func BenchmarkSenderWaiting(b *testing.B) {
	s, err := NewSender(DefaultSenderConfig(), burglary)
	if err != nil {
		b.Fatal(err)
	}
	s.cfg.HandshakeTimeout = 1 << 40
	s.deadline = 1 << 62
	in, out := make([]int16, FrameSamples), make([]int16, FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		s.Process(in, out)
	}
}
