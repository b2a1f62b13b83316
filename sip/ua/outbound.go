package ua

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/sip/registrar"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// ErrNotRegistered is returned by Originate when the number has no live binding.
var ErrNotRegistered = errors.New("ua: extension not registered")

// OutboundLeg is a call the appliance makes to a phone (we are the UAC).
type OutboundLeg struct {
	legBase
	b      *sipgo.DialogClientSession
	cancel context.CancelFunc
	callee string
	// auth answers the far end's 401/407 (calls through a trunk).
	auth sipgo.AnswerOptions
}

// Callee is the number this leg rings.
func (l *OutboundLeg) Callee() string { return l.callee }

// Originate rings a registered extension with an offer of formats (the
// caller's codecs and payload types). Progress arrives as events:
// EventRinging, then EventAnswered or EventFailed.
func (s *Server) Originate(ctx context.Context, number string, from Party, formats []sdp.Format) (*OutboundLeg, error) {
	if s.closing.Load() {
		return nil, errors.New("ua: shutting down")
	}
	bindings := s.reg.Lookup(number)
	if len(bindings) == 0 {
		return nil, ErrNotRegistered
	}
	b := bindings[0]
	dua := s.dialogUAs[b.Transport]
	if dua == nil {
		return nil, fmt.Errorf("ua: no %s transport for binding of %s", b.Transport, number)
	}
	var target sip.Uri
	if err := sip.ParseUri(b.Contact, &target); err != nil {
		return nil, fmt.Errorf("ua: bad contact %q of %s: %w", b.Contact, number, err)
	}
	ep, err := s.opts.Ports.Allocate()
	if err != nil {
		return nil, fmt.Errorf("ua: rtp port: %w", err)
	}
	l := &OutboundLeg{legBase: newLegBase(s, ep, dua), callee: number}
	l.formats = withTranscodable(formats, s.opts.Codecs)
	if err := l.offerCrypto(s.srtpPolicy(number)); err != nil {
		ep.Close()
		return nil, fmt.Errorf("ua: srtp offer to %s: %w", number, err)
	}
	host := s.opts.Advertise.String()
	req := sip.NewRequest(sip.INVITE, target)
	req.SetTransport(b.Transport)
	req.SetDestination(destination(b, target).String())
	fromHdr := &sip.FromHeader{DisplayName: from.DisplayName, Address: sip.Uri{Scheme: "sip", User: from.Number, Host: host}, Params: sip.NewParams()}
	fromHdr.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(fromHdr)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: host}, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Allow", allowMethods))
	req.AppendHeader(sip.NewHeader("Supported", supported))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(l.localSDP("", false))

	if err := l.invite(dua, req); err != nil {
		return nil, fmt.Errorf("ua: invite %s: %w", number, err)
	}
	return l, nil
}

// wait follows the INVITE transaction to its end.
func (l *OutboundLeg) wait(ctx context.Context) {
	rang, early := false, false
	err := l.b.WaitAnswer(ctx, sipgo.AnswerOptions{Username: l.auth.Username, Password: l.auth.Password, OnResponse: func(r *sip.Response) error {
		if r.StatusCode != 180 && r.StatusCode != 183 {
			return nil
		}
		if !rang {
			rang = true
			l.emit(Event{Kind: EventRinging, Code: r.StatusCode})
		}
		if !early && len(r.Body()) > 0 && l.acceptEarlyMedia(r.Body()) {
			early = true
			l.emit(Event{Kind: EventEarlyMedia, Code: r.StatusCode})
		}
		return nil
	}})
	if err != nil {
		var de *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &de):
			l.emit(Event{Kind: EventFailed, Code: de.Res.StatusCode, Reason: de.Res.Reason})
		case ctx.Err() != nil:
			l.emit(Event{Kind: EventFailed, Code: 487, Reason: "Request Terminated"})
		default:
			l.emit(Event{Kind: EventFailed, Code: 408, Reason: err.Error()})
		}
		l.finish()
		return
	}
	l.setDialogID(l.b.ID, l)
	if c := l.b.InviteResponse.Contact(); c != nil {
		l.setRemoteTarget(c.Address)
	} else {
		l.setRemoteTarget(l.b.InviteRequest.Recipient)
	}
	ans, perr := sdp.Parse(l.b.InviteResponse.Body())
	if perr == nil {
		perr = l.applyRemote(ans)
	}
	if perr == nil {
		m, _ := ans.Audio()
		perr = l.acceptCrypto(m)
	}
	if err := l.b.Ack(ctx); err != nil {
		l.srv.log.Debug("ack to callee failed", "err", err)
	}
	if perr != nil {
		l.srv.log.Warn("callee answer has no usable SDP", "callee", l.callee, "err", perr)
		l.bye()
		l.emit(Event{Kind: EventFailed, Code: 488, Reason: "Not Acceptable Here"})
		l.finish()
		return
	}
	if m, _ := ans.Audio(); m != nil {
		l.mu.Lock()
		l.setMedia(sdp.Intersect(m.Formats, l.formats), m.RTCPMux && l.rtcpMux)
		l.offered = nil
		l.mu.Unlock()
	}
	l.answered.Store(true)
	l.emit(Event{Kind: EventAnswered})
}

// acceptEarlyMedia takes the SDP of a provisional response: the callee's
// media address and codec, so its ringback or announcement can be relayed
// before the call is answered.
func (l *OutboundLeg) acceptEarlyMedia(body []byte) bool {
	ans, err := sdp.Parse(body)
	if err != nil {
		return false
	}
	m, _ := ans.Audio()
	if m == nil || l.applyRemote(ans) != nil || l.acceptCrypto(m) != nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := sdp.Intersect(m.Formats, l.formats); hasAudioCodec(f) {
		l.setMedia(f, m.RTCPMux && l.rtcpMux)
		return true
	}
	return false
}

// Hangup ends the leg: CANCEL before answer, BYE after.
func (l *OutboundLeg) Hangup() {
	if !l.answered.Load() {
		l.cancel() // WaitAnswer sends CANCEL and wait() finishes the leg
		return
	}
	select {
	case <-l.done:
		return
	default:
	}
	l.bye()
	l.finish()
}

func (l *OutboundLeg) bye() {
	ctx, cancel := byeContext()
	defer cancel()
	if err := l.b.Bye(ctx); err != nil {
		l.srv.log.Debug("bye to callee failed", "err", err)
	}
}

func (l *OutboundLeg) onAck(*sip.Request, sip.ServerTransaction) {}

// destination picks where to send a request for a binding. Over TCP and
// TLS it is always the connection the phone registered on. Over UDP the
// Contact is used when its IP is the REGISTER's source IP (same host, maybe
// another port); otherwise the phone is behind NAT and is reached at the
// REGISTER's source address.
func destination(b registrar.Binding, contact sip.Uri) netip.AddrPort {
	if b.Transport != "UDP" {
		return b.Source
	}
	ip, err := netip.ParseAddr(contact.Host)
	if err != nil || ip.Unmap() != b.Source.Addr() {
		return b.Source
	}
	port := contact.Port
	if port == 0 {
		port = 5060
	}
	return netip.AddrPortFrom(b.Source.Addr(), uint16(port))
}
