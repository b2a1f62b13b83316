package ua

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/srtp"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// EventKind says what happened on a leg.
type EventKind int

// Leg events, delivered in order on Events().
const (
	EventRinging    EventKind = iota + 1 // the far phone rings (180/183)
	EventAnswered                        // 2xx received and ACKed (outbound legs)
	EventFailed                          // final non-2xx or transport failure (outbound legs)
	EventHangup                          // the far end sent BYE
	EventCancelled                       // the caller sent CANCEL before answer (inbound legs)
	EventDTMF                            // a digit arrived by SIP INFO
	EventEarlyMedia                      // 183 with SDP: the callee's media flows before answer (outbound legs)
	EventHold                            // the far phone put the call on hold (re-INVITE sendonly/inactive/0.0.0.0)
	EventUnhold                          // the far phone took the call off hold
	EventRefer                           // the far phone asks for a transfer (REFER); Event.Refer reports back
)

func (k EventKind) String() string {
	switch k {
	case EventRinging:
		return "ringing"
	case EventAnswered:
		return "answered"
	case EventFailed:
		return "failed"
	case EventHangup:
		return "hangup"
	case EventCancelled:
		return "cancelled"
	case EventDTMF:
		return "dtmf"
	case EventEarlyMedia:
		return "early-media"
	case EventHold:
		return "hold"
	case EventUnhold:
		return "unhold"
	case EventRefer:
		return "refer"
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is one thing that happened on a leg.
type Event struct {
	Kind   EventKind
	Code   int            // SIP status for EventFailed
	Reason string         // reason phrase or cause
	Digit  byte           // for EventDTMF
	Target string         // for EventRefer: the number to transfer to
	Refer  TransferReport // for EventRefer: reports the transfer's progress (a *Refer)
	// Replaces is the Refer-To's Replaces (attended transfer), and
	// ReplacesLeg the leg of that dialog, nil when it is none of ours.
	Replaces    string
	ReplacesLeg Replaced
	// Signalled: an EventDTMF key came by signalling (SIP INFO), so it is
	// not in the media; the core passes such keys on to the far party.
	Signalled bool
}

// Replaced identifies the leg an attended transfer replaces: the core
// finds its call by the leg's endpoint.
type Replaced interface {
	Endpoint() *relay.Endpoint
}

// TransferReport reports a transfer's progress to the phone that asked
// for it: provisional statuses, then one final status.
type TransferReport interface {
	Progress(code int, reason string)
	Finish(code int, reason string)
	Done() <-chan struct{}
}

// Party names one side of a call.
type Party struct {
	Number      string
	DisplayName string
}

// sipDialog is what legBase needs of sipgo's server and client dialogs.
type sipDialog interface {
	ReadBye(req *sip.Request, tx sip.ServerTransaction) error
	ReadRequest(req *sip.Request, tx sip.ServerTransaction) error
	Do(ctx context.Context, req *sip.Request) (*sip.Response, error)
}

// legBase is what inbound and outbound legs share: media, events, SDP
// state, and the in-dialog requests both sides answer the same way.
type legBase struct {
	srv    *Server
	dua    *sipgo.DialogUA
	dlg    sipDialog // set once the sipgo dialog exists
	id     string    // our own leg id, for logs
	ep     *relay.Endpoint
	events chan Event
	done   chan struct{} // closed when the leg is finished
	once   sync.Once
	// onFinish runs once when the leg ends (e.g. release a context).
	onFinish func()

	mu       sync.Mutex
	origin   sdp.Origin
	formats  []sdp.Format // negotiated formats this leg's SDP carries
	dialogID string
	target   sip.Uri // the far phone's Contact: in-dialog requests go there
	held     bool    // the far phone's last offer put the call on hold
	rtcpMux  bool    // a=rtcp-mux negotiated
	// SRTP (SDES): secure when the leg's SDP is RTP/SAVP; offered are our
	// a=crypto of an offer not answered yet; localCrypto encrypts what we
	// send, remoteCrypto decrypts what the phone sends.
	secure       bool
	offered      []srtp.Crypto
	localCrypto  srtp.Crypto
	remoteCrypto srtp.Crypto
	answered     atomic.Bool
	finalized    atomic.Bool
}

func newLegBase(s *Server, ep *relay.Endpoint, dua *sipgo.DialogUA) legBase {
	return legBase{
		srv: s, ep: ep, dua: dua, id: sip.GenerateTagN(8),
		events: make(chan Event, 32),
		done:   make(chan struct{}),
		origin: sdp.Origin{Username: "gatepbx", SessionID: uint64(ep.LocalPort())<<20 | uint64(s.opts.Now().Unix()&0xfffff), SessionVersion: 1, Addr: s.opts.Advertise},
	}
}

// Events delivers the leg's events. It is never closed; stop reading after
// a terminal event (Hangup, Cancelled, Failed) or when Done is closed.
func (l *legBase) Events() <-chan Event { return l.events }

// Endpoint is the leg's RTP endpoint on the appliance.
func (l *legBase) Endpoint() *relay.Endpoint { return l.ep }

// Formats is the negotiated format list of this leg.
func (l *legBase) Formats() []sdp.Format {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sdp.Format(nil), l.formats...)
}

// confirmed reports whether the leg's dialog is answered and not over.
func (l *legBase) confirmed() bool {
	select {
	case <-l.done:
		return false
	default:
		return l.answered.Load()
	}
}

// Done is closed when the leg has ended and released its resources.
func (l *legBase) Done() <-chan struct{} { return l.done }

func (l *legBase) emit(e Event) {
	select {
	case l.events <- e:
	case <-l.done:
	}
}

// finish releases the media endpoint and the dialog entry once.
func (l *legBase) finish() {
	l.once.Do(func() {
		close(l.done)
		if id := l.getDialogID(); id != "" {
			l.srv.removeDialog(id)
		}
		l.ep.Close()
		if l.onFinish != nil {
			l.onFinish()
		}
	})
}

func (l *legBase) setDialogID(id string, d dialogLeg) {
	l.mu.Lock()
	l.dialogID = id
	l.mu.Unlock()
	l.srv.addDialog(id, d)
}

// setRemoteTarget keeps where the far phone takes in-dialog requests.
func (l *legBase) setRemoteTarget(u sip.Uri) {
	l.mu.Lock()
	l.target = *u.Clone()
	l.mu.Unlock()
}

func (l *legBase) remoteTarget() sip.Uri {
	l.mu.Lock()
	defer l.mu.Unlock()
	return *l.target.Clone()
}

func (l *legBase) getDialogID() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dialogID
}

