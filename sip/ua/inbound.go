package ua

import (
	"errors"
	"fmt"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/sip/sdp"
)

// InboundLeg is a call a phone made to the appliance (we are the UAS).
// All methods except the accessors are meant for one owner goroutine.
type InboundLeg struct {
	legBase
	d      *sipgo.DialogServerSession
	caller Party
	dialed string
	offer  *sdp.Session
	// offered is the caller's offer limited to the formats we support,
	// with the caller's payload type numbers.
	offered []sdp.Format
	// replaces is the leg an INVITE with Replaces (RFC 3891) takes over.
	replaces Replaced
	// pickup is the Call-ID of the early dialog an INVITE with Replaces
	// names (a pickup of a ringing call), "" for none.
	pickup string
	// trunk is the SIP trunk the call came in from, "" for a phone's.
	trunk string
}

// PicksUp is the Call-ID of the early (ringing) dialog this call's
// Replaces header names: a call pickup. "" for an ordinary call.
func (l *InboundLeg) PicksUp() string { return l.pickup }

// Trunk is the name of the SIP trunk the call came in from (its caller is
// the provider's From, its Dialed the DID); "" for a phone's call.
func (l *InboundLeg) Trunk() string { return l.trunk }

// Replaces is the leg of ours this call replaces (an INVITE with a
// Replaces header), nil for an ordinary call.
func (l *InboundLeg) Replaces() Replaced { return l.replaces }

// Caller is the authenticated calling extension.
func (l *InboundLeg) Caller() Party { return l.caller }

// Dialed is the number in the Request-URI.
func (l *InboundLeg) Dialed() string { return l.dialed }

// Offered is the caller's codec offer limited to what we support.
func (l *InboundLeg) Offered() []sdp.Format { return append([]sdp.Format(nil), l.offered...) }

// Ringing sends 180 Ringing to the caller.
func (l *InboundLeg) Ringing() error {
	if l.finalized.Load() {
		return nil
	}
	return l.d.Respond(180, "Ringing", nil)
}

// answerSDP is our answer to the caller's offer with formats; the same
// session (origin version) serves a 183 and the later 200.
func (l *InboundLeg) answerSDP(formats []sdp.Format) ([]byte, error) {
	ans, err := sdp.Answer(l.offer, l.origin, l.srv.opts.Advertise, l.ep.LocalPort(), formats)
	if errors.Is(err, sdp.ErrNoCommonCodec) {
		// The other party speaks a codec the caller did not offer (a
		// transfer target, or a callee that took one we added): answer
		// with the caller's own codecs; the relay transcodes.
		ans, err = sdp.Answer(l.offer, l.origin, l.srv.opts.Advertise, l.ep.LocalPort(), l.offered)
	}
	if err != nil {
		return nil, err
	}
	if m, _ := ans.Audio(); m != nil {
		l.mu.Lock()
		l.setMedia(m.Formats, m.RTCPMux)
		l.decorate(m)
		l.mu.Unlock()
	}
	return ans.Marshal(), nil
}

// Progress sends 183 Session Progress with our SDP (formats as in Answer)
// so the caller hears the callee's early media through the appliance.
func (l *InboundLeg) Progress(formats []sdp.Format) error {
	if l.finalized.Load() {
		return nil
	}
	body, err := l.answerSDP(formats)
	if err != nil {
		return fmt.Errorf("ua: early media: %w", err)
	}
	return l.d.Respond(183, "Session Progress", body, sip.NewHeader("Content-Type", "application/sdp"))
}

// Answer sends 200 OK with our SDP using formats (the callee's choice, a
// subset of Offered) and waits for the ACK.
func (l *InboundLeg) Answer(formats []sdp.Format) error {
	if !l.finalized.CompareAndSwap(false, true) {
		return errors.New("ua: inbound leg already finalized")
	}
	body, err := l.answerSDP(formats)
	if err != nil {
		l.d.Respond(488, "Not Acceptable Here", nil)
		l.finish()
		return fmt.Errorf("ua: answer: %w", err)
	}
	l.answered.Store(true)
	res := sip.NewSDPResponseFromRequest(l.d.InviteRequest, body)
	res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	res.AppendHeader(sip.NewHeader("Supported", supported))
	if err := l.d.WriteResponse(res); err != nil {
		l.finish()
		return fmt.Errorf("ua: 200 OK not acknowledged: %w", err)
	}
	return nil
}

// Reject ends an unanswered call with a final status.
func (l *InboundLeg) Reject(code int, reason string) {
	if l.finalized.CompareAndSwap(false, true) {
		if err := l.d.Respond(code, reason, nil); err != nil {
			l.srv.log.Debug("reject failed", "code", code, "err", err)
		}
	}
	l.finish()
}

// Hangup ends the leg: BYE when answered, else 480.
func (l *InboundLeg) Hangup() {
	if !l.answered.Load() {
		l.Reject(480, "Temporarily Unavailable")
		return
	}
	select {
	case <-l.done:
		return
	default:
	}
	ctx, cancel := byeContext()
	defer cancel()
	if err := l.d.Bye(ctx); err != nil {
		l.srv.log.Debug("bye to caller failed", "err", err)
	}
	l.finish()
}

