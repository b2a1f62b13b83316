package sdp

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ErrLimitExceeded is wrapped by the [ParseError] of a body that breaks one of
// the size limits (MaxBodySize, MaxMedia, MaxFormats, MaxAttributes).
var ErrLimitExceeded = errors.New("limit exceeded")

// ParseError is the error [Parse] returns: what is wrong and on which line.
type ParseError struct {
	Line int // 1-based line number; 0 when the problem is the body as a whole
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return "sdp: " + e.Err.Error()
	}
	return "sdp: line " + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse parses an SDP body. See the package documentation for what it
// accepts and its limits. Errors are *ParseError.
func Parse(b []byte) (*Session, error) {
	return parse(b, MaxBodySize)
}

// parse is Parse with a configurable body size limit, so tests can re-parse
// canonical output that grew past MaxBodySize.
func parse(b []byte, maxBody int) (*Session, error) {
	if len(b) > maxBody {
		return nil, &ParseError{Err: fmt.Errorf("%w: body is %d bytes, the limit is %d", ErrLimitExceeded, len(b), maxBody)}
	}
	p := parser{s: &Session{}, cur: -1}
	lineNo := 0
	for rest := b; len(rest) > 0; {
		var raw []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			raw, rest = rest[:i], rest[i+1:]
		} else {
			raw, rest = rest, nil
		}
		lineNo++
		line := strings.TrimRight(string(raw), " \t\r")
		if line == "" {
			continue
		}
		if err := p.line(line, lineNo); err != nil {
			if pe, ok := err.(*ParseError); ok {
				return nil, pe // about an earlier line
			}
			return nil, &ParseError{Line: lineNo, Err: err}
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.s, nil
}

// parser holds the state of one Parse call.
type parser struct {
	s            *Session
	sawVersion   bool
	sawOrigin    bool
	sawName      bool
	sawConn      bool // session-level c=
	sessionAttrs int
	cur          int // index of the current m= section; -1 at session level
	section      sectionState
}

// sectionState is what the parser tracks for the current m= section.
type sectionState struct {
	line      int        // line number of the m= line
	attrs     int        // counted a= lines
	formatAt  [128]int16 // payload type -> index in Formats + 1; 0 = not listed
	rtpmapSet [128]bool  // payload types that had an a=rtpmap
	fmtpSet   [128]bool  // payload types that had an a=fmtp
	sawPtime  bool
	sawConn   bool
}

func (p *parser) line(line string, lineNo int) error {
	if len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' {
		return fmt.Errorf("malformed line %q: want <letter>=<value>", clip(line))
	}
	if strings.ContainsAny(line, "\x00\r") {
		return errors.New("line contains a NUL or CR character")
	}
	typ, val := line[0], line[2:]
	if !p.sawVersion {
		if typ != 'v' {
			return fmt.Errorf("first line is %q, want v=0", clip(line))
		}
		if val != "0" {
			return fmt.Errorf("unsupported SDP version %q, want 0", clip(val))
		}
		p.sawVersion = true
		return nil
	}
	switch typ {
	case 'v':
		return errors.New("duplicate v= line")
	case 'o':
		if p.cur >= 0 {
			return errors.New("o= line inside a media section")
		}
		if p.sawOrigin {
			return errors.New("duplicate o= line")
		}
		p.sawOrigin = true
		o, err := parseOrigin(val)
		p.s.Origin = o
		return err
	case 's':
		if p.cur >= 0 {
			return errors.New("s= line inside a media section")
		}
		if p.sawName {
			return errors.New("duplicate s= line")
		}
		p.sawName = true
		p.s.Name = val
		return nil
	case 'c':
		return p.conn(val)
	case 'm':
		return p.media(val, lineNo)
	case 'a':
		return p.attribute(val)
	}
	// t=, b=, i=, u=, e=, p=, k=, r=, z= and unknown letters carry nothing
	// the B2BUA uses.
	return nil
}

func (p *parser) finish() error {
	if !p.sawVersion {
		return &ParseError{Err: errors.New("empty body")}
	}
	if !p.sawOrigin {
		return &ParseError{Err: errors.New("missing o= line")}
	}
	return p.endSection()
}

// endSection checks the section that just ended.
func (p *parser) endSection() error {
	if p.cur < 0 {
		return nil
	}
	m := &p.s.Media[p.cur]
	if m.isAudio() && m.Port != 0 && !m.Conn.IsValid() && !p.s.Conn.IsValid() {
		return &ParseError{Line: p.section.line, Err: errors.New("audio m= section has no c= line and there is no session-level c=")}
	}
	return nil
}

