package ua

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/srtp"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// SRTPPolicy says whether a phone's media is protected with SRTP (SDES
// keys in a=crypto, RFC 4568).
type SRTPPolicy uint8

// SRTP policies. The zero value is SRTPOptional.
const (
	// SRTPOptional answers RTP/SAVP offers with SRTP and RTP/AVP offers
	// with plain RTP, and offers plain RTP to the phone.
	SRTPOptional SRTPPolicy = iota
	// SRTPOff refuses RTP/SAVP offers (488) and offers plain RTP.
	SRTPOff
	// SRTPRequired refuses RTP/AVP offers (488) and offers RTP/SAVP.
	SRTPRequired
)

// srtpPolicies maps the config words to policies.
var srtpPolicies = map[string]SRTPPolicy{"": SRTPOptional, "optional": SRTPOptional, "off": SRTPOff, "required": SRTPRequired}

// ParseSRTPPolicy reads "off", "optional" or "required" ("" is optional).
func ParseSRTPPolicy(s string) (SRTPPolicy, error) {
	p, ok := srtpPolicies[strings.ToLower(s)]
	if !ok {
		return SRTPOptional, fmt.Errorf("ua: unknown srtp policy %q (off, optional or required)", s)
	}
	return p, nil
}

const (
	protoAVP  = "RTP/AVP"
	protoSAVP = "RTP/SAVP"
)

// errSRTPPolicy is a media profile the phone's SRTP policy forbids.
var errSRTPPolicy = errors.New("media profile not allowed by the srtp policy")

// srtpPolicy is the policy of an extension's phone.
func (s *Server) srtpPolicy(number string) SRTPPolicy {
	if f := s.srtpFunc.Load(); f != nil && *f != nil {
		return (*f)(number)
	}
	return SRTPOptional
}

// SetSRTPPolicy replaces the per-extension SRTP policy (config reload);
// nil makes every phone SRTPOptional.
func (s *Server) SetSRTPPolicy(f func(number string) SRTPPolicy) { s.srtpFunc.Store(&f) }

// isSecure reports whether an SDP profile is SRTP.
func isSecure(proto string) bool { return strings.EqualFold(proto, protoSAVP) }

// answerCrypto settles the leg's media protection for a remote offer
// (the first INVITE or a re-INVITE): plain RTP for RTP/AVP, SRTP keyed by
// the offer's a=crypto for RTP/SAVP. A re-offer repeating the key in use
// keeps the contexts; a new key re-keys both directions. It returns an
// error when the offer must be refused (488).
func (l *legBase) answerCrypto(m *sdp.Media, policy SRTPPolicy, reoffer bool) error {
	secure := isSecure(m.Proto)
	l.mu.Lock()
	wasSecure, current := l.secure, l.remoteCrypto.Value()
	l.mu.Unlock()
	switch {
	case secure && policy == SRTPOff, !secure && policy == SRTPRequired:
		return fmt.Errorf("%w: %s", errSRTPPolicy, m.Proto)
	case reoffer && secure != wasSecure:
		return fmt.Errorf("media profile changed to %s in a re-offer", m.Proto)
	case !secure:
		return nil
	}
	if reoffer {
		for _, c := range m.Crypto {
			if r, err := srtp.ParseCrypto(c); err == nil && r.Value() == current {
				return nil // same key: nothing changes
			}
		}
	}
	n, err := srtp.Answer(m.Crypto)
	if err != nil {
		return err
	}
	if err := l.useSRTP(n); err != nil {
		return err
	}
	l.mu.Lock()
	l.secure, l.localCrypto, l.remoteCrypto = true, n.Local, n.Remote
	l.mu.Unlock()
	return nil
}

// offerCrypto makes the leg's own SRTP offer (both suites) when the far
// phone's policy requires SRTP.
func (l *legBase) offerCrypto(policy SRTPPolicy) error {
	if policy != SRTPRequired {
		return nil
	}
	offered, err := srtp.Offer()
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.secure, l.offered = true, offered
	l.mu.Unlock()
	return nil
}

