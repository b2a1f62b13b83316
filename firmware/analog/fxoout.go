package analog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Calls out through an FXO line (a dial plan route of kind fxo):
//
//	seize ─► dial tone heard on the line (DialToneWait, else 503 "no dial tone")
//	      ─► the number dialled: DTMF in band, or pulses when PulseDial says so
//	      ─► answered as soon as the last digit is out (EventAnswered)
//	      ─► the far end hangs up: busy tone, battery drop or (if the line
//	         is configured so) polarity reversal ─► EventHangup, line released
//
// A loop-start line gives no answer signal, so like most FXO gateways
// (Asterisk's FXS-signalled channels, ATAs) the call counts as answered
// once dialled: the SIP caller then hears the PSTN's own ringback through
// the answered call. Polarity-reversal answer supervision is not used: few
// lines give it, and a reversal is taken as a disconnect only when the line
// engine's DisconnectOnPolarity says so.

// Defaults of the FXO outbound timings in Options.
const (
	DefaultDialToneWait = 3 * time.Second
	// pulseDigit and pulseGap estimate how long pulse dialling takes (10
	// pulses per second, a pause between digits); the call is answered
	// after it.
	pulseDigit = 100 * time.Millisecond
	pulseGap   = 800 * time.Millisecond
	// dialCushion frames of silence are queued to the line before the
	// DTMF digits (and taken back after them): a pump that is late by a
	// frame then does not break a digit in two, which the exchange would
	// hear as the digit twice.
	dialCushion = 2
)

// Errors of OriginateFXO.
var (
	// ErrLinesBusy: every FXO line the route names is in a call.
	ErrLinesBusy = errors.New("analog: every FXO line is busy")
	// ErrBadNumber: the number has characters the line cannot dial.
	ErrBadNumber = errors.New("analog: number cannot be dialled on an FXO line")
)

// anyLine as a route's target name means every FXO line of the board.
const anyLine = "any"

// OriginateFXO seizes the first idle FXO line among lines (a port name, a
// comma-separated list, or "any") and dials number on it; the leg reports
// ringing while it dials and answered once dialled.
func (a *Adapter) OriginateFXO(_ context.Context, lines, number string, from ua.Party, formats []sdp.Format) (*Leg, error) {
	names, err := a.fxoLines(lines)
	if err != nil {
		return nil, err
	}
	pulse := a.o.PulseDial != nil
	for _, n := range names {
		l := a.fxo[n]
		leg, err := l.originate(number, from, formats, pulse && a.o.PulseDial(n))
		if errors.Is(err, ErrLinesBusy) {
			continue
		}
		return leg, err
	}
	return nil, fmt.Errorf("%w (%s)", ErrLinesBusy, lines)
}

// fxoLines resolves a route's line list to FXO port names in board order.
func (a *Adapter) fxoLines(lines string) ([]string, error) {
	var names []string
	if strings.TrimSpace(lines) == anyLine {
		for _, p := range a.o.Board.Ports() {
			if _, ok := a.fxo[p.Name()]; ok {
				names = append(names, p.Name())
			}
		}
	} else {
		for n := range strings.SplitSeq(lines, ",") {
			n = strings.TrimSpace(n)
			if _, ok := a.fxo[n]; !ok {
				return nil, fmt.Errorf("analog: %q is not an FXO line of the board", n)
			}
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("analog: the board has no FXO line")
	}
	return names, nil
}

// dialable checks number against what the line can send.
func dialable(number string, pulse bool) error {
	if number == "" {
		return fmt.Errorf("%w: empty", ErrBadNumber)
	}
	for i := 0; i < len(number); i++ {
		c := number[i]
		if pulse && (c < '0' || c > '9') || !pulse && !dtmf.ValidDigit(c) {
			return fmt.Errorf("%w: %q at %d of %q", ErrBadNumber, c, i, number)
		}
	}
	return nil
}

// originate seizes this line for a call out, if it is idle.
func (l *fxoLine) originate(number string, from ua.Party, offer []sdp.Format, pulse bool) (*Leg, error) {
	if err := dialable(number, pulse); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != fxoIdle {
		return nil, ErrLinesBusy
	}
	leg, err := newLeg(l, l.name, l.a.o.Ports)
	if err != nil {
		return nil, err
	}
	leg.caller = from
	leg.dialed = number
	leg.setFormats(answerFormats(offer))
	if err := l.port.Seize(); err != nil {
		leg.finish()
		return nil, fmt.Errorf("analog: seize %s: %w", l.name, err)
	}
	l.seized = true
	l.state, l.leg, l.number, l.pulse = fxoSeizing, leg, number, pulse
	l.dialTone.Reset()
	l.timer.start(l.a.o.Clock, l.a.o.DialToneWait, &l.mu, l.noDialTone, l.a.o.Incoming)
	leg.emit(ua.Event{Kind: ua.EventRinging, Code: 180})
	return leg, nil
}

// noDialTone: the line stayed silent after the seizure; the lock is held.
func (l *fxoLine) noDialTone() *Leg {
	if l.state == fxoSeizing {
		l.a.log.Warn("analog: no dial tone on FXO line", "port", l.name)
		l.failLocked(503, "No Dial Tone")
	}
	return nil
}

// failLocked ends an unanswered call out with code.
func (l *fxoLine) failLocked(code int, reason string) {
	l.leg.emit(ua.Event{Kind: ua.EventFailed, Code: code, Reason: reason})
	l.resetLocked()
}

// outFrame is the audio pump's step before a call out is answered: it
// listens for dial tone, then plays the DTMF digits; the lock is held.
func (l *fxoLine) outFrame(in, out *hal.Frame) bool {
	switch l.state {
	case fxoSeizing:
		if l.dialTone.Frame(in) == 0 {
			return false
		}
		l.timer.stop()
		l.state = fxoDialing
		if l.pulse {
			if err := l.port.DialPulse(l.number); err != nil {
				l.a.log.Warn("analog: pulse dialling failed", "port", l.name, "err", err)
				l.failLocked(503, "Service Unavailable")
				return false
			}
			l.timer.start(l.a.o.Clock, pulseTime(l.number), &l.mu, l.dialled, l.a.o.Incoming)
			return false
		}
		_ = l.keys.Play(l.number) // checked by dialable
		var silence hal.Frame
		for range dialCushion {
			_ = l.audio.WriteFrame(&silence)
		}
		l.cushion = dialCushion
		fallthrough
	case fxoDialing:
		if l.pulse {
			return false
		}
		if l.keys.Done() {
			if l.cushion > 0 {
				l.cushion--
				return false
			}
			l.dialled()
			return false
		}
		l.keys.Fill(out[:])
		return true
	}
	return false
}

// pulseTime is how long the pulses of number take to play out.
func pulseTime(number string) time.Duration {
	var d time.Duration
	for i := 0; i < len(number); i++ {
		n := int(number[i] - '0')
		if n == 0 {
			n = 10
		}
		d += time.Duration(n)*pulseDigit + pulseGap
	}
	return d
}

// dialled: the number is out; the call counts as answered. The lock is
// held.
func (l *fxoLine) dialled() *Leg {
	if l.state != fxoDialing {
		return nil
	}
	l.leg.startMedia()
	l.state = fxoTalking
	l.leg.emit(ua.Event{Kind: ua.EventAnswered})
	return nil
}