// localSDP renders this leg's current SDP with the given direction.
func (l *legBase) localSDP(dir sdp.Direction, bump bool) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if bump {
		l.origin.SessionVersion++
	}
	sess := sdp.NewOffer(l.origin, l.srv.opts.Advertise, l.ep.LocalPort(), l.formats, dir)
	l.decorate(&sess.Media[0])
	return sess.Marshal()
}

// applyRemote points the endpoint at the media address of a far SDP.
func (l *legBase) applyRemote(sess *sdp.Session) error {
	m, _ := sess.Audio()
	if m == nil {
		return errors.New("no audio stream")
	}
	ap := m.Addr(sess)
	if !ap.IsValid() || ap.Port() == 0 {
		return errors.New("no media address")
	}
	if ap.Addr().IsUnspecified() {
		return nil // old-style hold: keep the last address
	}
	if ap != l.ep.Remote() {
		l.ep.SetRemote(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		l.ep.ResetLatch()
	}
	return nil
}

func (l *legBase) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if err := l.dlg.ReadBye(req, tx); err != nil {
		l.srv.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	l.emit(Event{Kind: EventHangup, Reason: "BYE"})
	l.finish()
}

func (l *legBase) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	if err := l.dlg.ReadRequest(req, tx); err != nil {
		l.srv.respond(req, tx, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	l.answerReInvite(req, tx)
}

// answerReInvite answers an in-dialog INVITE: accept the far end's new
// media address and direction, keep our port and codec, or switch the
// leg to the other G.711 law when the re-offer only has that one.
func (l *legBase) answerReInvite(req *sip.Request, tx sip.ServerTransaction) {
	body := req.Body()
	dir := sdp.Direction("")
	if len(body) > 0 {
		sess, err := sdp.Parse(body)
		if err != nil {
			l.srv.respond(req, tx, 400, "Bad SDP")
			return
		}
		m, _ := sess.Audio()
		var switched []sdp.Format // the other G.711 law, see lawSwitch
		kept := m != nil && hasAudioCodec(sdp.Intersect(m.Formats, l.Formats()))
		if m != nil && !kept {
			switched, _ = l.lawSwitch(m.Formats)
		}
		if !kept && switched == nil {
			// The leg's media is relayed as negotiated; a re-offer without
			// that codec (or the other G.711 law) cannot be honoured.
			l.srv.respond(req, tx, 488, "Not Acceptable Here")
			return
		}
		if err := l.applyRemote(sess); err != nil {
			l.srv.respond(req, tx, 488, "Not Acceptable Here")
			return
		}
		if err := l.answerCrypto(m, SRTPOptional, true); err != nil {
			l.srv.log.Info("re-offer refused", "leg", l.id, "err", err)
			l.srv.respond(req, tx, 488, "Not Acceptable Here")
			return
		}
		dir = mirror(m.EffectiveDirection(sess))
		if switched != nil {
			l.mu.Lock()
			l.setMedia(switched, l.rtcpMux)
			l.mu.Unlock()
			l.srv.log.Info("re-offer switched the G.711 law", "leg", l.id, "codec", switched[0].Name)
		}
	}
	res := sip.NewSDPResponseFromRequest(req, l.localSDP(dir, true))
	res.AppendHeader(sip.HeaderClone(&l.dua.ContactHDR))
	res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	res.AppendHeader(sip.NewHeader("Supported", supported))
	l.srv.send(tx, res)
	if len(body) > 0 {
		l.noteHold(dir == sdp.RecvOnly || dir == sdp.Inactive)
	}
}

// noteHold tells the core when the far phone puts the call on hold or
// takes it off: its offer stopped (or resumed) receiving media. The other
// party's phone never sees this; the core plays music on hold instead.
func (l *legBase) noteHold(held bool) {
	l.mu.Lock()
	changed := held != l.held
	l.held = held
	l.mu.Unlock()
	switch {
	case changed && held:
		l.emit(Event{Kind: EventHold, Reason: "re-INVITE"})
	case changed:
		l.emit(Event{Kind: EventUnhold, Reason: "re-INVITE"})
	}
}

// mirror is the answer's direction for an offer's direction; sendrecv
// stays implicit.
func mirror(d sdp.Direction) sdp.Direction {
	switch d {
	case sdp.SendOnly:
		return sdp.RecvOnly
	case sdp.RecvOnly:
		return sdp.SendOnly
	case sdp.Inactive:
		return sdp.Inactive
	}
	return ""
}

func byeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 32*sip.T1)
}