// acceptCrypto takes the far phone's answer to our offer: the same
// profile, and for SRTP the a=crypto matching one we offered.
func (l *legBase) acceptCrypto(m *sdp.Media) error {
	l.mu.Lock()
	secure, offered, settled := l.secure, l.offered, l.remoteCrypto.Key.Suite.Valid()
	l.mu.Unlock()
	if isSecure(m.Proto) != secure {
		return fmt.Errorf("answer with profile %s to our %s offer", m.Proto, profile(secure))
	}
	if !secure {
		return nil
	}
	if len(m.Crypto) == 0 {
		return errors.New("RTP/SAVP answer without a=crypto")
	}
	n, err := srtp.MatchAnswer(offered, m.Crypto[0])
	if err != nil {
		return err
	}
	if settled && n.Remote.Value() == l.remoteCryptoValue() {
		return nil // the 200 repeats the 183's key
	}
	if err := l.useSRTP(n); err != nil {
		return err
	}
	l.mu.Lock()
	l.localCrypto, l.remoteCrypto = n.Local, n.Remote
	l.mu.Unlock()
	return nil
}

func (l *legBase) remoteCryptoValue() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.remoteCrypto.Value()
}

// useSRTP gives the endpoint the contexts of an SDES exchange, for RTP
// and RTCP.
func (l *legBase) useSRTP(n srtp.Negotiated) error {
	dec, enc, err := n.Contexts()
	if err != nil {
		return fmt.Errorf("srtp contexts: %w", err)
	}
	if err := l.ep.SetSRTCP(n.Remote.Key, n.Local.Key); err != nil {
		return err
	}
	l.ep.SetSRTP(dec, enc)
	return nil
}

func profile(secure bool) string {
	if secure {
		return protoSAVP
	}
	return protoAVP
}

// decorate sets what our SDP carries beyond formats: the profile, our
// a=crypto (our offer's before an answer, else the negotiated one) and
// a=rtcp-mux. l.mu must be held.
func (l *legBase) decorate(m *sdp.Media) {
	m.Proto = profile(l.secure)
	m.Crypto = nil
	switch {
	case !l.secure:
	case l.localCrypto.Key.Suite.Valid():
		m.Crypto = []string{l.localCrypto.Value()}
	default:
		for _, c := range l.offered {
			m.Crypto = append(m.Crypto, c.Value())
		}
	}
	m.RTCPMux = l.rtcpMux
}

// setMedia records the negotiated formats and tells the relay the far
// phone's codec and whether it multiplexes RTCP. l.mu must be held.
func (l *legBase) setMedia(formats []sdp.Format, rtcpMux bool) {
	l.formats = formats
	l.rtcpMux = rtcpMux
	if c, ok := relayCodec(formats); ok {
		l.ep.SetCodec(c)
	}
	l.ep.SetRTCPMux(rtcpMux)
}

// relayCodec is the relay's view of a negotiated format list: the first
// audio format and the telephone-event payload type.
func relayCodec(formats []sdp.Format) (relay.Codec, bool) {
	var c relay.Codec
	audio := false
	for _, f := range formats {
		switch {
		case strings.EqualFold(f.Name, "telephone-event"):
			if c.EventPT == 0 && f.Rate == 8000 {
				c.EventPT = f.PT
			}
		case strings.EqualFold(f.Name, "CN"):
		case !audio:
			audio = true
			c.PT = f.PT
			switch {
			case f.SameCodec(sdp.PCMU):
				c.Encoding = relay.PCMU
			case f.SameCodec(sdp.PCMA):
				c.Encoding = relay.PCMA
			}
		}
	}
	return c, audio
}

// transcodable are the codecs the relay converts into each other.
var transcodable = []sdp.Format{sdp.PCMU, sdp.PCMA}

// withTranscodable is an offer of formats (the other party's codecs and
// payload types) followed by the codecs we support that the relay can
// transcode to and from them, so that a phone which lacks the other
// party's codec can still answer with one the relay converts.
func withTranscodable(formats, supported []sdp.Format) []sdp.Format {
	out := append([]sdp.Format(nil), formats...)
	canConvert := false
	for _, f := range formats {
		for _, t := range transcodable {
			canConvert = canConvert || f.SameCodec(t)
		}
	}
	if !canConvert {
		return out
	}
	for _, f := range supported {
		if !isTranscodable(f) || containsCodec(out, f) || containsPT(out, f.PT) {
			continue
		}
		// Keep audio before telephone-event, as phones list them.
		i := len(out)
		for i > 0 && !hasAudioCodec(out[i-1:i]) {
			i--
		}
		out = append(out[:i], append([]sdp.Format{f}, out[i:]...)...)
	}
	return out
}

func isTranscodable(f sdp.Format) bool { return containsCodec(transcodable, f) }

func containsCodec(fs []sdp.Format, f sdp.Format) bool {
	for _, g := range fs {
		if g.SameCodec(f) {
			return true
		}
	}
	return false
}

func containsPT(fs []sdp.Format, pt uint8) bool {
	for _, g := range fs {
		if g.PT == pt {
			return true
		}
	}
	return false
}