func parseOrigin(val string) (Origin, error) {
	f := fields(val)
	if len(f) != 6 {
		return Origin{}, fmt.Errorf("o= line has %d fields, want 6 (<username> <sess-id> <sess-version> IN IP4 <address>)", len(f))
	}
	var o Origin
	o.Username = f[0]
	var err error
	if o.SessionID, err = strconv.ParseUint(f[1], 10, 64); err != nil {
		return Origin{}, fmt.Errorf("invalid session id %q in o= line", clip(f[1]))
	}
	if o.SessionVersion, err = strconv.ParseUint(f[2], 10, 64); err != nil {
		return Origin{}, fmt.Errorf("invalid session version %q in o= line", clip(f[2]))
	}
	if !strings.EqualFold(f[3], "IN") {
		return Origin{}, fmt.Errorf("unsupported network type %q in o= line", clip(f[3]))
	}
	// The origin address only identifies the session; a host name or an
	// odd address is no reason to refuse the call.
	if a, err := netip.ParseAddr(f[5]); err == nil && a.Zone() == "" && !a.IsUnspecified() {
		o.Addr = a
	}
	return o, nil
}

func (p *parser) conn(val string) error {
	addr, err := parseConn(val)
	if err != nil {
		return err
	}
	if p.cur < 0 {
		if p.sawConn {
			return errors.New("duplicate session-level c= line")
		}
		p.sawConn = true
		p.s.Conn = addr
		return nil
	}
	if p.section.sawConn {
		return errors.New("duplicate c= line in media section")
	}
	p.section.sawConn = true
	p.s.Media[p.cur].Conn = addr
	return nil
}

// parseConn parses "IN IP4 <addr>[/ttl[/count]]" or "IN IP6 <addr>[/count]".
func parseConn(val string) (netip.Addr, error) {
	f := fields(val)
	if len(f) != 3 {
		return netip.Addr{}, fmt.Errorf("c= line has %d fields, want 3 (IN IP4 <address>)", len(f))
	}
	if !strings.EqualFold(f[0], "IN") {
		return netip.Addr{}, fmt.Errorf("unsupported network type %q in c= line", clip(f[0]))
	}
	text, _, _ := strings.Cut(f[2], "/") // multicast TTL / count: not used
	addr, err := netip.ParseAddr(text)
	if err != nil || addr.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("invalid address %q in c= line", clip(text))
	}
	switch {
	case strings.EqualFold(f[1], "IP4"):
		if !addr.Is4() {
			return netip.Addr{}, fmt.Errorf("c= line says IP4 but %q is not an IPv4 address", clip(text))
		}
	case strings.EqualFold(f[1], "IP6"):
		if !addr.Is6() {
			return netip.Addr{}, fmt.Errorf("c= line says IP6 but %q is not an IPv6 address", clip(text))
		}
	default:
		return netip.Addr{}, fmt.Errorf("unsupported address type %q in c= line", clip(f[1]))
	}
	return addr, nil
}

func (p *parser) media(val string, lineNo int) error {
	if err := p.endSection(); err != nil {
		return err
	}
	if len(p.s.Media) >= MaxMedia {
		return fmt.Errorf("%w: more than %d m= sections", ErrLimitExceeded, MaxMedia)
	}
	f := fields(val)
	if len(f) < 3 {
		return fmt.Errorf("m= line has %d fields, want at least 3 (<media> <port> <proto> <fmt> ...)", len(f))
	}
	m := Media{Type: f[0], Proto: f[2]}
	portText, countText, hasCount := strings.Cut(f[1], "/")
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return fmt.Errorf("invalid port %q in m= line", clip(f[1]))
	}
	m.Port = int(port)
	if hasCount {
		if n, err := strconv.ParseUint(countText, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("invalid port count %q in m= line", clip(f[1]))
		}
	}
	tokens := f[3:]
	if len(tokens) > MaxFormats {
		return fmt.Errorf("%w: %d formats on the m= line, the limit is %d", ErrLimitExceeded, len(tokens), MaxFormats)
	}
	p.section = sectionState{line: lineNo}
	if isRTPProto(m.Proto) {
		for _, tok := range tokens {
			pt, err := strconv.ParseUint(tok, 10, 7)
			if err != nil {
				return fmt.Errorf("invalid payload type %q in m= line, want 0..127", clip(tok))
			}
			if p.section.formatAt[pt] != 0 {
				continue // listed twice: keep the first
			}
			m.Formats = append(m.Formats, staticFormat(uint8(pt)))
			p.section.formatAt[pt] = int16(len(m.Formats))
		}
	} else if len(tokens) > 0 {
		m.RawFormats = append([]string(nil), tokens...)
	}
	p.s.Media = append(p.s.Media, m)
	p.cur = len(p.s.Media) - 1
	return nil
}

// isRTPProto reports whether an m= line's formats are RTP payload types.
func isRTPProto(proto string) bool {
	return strings.Contains(strings.ToUpper(proto), "RTP/")
}