func (l *InboundLeg) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if err := l.d.ReadAck(req, tx); err != nil {
		l.srv.log.Debug("ack not matched", "err", err)
	}
}

func (s *Server) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	if _, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if l := s.findDialog(req); l != nil {
			l.onReInvite(req, tx)
		} else {
			s.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		}
		return
	}
	if s.closing.Load() {
		s.respond(req, tx, 503, "Service Unavailable")
		return
	}
	trunk, did, fromTrunk := s.matchTrunk(req)
	var user string
	if !fromTrunk {
		var ok bool
		if user, ok = s.authenticate(req, tx, authProxy); !ok {
			return
		}
	}
	offer, offered, status := s.readOffer(req)
	if status != 0 {
		s.respond(req, tx, status, statusText(status))
		return
	}
	var replaced Replaced
	var pickup string
	if h := req.GetHeader("Replaces"); h != nil && !fromTrunk {
		// A confirmed dialog of ours is replaced (RFC 3891 3); any other
		// may be an early dialog of ours: a pickup, which the core
		// answers 481 when nothing rings with that Call-ID.
		if replaced = s.findReplaced(h.Value()); replaced == nil {
			if pickup = replacesCallID(h.Value()); pickup == "" {
				s.respond(req, tx, 481, "Call/Transaction Does Not Exist")
				return
			}
		}
	}
	dua := s.dialogUAs[transportOf(req)]
	if dua == nil {
		s.respond(req, tx, 500, "Server Internal Error")
		return
	}
	ep, err := s.opts.Ports.Allocate()
	if err != nil {
		s.log.Warn("no RTP port for new call", "err", err)
		s.respond(req, tx, 503, "Service Unavailable")
		return
	}
	d, err := dua.ReadInvite(req, tx)
	if err != nil {
		ep.Close()
		s.respond(req, tx, 400, "Bad Request")
		return
	}
	l := &InboundLeg{legBase: newLegBase(s, ep, dua), d: d, offer: offer, offered: offered, dialed: req.Recipient.User, replaces: replaced, pickup: pickup}
	l.dlg = d
	l.caller = Party{Number: user, DisplayName: s.dir().DisplayName(user)}
	if fromTrunk {
		l.trunk, l.dialed, l.caller = trunk, did, trunkCaller(req)
	}
	if c := req.Contact(); c != nil {
		l.setRemoteTarget(c.Address)
	}
	if err := l.applyRemote(offer); err != nil {
		l.Reject(488, "Not Acceptable Here")
		return
	}
	if m, _ := offer.Audio(); m != nil {
		policy := s.srtpPolicy(user)
		if fromTrunk {
			policy = SRTPOptional // the phones' policy is not the provider's
		}
		if err := l.answerCrypto(m, policy, false); err != nil {
			s.log.Info("media offer refused", "caller", user, "err", err)
			l.Reject(488, "Not Acceptable Here")
			return
		}
	}
	ep.Start()
	l.setDialogID(d.ID, l)
	if err := d.Respond(100, "Trying", nil); err != nil {
		l.finish()
		return
	}
	s.opts.Handler.IncomingCall(l)
	// sipgo terminates the INVITE transaction when this handler returns, so
	// stay until the call is answered, rejected, cancelled or over.
	ctx := d.Context()
	for !l.finalized.Load() {
		select {
		case <-ctx.Done():
			if !l.finalized.Load() {
				l.finalized.Store(true)
				l.emit(Event{Kind: EventCancelled, Reason: "CANCEL"})
				l.finish()
			}
			return
		case <-l.done:
			return
		case <-tx.Done():
			if !l.finalized.Load() {
				l.emit(Event{Kind: EventCancelled, Reason: "transaction ended"})
				l.finish()
			}
			return
		}
	}
	// Answered: wait until the 2xx is acknowledged or the leg is over so
	// the transaction stays alive for ACK matching.
	select {
	case <-l.done:
	case <-ctx.Done():
	}
}

// readOffer parses and checks the INVITE's SDP; status != 0 means refuse.
func (s *Server) readOffer(req *sip.Request) (*sdp.Session, []sdp.Format, int) {
	if len(req.Body()) == 0 {
		return nil, nil, 488 // late offer is not supported yet
	}
	if ct := req.ContentType(); ct == nil || !isSDP(ct.Value()) {
		return nil, nil, 415
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		return nil, nil, 400
	}
	m, _ := offer.Audio()
	if m == nil {
		return nil, nil, 488
	}
	offered := sdp.Intersect(m.Formats, s.opts.Codecs)
	if !hasAudioCodec(offered) {
		return nil, nil, 488
	}
	return offer, offered, 0
}

func isSDP(ct string) bool {
	return len(ct) >= 15 && equalFoldPrefix(ct, "application/sdp")
}

func equalFoldPrefix(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

func hasAudioCodec(fs []sdp.Format) bool {
	for _, f := range fs {
		if f.Name != "telephone-event" {
			return true
		}
	}
	return false
}
