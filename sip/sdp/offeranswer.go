package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// ErrNoCommonCodec is returned (wrapped) by [Answer] when the offer has no
// answerable audio stream with a codec we support. telephone-event and CN
// alone do not count as a codec.
var ErrNoCommonCodec = errors.New("no audio codec in common")

// answerableProtos are the audio transport profiles [Answer] accepts.
// RTP/SAVP needs a=crypto, which the caller adds to the answer.
var answerableProtos = [...]string{"RTP/AVP", "RTP/SAVP"}

// NewOffer builds our offer toward a leg: one audio section at addr:port
// (RTP/AVP) with the given formats in order and direction dir ("" for none).
// An empty origin.Username becomes "-" and a zero origin.Addr becomes addr.
// Set Ptime, RTCPMux, Crypto or Proto on Media[0] afterwards if needed.
func NewOffer(origin Origin, addr netip.Addr, port int, formats []Format, dir Direction) *Session {
	s := newSession(origin, addr)
	s.Media = []Media{{
		Type:      "audio",
		Port:      port,
		Proto:     "RTP/AVP",
		Formats:   slices.Clone(formats),
		Direction: dir,
	}}
	return s
}

func newSession(origin Origin, addr netip.Addr) *Session {
	if origin.Username == "" {
		origin.Username = "-"
	}
	if !origin.Addr.IsValid() {
		origin.Addr = addr
	}
	return &Session{Origin: origin, Name: "-", Conn: addr}
}

// Answer builds our answer to offer at addr:port.
//
// It accepts the first audio section that has a non-zero port, an RTP/AVP or
// RTP/SAVP profile and at least one codec in supported (matched by name and
// rate, ignoring case). The accepted section lists the offered formats we
// support, with the OFFER's payload type numbers and order (a=fmtp from
// supported when it has one, else the offer's), the offer's a=rtcp-mux, and
// the mirror of the offer's effective direction (sendonly→recvonly,
// recvonly→sendonly, inactive→inactive, else sendrecv). Every other section
// is rejected with port 0, keeping its type, profile and formats, as RFC 3264
// requires. answer.Audio() returns the accepted section and its index, which
// is also the index of the matching section in offer.
//
// For RTP/SAVP the caller adds the a=crypto answer to the accepted section.
// With no acceptable audio it returns an error wrapping [ErrNoCommonCodec].
func Answer(offer *Session, origin Origin, addr netip.Addr, port int, supported []Format) (*Session, error) {
	if offer == nil {
		return nil, errors.New("sdp answer: no offer")
	}
	if !addr.IsValid() || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("sdp answer: invalid local media address %v port %d", addr, port)
	}
	accepted := -1
	var formats []Format
	for i := range offer.Media {
		m := &offer.Media[i]
		if !m.isAudio() || m.Port == 0 || !answerableProto(m.Proto) {
			continue
		}
		common := answerFormats(m.Formats, supported)
		if slices.ContainsFunc(common, func(f Format) bool { return !f.isAuxiliary() }) {
			accepted, formats = i, common
			break
		}
	}
	if accepted < 0 {
		return nil, fmt.Errorf("sdp answer: offered %s: %w", describeAudio(offer), ErrNoCommonCodec)
	}
	answer := newSession(origin, addr)
	answer.Media = make([]Media, len(offer.Media))
	for i := range offer.Media {
		m := &offer.Media[i]
		if i == accepted {
			answer.Media[i] = Media{
				Type:      m.Type,
				Port:      port,
				Proto:     m.Proto,
				Formats:   formats,
				Direction: m.EffectiveDirection(offer).Reverse(),
				RTCPMux:   m.RTCPMux,
			}
			continue
		}
		answer.Media[i] = Media{
			Type:       m.Type,
			Port:       0,
			Proto:      m.Proto,
			Formats:    slices.Clone(m.Formats),
			RawFormats: slices.Clone(m.RawFormats),
		}
	}
	return answer, nil
}

// Intersect returns the formats of offered whose codec (name and rate,
// ignoring case) is in supported, keeping the offered payload type numbers,
// parameters and order. It returns nil when none match.
func Intersect(offered, supported []Format) []Format {
	var out []Format
	for _, f := range offered {
		if slices.ContainsFunc(supported, f.SameCodec) {
			out = append(out, f)
		}
	}
	return out
}

// answerFormats is Intersect with our own a=fmtp parameters where we have them.
func answerFormats(offered, supported []Format) []Format {
	common := Intersect(offered, supported)
	for i := range common {
		j := slices.IndexFunc(supported, common[i].SameCodec)
		if supported[j].Fmtp != "" {
			common[i].Fmtp = supported[j].Fmtp
		}
	}
	return common
}

func answerableProto(proto string) bool {
	for _, p := range answerableProtos {
		if strings.EqualFold(proto, p) {
			return true
		}
	}
	return false
}

// describeAudio summarises an offer's audio sections for error messages.
func describeAudio(s *Session) string {
	var parts []string
	for i := range s.Media {
		m := &s.Media[i]
		if !m.isAudio() {
			continue
		}
		names := make([]string, 0, len(m.Formats))
		for _, f := range m.Formats {
			names = append(names, clip(f.Name)+"/"+strconv.Itoa(f.Rate))
		}
		parts = append(parts, fmt.Sprintf("audio port %d %s [%s]", m.Port, clip(m.Proto), strings.Join(names, " ")))
		if len(parts) == 4 {
			parts = append(parts, "...")
			break
		}
	}
	if len(parts) == 0 {
		return "no audio"
	}
	return strings.Join(parts, ", ")
}