func (p *parser) attribute(val string) error {
	name, value, hasValue := strings.Cut(val, ":")
	value = strings.TrimLeft(value, " \t")
	if p.cur < 0 {
		if p.sessionAttrs++; p.sessionAttrs > MaxAttributes {
			return fmt.Errorf("%w: more than %d session-level attributes", ErrLimitExceeded, MaxAttributes)
		}
		if d, ok := directionAttribute(name); ok && !hasValue {
			return setDirection(&p.s.Direction, d)
		}
		p.s.Other = append(p.s.Other, val)
		return nil
	}
	m := &p.s.Media[p.cur]
	if hasValue && strings.EqualFold(name, "rtpmap") {
		if handled, err := p.rtpmap(m, value); handled || err != nil {
			return err
		}
	}
	if hasValue && strings.EqualFold(name, "fmtp") {
		if handled, err := p.fmtp(m, value); handled || err != nil {
			return err
		}
	}
	if p.section.attrs++; p.section.attrs > MaxAttributes {
		return fmt.Errorf("%w: more than %d attributes in the m= section", ErrLimitExceeded, MaxAttributes)
	}
	d, isDirection := directionAttribute(name)
	switch {
	case isDirection && !hasValue:
		return setDirection(&m.Direction, d)
	case !hasValue && strings.EqualFold(name, "rtcp-mux"):
		m.RTCPMux = true
	case hasValue && strings.EqualFold(name, "ptime"):
		if p.section.sawPtime {
			return errors.New("duplicate a=ptime")
		}
		p.section.sawPtime = true
		ms, err := strconv.ParseUint(value, 10, 16)
		if err != nil || ms == 0 || ms > 1000 {
			return fmt.Errorf("invalid a=ptime %q, want 1..1000 ms", clip(value))
		}
		m.Ptime = int(ms)
	case hasValue && strings.EqualFold(name, "crypto"):
		m.Crypto = append(m.Crypto, value)
	default:
		m.Other = append(m.Other, val)
	}
	return nil
}

// directionAttribute recognises a direction attribute name, ignoring case.
func directionAttribute(name string) (Direction, bool) {
	for _, d := range [...]Direction{SendRecv, SendOnly, RecvOnly, Inactive} {
		if strings.EqualFold(name, string(d)) {
			return d, true
		}
	}
	return "", false
}

func setDirection(dst *Direction, d Direction) error {
	if *dst != "" && *dst != d {
		return fmt.Errorf("conflicting direction attributes a=%s and a=%s", *dst, d)
	}
	*dst = d
	return nil
}

// listedFormat returns the section's format for a payload type token, or nil
// when the token is not one of the m= line's payload types.
func (p *parser) listedFormat(m *Media, tok string) (*Format, uint8) {
	pt, err := strconv.ParseUint(tok, 10, 7)
	if err != nil || p.section.formatAt[pt] == 0 {
		return nil, 0
	}
	return &m.Formats[p.section.formatAt[pt]-1], uint8(pt)
}

// rtpmap applies "<pt> <name>/<rate>[/<channels>]". handled is false when the
// payload type is not on the m= line (the line is then kept in Other).
func (p *parser) rtpmap(m *Media, value string) (handled bool, err error) {
	f := fields(value)
	if len(f) == 0 {
		return false, nil
	}
	format, pt := p.listedFormat(m, f[0])
	if format == nil {
		return false, nil
	}
	if p.section.rtpmapSet[pt] {
		return true, fmt.Errorf("duplicate a=rtpmap for payload type %d", pt)
	}
	p.section.rtpmapSet[pt] = true
	if len(f) != 2 {
		return true, fmt.Errorf("invalid a=rtpmap %q, want <pt> <name>/<rate>[/<channels>]", clip(value))
	}
	parts := strings.Split(f[1], "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return true, fmt.Errorf("invalid a=rtpmap %q, want <pt> <name>/<rate>[/<channels>]", clip(value))
	}
	rate, err := strconv.ParseUint(parts[1], 10, 31)
	if err != nil || rate == 0 {
		return true, fmt.Errorf("invalid clock rate %q in a=rtpmap", clip(parts[1]))
	}
	channels := uint64(1)
	if len(parts) == 3 {
		channels, err = strconv.ParseUint(parts[2], 10, 8)
		if err != nil || channels == 0 {
			return true, fmt.Errorf("invalid channel count %q in a=rtpmap", clip(parts[2]))
		}
	}
	format.Name, format.Rate, format.Channels = parts[0], int(rate), int(channels)
	return true, nil
}

// fmtp applies "<pt> <parameters>". handled is false when the payload type is
// not on the m= line (the line is then kept in Other).
func (p *parser) fmtp(m *Media, value string) (handled bool, err error) {
	tok, params := value, ""
	if i := strings.IndexAny(value, " \t"); i >= 0 {
		tok, params = value[:i], value[i+1:]
	}
	format, pt := p.listedFormat(m, tok)
	if format == nil {
		return false, nil
	}
	if p.section.fmtpSet[pt] {
		return true, fmt.Errorf("duplicate a=fmtp for payload type %d", pt)
	}
	p.section.fmtpSet[pt] = true
	format.Fmtp = strings.Trim(params, " \t")
	return true, nil
}

// fields splits s at runs of spaces and tabs (not other Unicode spaces, so
// that what Marshal writes splits the same way).
func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
}

// clip shortens untrusted text quoted in error messages.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
