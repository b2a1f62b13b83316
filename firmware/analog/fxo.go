package analog

import (
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	halline "github.com/gatepbx/gatepbx/hal/line"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// fxoState is where an FXO line is in an incoming PSTN call.
type fxoState int

const (
	fxoIdle    fxoState = iota
	fxoWaitCID          // ringing; waiting for caller ID before offering the call
	fxoOffered          // the core routes the call; the line still rings
	fxoTalking          // answered: the line is seized
	fxoIgnored          // refused or unroutable: left ringing until it stops
	fxoSeizing          // a call out: seized, waiting for dial tone
	fxoDialing          // a call out: dialling the number
)

// cidFresh is how old a caller ID received before the ringing (ETSI
// before-ring plans) may be and still belong to it.
const cidFresh = 10 * time.Second

// fxoLine runs one FXO port: PSTN calls ringing in become caller legs
// dialling the operator extension.
type fxoLine struct {
	a     *Adapter
	port  hal.FXO
	audio hal.AudioStream
	name  string

	mu    sync.Mutex
	state fxoState
	cid   *hal.CallerID
	cidAt time.Time
	timer lineTimer
	leg   *Leg

	// Calls out (fxoout.go).
	seized   bool // the line is off hook for the current call
	number   string
	pulse    bool
	dialTone *halline.ToneDetector // the pump's only
	keys     *dtmf.Generator       // the pump's only
	cushion  int                   // frames queued ahead while dialling
}

// newFXOLine prepares an FXO port's line.
func newFXOLine(a *Adapter, port hal.FXO, audio hal.AudioStream) (*fxoLine, error) {
	keys, err := dtmf.NewGenerator(dtmf.DefaultGeneratorConfig())
	if err != nil {
		return nil, err
	}
	return &fxoLine{a: a, port: port, audio: audio, name: port.Name(), keys: keys,
		dialTone: halline.NewToneDetector([]tone.Tone{a.tones[tone.Dial]}, 2)}, nil
}

func (l *fxoLine) onEvent(ev hal.Event) {
	var incoming *Leg
	l.mu.Lock()
	switch ev.Type {
	case hal.CallerIDReceived:
		l.cid, l.cidAt = ev.CallerID, l.a.o.Clock.Now()
		if l.state == fxoWaitCID {
			incoming = l.offerLocked()
		}
	case hal.RingStart:
		if l.state != fxoIdle {
			break
		}
		if l.cid != nil && l.a.o.Clock.Now().Sub(l.cidAt) < cidFresh {
			incoming = l.offerLocked()
			break
		}
		l.cid = nil
		l.state = fxoWaitCID
		l.timer.start(l.a.o.Clock, l.a.o.CallerIDWait, &l.mu, l.cidTimeout, l.a.o.Incoming)
	case hal.RingStop:
		switch l.state {
		case fxoWaitCID, fxoIgnored:
			l.resetLocked()
		case fxoOffered: // the PSTN caller gave up
			l.leg.emit(ua.Event{Kind: ua.EventCancelled, Reason: "ringing stopped"})
			l.resetLocked()
		}
	case hal.Disconnect, hal.BatteryLost:
		switch l.state {
		case fxoTalking:
			l.leg.emit(ua.Event{Kind: ua.EventHangup, Reason: "PSTN disconnect"})
			l.resetLocked()
		case fxoSeizing, fxoDialing: // a call out met busy tone or a dead line
			if ev.Cause == hal.CauseBusyTone {
				l.failLocked(486, "Busy Here")
				break
			}
			l.failLocked(503, "Service Unavailable")
		}
	case hal.Fault:
		l.a.log.Warn("analog: port fault", "port", l.name, "err", ev.Err)
	}
	l.mu.Unlock()
	if incoming != nil {
		l.a.o.Incoming(incoming)
	}
}

// cidTimeout offers the call without caller ID; the lock is held.
func (l *fxoLine) cidTimeout() *Leg {
	if l.state != fxoWaitCID {
		return nil
	}
	return l.offerLocked()
}

// offerLocked makes the caller leg of the ringing call.
func (l *fxoLine) offerLocked() *Leg {
	l.timer.stop()
	target := ""
	if l.a.o.Operator != nil {
		target = l.a.o.Operator(l.name)
	}
	if target == "" {
		l.a.log.Warn("analog: PSTN call not answered: no operator extension", "port", l.name)
		l.state = fxoIgnored
		return nil
	}
	leg, err := newLeg(l, l.name, l.a.o.Ports)
	if err != nil {
		l.a.log.Warn("analog: no RTP endpoint for a PSTN call", "port", l.name, "err", err)
		l.state = fxoIgnored
		return nil
	}
	if c := l.cid; c != nil {
		leg.caller = ua.Party{Number: c.Number, DisplayName: c.Name}
	}
	l.cid = nil
	leg.dialed = target
	leg.offered = l.a.o.Codecs
	leg.setFormats(answerFormats(leg.offered))
	l.state, l.leg = fxoOffered, leg
	return leg
}

// resetLocked ends the leg and releases the line.
func (l *fxoLine) resetLocked() {
	l.timer.stop()
	if l.leg != nil {
		l.leg.finish()
	}
	if l.seized {
		_ = l.port.Release()
	}
	_ = l.keys.Play("") // stops dialling
	l.state, l.leg, l.seized, l.number = fxoIdle, nil, false, ""
}

// fill is the audio pump's step: media only while seized.
func (l *fxoLine) fill(in, out *hal.Frame) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leg == nil {
		return false
	}
	if l.state == fxoSeizing || l.state == fxoDialing {
		return l.outFrame(in, out)
	}
	if l.state != fxoTalking {
		return false
	}
	l.leg.m.frame(in, out)
	return true
}

// The core's commands on this line's leg.

func (l *fxoLine) ringing(*Leg) {} // the CO rings its caller already

func (l *fxoLine) progress(leg *Leg) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leg != leg || leg.ended() {
		return ErrLegEnded
	}
	return nil // no early media towards the PSTN without answering
}

func (l *fxoLine) answer(leg *Leg) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leg != leg || leg.ended() {
		return ErrLegEnded
	}
	if err := l.port.Seize(); err != nil {
		return err
	}
	leg.startMedia()
	l.state, l.seized = fxoTalking, true
	return nil
}

func (l *fxoLine) reject(leg *Leg, _ int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	leg.finish()
	if l.leg == leg {
		l.state, l.leg = fxoIgnored, nil
	}
}

func (l *fxoLine) hangup(leg *Leg) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leg != leg {
		leg.finish()
		return
	}
	switch l.state {
	case fxoOffered:
		leg.finish()
		l.state, l.leg = fxoIgnored, nil
		return
	case fxoSeizing, fxoDialing: // a call out given up before it was dialled
		l.failLocked(487, "Request Terminated")
		return
	}
	l.resetLocked()
}
