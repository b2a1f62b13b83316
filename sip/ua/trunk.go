package ua

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// TrunkCall says how to reach a number through a SIP trunk.
type TrunkCall struct {
	Number      string // the number as the provider wants it (the Request-URI's user)
	Domain      string // the provider's domain (Request-URI and To host, From host)
	Transport   string // "UDP", "TCP" or "TLS"
	Destination string // host:port the INVITE is sent to (the provider's proxy)
	// User is our account: the user of From and of our Contact.
	User string
	// Username and Password answer the provider's 401/407 challenges.
	Username, Password string
}

// TrunkClient returns the SIP client of a transport ("UDP", "TCP",
// "TLS") and the Contact it advertises, for requests to a provider such
// as REGISTER, so that the provider's requests come back to our
// listener.
func (s *Server) TrunkClient(transport string) (*sipgo.Client, sip.Uri, bool) {
	dua := s.dialogUAs[strings.ToUpper(transport)]
	if dua == nil {
		return nil, sip.Uri{}, false
	}
	return dua.Client, dua.ContactHDR.Address, true
}

// UDPReady returns once the UDP listener serves (sipgo knows its
// connection, so requests pinned to it, such as a trunk's REGISTER, can
// leave from it), or when ctx ends. Serve starts the listener on a
// goroutine of its own; without a UDP listener it returns at once.
func (s *Server) UDPReady(ctx context.Context) error {
	if s.opts.Listeners.UDP == nil {
		return nil
	}
	addr := s.opts.Listeners.UDP.LocalAddr().String()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := s.ua.TransportLayer().GetConnection("udp", addr); err == nil && c != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ua: UDP listener %s not serving: %w", addr, ctx.Err())
		case <-tick.C:
		}
	}
}

// OriginateTrunk rings call.Number through a provider with an offer of
// formats, answering its digest challenges with the trunk's
// credentials. The caller's display name is kept; the From user is the
// trunk account (providers accept no other), with from.Number as the
// display name when there is none; from.Number goes in
// P-Asserted-Identity. Progress arrives as events like
// Originate's.
func (s *Server) OriginateTrunk(ctx context.Context, call TrunkCall, from Party, formats []sdp.Format) (*OutboundLeg, error) {
	if s.closing.Load() {
		return nil, errors.New("ua: shutting down")
	}
	transport := strings.ToUpper(call.Transport)
	if transport == "" {
		transport = "UDP"
	}
	dua := s.dialogUAs[transport]
	if dua == nil {
		return nil, fmt.Errorf("ua: no %s transport for trunk calls", transport)
	}
	ep, err := s.opts.Ports.Allocate()
	if err != nil {
		return nil, fmt.Errorf("ua: rtp port: %w", err)
	}
	l := &OutboundLeg{legBase: newLegBase(s, ep, dua), callee: call.Number}
	l.auth = sipgo.AnswerOptions{Username: call.Username, Password: call.Password}
	l.formats = withTranscodable(formats, s.opts.Codecs)
	target := sip.Uri{Scheme: "sip", User: call.Number, Host: call.Domain}
	req := sip.NewRequest(sip.INVITE, target)
	req.SetTransport(transport)
	req.SetDestination(call.Destination)
	name := from.DisplayName
	if name == "" {
		name = from.Number
	}
	fromHdr := &sip.FromHeader{DisplayName: name, Address: sip.Uri{Scheme: "sip", User: call.User, Host: call.Domain}, Params: sip.NewParams()}
	fromHdr.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(fromHdr)
	req.AppendHeader(&sip.ToHeader{Address: target, Params: sip.NewParams()})
	if from.Number != "" && from.Number != call.User {
		// The caller ID (the route's, if it sets one): providers take it
		// from P-Asserted-Identity, the From user being our account.
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", (&sip.FromHeader{DisplayName: name,
			Address: sip.Uri{Scheme: "sip", User: from.Number, Host: call.Domain}}).Value()))
	}
	req.AppendHeader(sip.NewHeader("Allow", allowMethods))
	req.AppendHeader(sip.NewHeader("Supported", supported))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(l.localSDP("", false))

	if err := l.invite(dua, req); err != nil {
		return nil, fmt.Errorf("ua: invite %s through trunk: %w", call.Number, err)
	}
	return l, nil
}

// invite sends the leg's INVITE and follows it on its own goroutine; on
// failure the leg is finished (its endpoint freed).
func (l *OutboundLeg) invite(dua *sipgo.DialogUA, req *sip.Request) error {
	lctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.onFinish = cancel
	bd, err := dua.WriteInvite(lctx, req)
	if err != nil {
		cancel()
		l.finish()
		return err
	}
	l.b = bd
	l.dlg = bd
	l.ep.Start()
	go l.wait(lctx)
	return nil
}

// TrunkMatcher recognises calls from SIP trunk providers (sip/trunk's
// Inbound is one): src is the request's source, requestUser and toUser
// the users of its Request-URI and To. It returns the trunk's name and
// the dialled number (DID), ok false for anything else.
type TrunkMatcher interface {
	MatchTrunk(src netip.AddrPort, requestUser, toUser string) (trunk, did string, ok bool)
}

// SetTrunkMatcher installs the recogniser of the providers' INVITEs,
// which are let in without the phones' digest challenge; nil: none.
func (s *Server) SetTrunkMatcher(m TrunkMatcher) {
	if m == nil {
		s.trunks.Store(nil)
		return
	}
	s.trunks.Store(&m)
}

// matchTrunk asks the TrunkMatcher about a new INVITE.
func (s *Server) matchTrunk(req *sip.Request) (trunk, did string, ok bool) {
	m := s.trunks.Load()
	if m == nil {
		return "", "", false
	}
	var to string
	if h := req.To(); h != nil {
		to = h.Address.User
	}
	return (*m).MatchTrunk(sourceAddr(req), req.Recipient.User, to)
}

// trunkCaller is the calling party a provider names in From.
func trunkCaller(req *sip.Request) Party {
	f := req.From()
	if f == nil {
		return Party{}
	}
	return Party{Number: f.Address.User, DisplayName: f.DisplayName}
}
