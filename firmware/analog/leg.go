package analog

import (
	"errors"
	"strings"
	"sync"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// ErrLegEnded: the leg was answered or progressed after it had ended
// (the phone hung up first).
var ErrLegEnded = errors.New("analog: leg has ended")

// owner is the line a leg belongs to; it runs the leg's commands.
type owner interface {
	ringing(l *Leg)
	progress(l *Leg) error
	answer(l *Leg) error
	reject(l *Leg, code int)
	hangup(l *Leg)
}

// Leg is one analog party of a call: an FXS phone that called or is
// called, or a PSTN call ringing in on an FXO line. It implements the
// core's CallerLeg and CalleeLeg.
type Leg struct {
	line    owner
	port    string
	ep      *relay.Endpoint
	m       *media
	events  chan ua.Event
	done    chan struct{}
	once    sync.Once
	caller  ua.Party
	dialed  string
	offered []sdp.Format

	mu      sync.Mutex
	formats []sdp.Format

	// Under the line's lock: a consultation the phone hung up on before
	// it was answered joins the held leg to its callee on answer
	// (fxswait.go); joinedBy points back from the held leg.
	joins, joinedBy *Leg
}

// newLeg allocates the leg's endpoint and its loopback phone.
func newLeg(line owner, port string, pool *relay.PortPool) (*Leg, error) {
	ep, err := pool.Allocate()
	if err != nil {
		return nil, err
	}
	m, err := newMedia(ep)
	if err != nil {
		ep.Close()
		return nil, err
	}
	ep.Start()
	return &Leg{line: line, port: port, ep: ep, m: m, events: make(chan ua.Event, 32), done: make(chan struct{})}, nil
}

// Port is the name of the board port the leg is on.
func (l *Leg) Port() string { return l.port }

// Events delivers the leg's events; stop reading after a terminal one or
// when Done is closed.
func (l *Leg) Events() <-chan ua.Event { return l.events }

// Endpoint is the leg's relay endpoint.
func (l *Leg) Endpoint() *relay.Endpoint { return l.ep }

// Formats is the leg's negotiated format list.
func (l *Leg) Formats() []sdp.Format {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sdp.Format(nil), l.formats...)
}

func (l *Leg) setFormats(fs []sdp.Format) {
	l.mu.Lock()
	l.formats = append([]sdp.Format(nil), fs...)
	l.mu.Unlock()
}

// Hangup ends the leg from the core's side: the phone hears busy tone
// until it hangs up; an unanswered callee stops ringing (and reports
// EventFailed 487); an FXO line is released.
func (l *Leg) Hangup() { l.line.hangup(l) }

// Done is closed once the leg has ended and released its endpoint.
func (l *Leg) Done() <-chan struct{} { return l.done }

// Caller is who called: the extension bound to the FXS port, or the caller
// ID of a PSTN call.
func (l *Leg) Caller() ua.Party { return l.caller }

// Dialed is the number the phone dialled (FXO: the operator extension).
func (l *Leg) Dialed() string { return l.dialed }

// Offered lists the formats the analog side can take.
func (l *Leg) Offered() []sdp.Format { return append([]sdp.Format(nil), l.offered...) }

// Ringing plays ringback to the phone.
func (l *Leg) Ringing() error { l.line.ringing(l); return nil }

// Progress connects the phone to the callee's early media.
func (l *Leg) Progress(formats []sdp.Format) error {
	l.setFormats(formats)
	return l.line.progress(l)
}

// Answer connects the phone to the callee (FXO: seizes the line).
func (l *Leg) Answer(formats []sdp.Format) error {
	l.setFormats(formats)
	return l.line.answer(l)
}

// Reject ends an unanswered call: busy tone for 486/600, congestion tone
// otherwise (FXO: the line is left ringing, unanswered).
func (l *Leg) Reject(code int, _ string) { l.line.reject(l, code) }

// emit queues an event without blocking (the core may not read a leg it
// has given up on).
func (l *Leg) emit(e ua.Event) {
	select {
	case l.events <- e:
	default:
	}
}

// finish releases the media once; the line's lock is held.
func (l *Leg) finish() {
	l.once.Do(func() {
		close(l.done)
		l.m.close()
		l.ep.Close()
	})
}

// ended reports whether finish ran.
func (l *Leg) ended() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// startMedia makes the loopback phone speak the leg's negotiated audio
// format and tells the endpoint the codec; the line's lock is held.
func (l *Leg) startMedia() {
	f := audioFormat(l.Formats())
	l.m.pt = f.PT
	c := relay.Codec{PT: f.PT, Encoding: relay.PCMU}
	if f.PT == sdp.PCMA.PT {
		c.Encoding = relay.PCMA
	}
	for _, ff := range l.Formats() {
		if strings.EqualFold(ff.Name, "telephone-event") {
			c.EventPT = ff.PT
		}
	}
	l.m.evPT = c.EventPT
	l.ep.SetCodec(c)
}

// audioFormat is the first G.711 format of fs, PCMU when there is none.
func audioFormat(fs []sdp.Format) sdp.Format {
	for _, f := range fs {
		if strings.EqualFold(f.Name, "PCMU") || strings.EqualFold(f.Name, "PCMA") {
			return f
		}
	}
	return sdp.PCMU
}

// answerFormats picks what an analog callee answers to an offer: the
// first G.711 format offered, and telephone-event if offered.
func answerFormats(offer []sdp.Format) []sdp.Format {
	out := []sdp.Format{audioFormat(offer)}
	for _, f := range offer {
		if strings.EqualFold(f.Name, "telephone-event") {
			out = append(out, f)
			break
		}
	}
	return out
}
