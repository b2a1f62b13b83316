package sdp

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Limits applied by [Parse] to untrusted input.
const (
	MaxBodySize   = 64 << 10 // bytes in one SDP body
	MaxMedia      = 64       // m= sections in one body
	MaxFormats    = 64       // formats on one m= line
	MaxAttributes = 256      // a= lines in one section (session or media)
)

// Format is one RTP payload format of an m= line, with its a=rtpmap and
// a=fmtp information.
type Format struct {
	PT       uint8  // RTP payload type, 0..127
	Name     string // encoding name, e.g. PCMU, PCMA, telephone-event; "" if unknown
	Rate     int    // clock rate in Hz
	Channels int    // 1 unless the rtpmap says otherwise; 0 if unknown
	Fmtp     string // a=fmtp parameters, without the "a=fmtp:<pt> " prefix
}

// The formats the B2BUA offers most often. Treat them as constants.
var (
	PCMU           = Format{PT: 0, Name: "PCMU", Rate: 8000, Channels: 1}
	PCMA           = Format{PT: 8, Name: "PCMA", Rate: 8000, Channels: 1}
	TelephoneEvent = Format{PT: 101, Name: "telephone-event", Rate: 8000, Channels: 1, Fmtp: "0-16"}
)

// SameCodec reports whether f and g name the same codec: encoding names equal
// ignoring case and equal clock rates. Payload type numbers do not matter.
func (f Format) SameCodec(g Format) bool {
	return f.Name != "" && strings.EqualFold(f.Name, g.Name) && f.Rate == g.Rate
}

// String returns "<pt> <name>/<rate>[/<channels>]", as in an a=rtpmap line.
func (f Format) String() string {
	s := strconv.Itoa(int(f.PT)) + " " + f.Name + "/" + strconv.Itoa(f.Rate)
	if f.Channels > 1 {
		s += "/" + strconv.Itoa(f.Channels)
	}
	return s
}

// isAuxiliary reports whether f is a payload that carries no speech on
// its own (RFC 4733 events, comfort noise), so it does not make a call work.
func (f Format) isAuxiliary() bool {
	for _, name := range auxiliaryEncodings {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// auxiliaryEncodings are encodings that do not count as a common audio codec.
var auxiliaryEncodings = [...]string{"telephone-event", "CN"}

// staticPayloadTypes are the RFC 3551 static payload types, known without an
// a=rtpmap line.
var staticPayloadTypes = [...]Format{
	{PT: 0, Name: "PCMU", Rate: 8000, Channels: 1},
	{PT: 3, Name: "GSM", Rate: 8000, Channels: 1},
	{PT: 4, Name: "G723", Rate: 8000, Channels: 1},
	{PT: 5, Name: "DVI4", Rate: 8000, Channels: 1},
	{PT: 6, Name: "DVI4", Rate: 16000, Channels: 1},
	{PT: 7, Name: "LPC", Rate: 8000, Channels: 1},
	{PT: 8, Name: "PCMA", Rate: 8000, Channels: 1},
	{PT: 9, Name: "G722", Rate: 8000, Channels: 1},
	{PT: 10, Name: "L16", Rate: 44100, Channels: 2},
	{PT: 11, Name: "L16", Rate: 44100, Channels: 1},
	{PT: 12, Name: "QCELP", Rate: 8000, Channels: 1},
	{PT: 13, Name: "CN", Rate: 8000, Channels: 1},
	{PT: 14, Name: "MPA", Rate: 90000, Channels: 1},
	{PT: 15, Name: "G728", Rate: 8000, Channels: 1},
	{PT: 16, Name: "DVI4", Rate: 11025, Channels: 1},
	{PT: 17, Name: "DVI4", Rate: 22050, Channels: 1},
	{PT: 18, Name: "G729", Rate: 8000, Channels: 1},
	{PT: 25, Name: "CelB", Rate: 90000, Channels: 1},
	{PT: 26, Name: "JPEG", Rate: 90000, Channels: 1},
	{PT: 28, Name: "nv", Rate: 90000, Channels: 1},
	{PT: 31, Name: "H261", Rate: 90000, Channels: 1},
	{PT: 32, Name: "MPV", Rate: 90000, Channels: 1},
	{PT: 33, Name: "MP2T", Rate: 90000, Channels: 1},
	{PT: 34, Name: "H263", Rate: 90000, Channels: 1},
}

// staticFormat returns the format a static payload type stands for, or just
// the payload type when it is not static.
func staticFormat(pt uint8) Format {
	for _, f := range staticPayloadTypes {
		if f.PT == pt {
			return f
		}
	}
	return Format{PT: pt}
}

// Direction is a media direction attribute (RFC 3264 section 5.1), seen from
// the side that wrote the SDP.
type Direction string

// The four direction attributes.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Valid reports whether d is one of the four direction attributes.
func (d Direction) Valid() bool {
	switch d {
	case SendRecv, SendOnly, RecvOnly, Inactive:
		return true
	}
	return false
}

// Reverse returns the direction an answer mirrors d with: sendonly and
// recvonly swap, sendrecv and inactive stay. "" (absent) means sendrecv.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case "":
		return SendRecv
	}
	return d
}

