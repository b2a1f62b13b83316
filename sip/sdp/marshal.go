package sdp

import (
	"net/netip"
	"strconv"
	"strings"
)

// Marshal writes s in canonical form with CRLF line endings:
//
//	v=0, o=, s=, c= (if set), t=0 0, session direction and other session
//	attributes, then per m= section: m=, c= (if set), a=rtpmap for every
//	format with a name (static ones too), a=fmtp, a=ptime (if > 0), the
//	direction attribute (if set), a=crypto, a=rtcp-mux, other attributes.
//
// A zero Origin.Addr is written as 0.0.0.0 and an empty Origin.Username as
// "-". Characters that would break the line structure (CR, LF, NUL, and
// blanks inside single-token fields) are replaced, so the output is always
// well formed.
func (s *Session) Marshal() []byte {
	w := writer{b: make([]byte, 0, 512)}
	w.str("v=0\r\n")

	o := s.Origin
	w.str("o=")
	if o.Username == "" {
		w.str("-")
	} else {
		w.token(o.Username)
	}
	w.str(" ")
	w.b = strconv.AppendUint(w.b, o.SessionID, 10)
	w.str(" ")
	w.b = strconv.AppendUint(w.b, o.SessionVersion, 10)
	originAddr := o.Addr
	if !originAddr.IsValid() {
		originAddr = netip.IPv4Unspecified()
	}
	w.str(" ")
	w.addr(originAddr)
	w.str("\r\n")

	w.str("s=")
	if s.Name == "" {
		w.str(" ") // RFC 4566 section 5.3: a single space when there is no name
	} else {
		w.text(s.Name)
	}
	w.str("\r\n")

	if s.Conn.IsValid() {
		w.conn(s.Conn)
	}
	w.str("t=0 0\r\n")
	if s.Direction.Valid() {
		w.attr(string(s.Direction))
	}
	for _, a := range s.Other {
		w.attr(a)
	}
	for i := range s.Media {
		w.media(&s.Media[i])
	}
	return w.b
}

// writer appends SDP text to b.
type writer struct{ b []byte }

func (w *writer) str(s string) { w.b = append(w.b, s...) }

func (w *writer) int(n int) { w.b = strconv.AppendInt(w.b, int64(n), 10) }

// text writes free text, replacing bytes that would end or corrupt the line.
func (w *writer) text(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' || c == 0 {
			c = ' '
		}
		w.b = append(w.b, c)
	}
}

// token writes a single-token field, replacing blanks and line breaks.
func (w *writer) token(s string) {
	if s == "" {
		w.b = append(w.b, '-')
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0 {
			c = '-'
		}
		w.b = append(w.b, c)
	}
}

// addr writes "IN IP4 <a>" or "IN IP6 <a>".
func (w *writer) addr(a netip.Addr) {
	a = a.WithZone("")
	if a.Is4() {
		w.str("IN IP4 ")
	} else {
		w.str("IN IP6 ")
	}
	w.b = a.AppendTo(w.b)
}

func (w *writer) conn(a netip.Addr) {
	w.str("c=")
	w.addr(a)
	w.str("\r\n")
}

func (w *writer) attr(value string) {
	w.str("a=")
	w.text(value)
	w.str("\r\n")
}

func (w *writer) media(m *Media) {
	w.str("m=")
	w.token(m.Type)
	w.str(" ")
	w.int(m.Port)
	w.str(" ")
	w.token(m.Proto)
	for _, f := range m.Formats {
		w.str(" ")
		w.int(int(f.PT))
	}
	for _, tok := range m.RawFormats {
		w.str(" ")
		w.token(tok)
	}
	w.str("\r\n")
	if m.Conn.IsValid() {
		w.conn(m.Conn)
	}
	for _, f := range m.Formats {
		if f.Name == "" || f.Rate <= 0 {
			continue
		}
		w.str("a=rtpmap:")
		w.int(int(f.PT))
		w.str(" ")
		w.token(strings.ReplaceAll(f.Name, "/", "-"))
		w.str("/")
		w.int(f.Rate)
		if f.Channels > 1 {
			w.str("/")
			w.int(f.Channels)
		}
		w.str("\r\n")
	}
	for _, f := range m.Formats {
		if f.Fmtp == "" {
			continue
		}
		w.str("a=fmtp:")
		w.int(int(f.PT))
		w.str(" ")
		w.text(f.Fmtp)
		w.str("\r\n")
	}
	if m.Ptime > 0 {
		w.str("a=ptime:")
		w.int(m.Ptime)
		w.str("\r\n")
	}
	if m.Direction.Valid() {
		w.attr(string(m.Direction))
	}
	for _, c := range m.Crypto {
		w.attr("crypto:" + c)
	}
	if m.RTCPMux {
		w.attr("rtcp-mux")
	}
	for _, a := range m.Other {
		w.attr(a)
	}
}