// withoutReceive drops the receive half of d (used for c=0.0.0.0 hold).
func (d Direction) withoutReceive() Direction {
	switch d {
	case SendRecv, "":
		return SendOnly
	case RecvOnly:
		return Inactive
	}
	return d
}

// Media is one m= section.
type Media struct {
	Type       string     // "audio", "video", ...
	Port       int        // 0 = rejected / disabled
	Proto      string     // "RTP/AVP", "RTP/SAVP", ...
	Formats    []Format   // RTP payload formats in m= line order
	RawFormats []string   // format tokens of non-RTP m= lines (e.g. "t38"), verbatim
	Conn       netip.Addr // media-level c= if present (else zero)
	Direction  Direction  // from a=sendrecv/sendonly/recvonly/inactive; "" when absent
	Ptime      int        // a=ptime in ms; 0 when absent
	RTCPMux    bool       // a=rtcp-mux
	Crypto     []string   // raw a=crypto values (SDES), parsed by media
	Other      []string   // other a= lines verbatim, without "a="
}

// Origin is the o= line.
type Origin struct {
	Username       string // "-" when the writer has none
	SessionID      uint64
	SessionVersion uint64     // increment on every changed offer in a dialog
	Addr           netip.Addr // zero when the o= address is a host name or unspecified
}

// Session is a parsed SDP body.
type Session struct {
	Origin    Origin
	Name      string     // s=
	Conn      netip.Addr // session-level c= (zero if absent)
	Direction Direction  // session-level direction attribute; "" when absent
	Other     []string   // other session-level a= lines verbatim, without "a="
	Media     []Media
}

// isAudio reports whether m is an audio section.
func (m *Media) isAudio() bool { return strings.EqualFold(m.Type, "audio") }

// Audio returns the audio section the call uses and its index: the first
// audio section with a non-zero port, else the first audio section (rejected),
// else nil and -1. On an answer built by [Answer] it is the accepted stream.
func (s *Session) Audio() (*Media, int) {
	if s == nil {
		return nil, -1
	}
	first := -1
	for i := range s.Media {
		if !s.Media[i].isAudio() {
			continue
		}
		if s.Media[i].Port != 0 {
			return &s.Media[i], i
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return nil, -1
	}
	return &s.Media[first], first
}

// Addr returns where to send this section's media: its c= address, else the
// session's c= address, with m.Port. It is the zero AddrPort when there is no
// address or the port is out of range.
func (m *Media) Addr(s *Session) netip.AddrPort {
	addr := m.Conn
	if !addr.IsValid() && s != nil {
		addr = s.Conn
	}
	if !addr.IsValid() || m.Port < 0 || m.Port > 65535 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(addr, uint16(m.Port))
}

// EffectiveDirection returns the direction this section really has, seen from
// the side that wrote it: the media-level attribute, else the session-level
// one, else sendrecv. A port of 0 makes it inactive. An unspecified c=
// address (0.0.0.0, the RFC 2543 hold, or ::) removes the receive half,
// because nothing can be sent there while the party may still send:
// sendrecv becomes sendonly and recvonly becomes inactive.
func (m *Media) EffectiveDirection(s *Session) Direction {
	if m.Port == 0 {
		return Inactive
	}
	d := m.Direction
	if d == "" && s != nil {
		d = s.Direction
	}
	if d == "" {
		d = SendRecv
	}
	addr := m.Conn
	if !addr.IsValid() && s != nil {
		addr = s.Conn
	}
	if addr.IsValid() && addr.IsUnspecified() {
		d = d.withoutReceive()
	}
	return d
}

// Clone returns a deep copy of s.
func (s *Session) Clone() *Session {
	if s == nil {
		return nil
	}
	c := *s
	c.Other = slices.Clone(s.Other)
	c.Media = slices.Clone(s.Media)
	for i := range c.Media {
		c.Media[i] = c.Media[i].clone()
	}
	return &c
}

func (m Media) clone() Media {
	m.Formats = slices.Clone(m.Formats)
	m.RawFormats = slices.Clone(m.RawFormats)
	m.Crypto = slices.Clone(m.Crypto)
	m.Other = slices.Clone(m.Other)
	return m
}
