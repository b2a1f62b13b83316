package digest

import (
	"errors"
	"fmt"
	"strings"
)

// Limits on what ParseCredentials accepts.
const (
	maxHeaderLen = 4096
	maxValueLen  = 1024
)

var (
	// ErrNotDigest is returned by ParseCredentials when the header uses
	// another authentication scheme (Basic, Bearer, ...).
	ErrNotDigest = errors.New("digest: not a Digest authorization")
	// ErrMalformed is returned by ParseCredentials for a Digest header that
	// cannot be parsed or lacks a required parameter.
	ErrMalformed = errors.New("digest: malformed authorization")
)

// Credentials is a parsed Authorization or Proxy-Authorization value.
// Values are unquoted and unescaped; unknown parameters are ignored.
type Credentials struct {
	Username, Realm, Nonce, URI, Response, Algorithm, CNonce, NC, QOP, Opaque string
}

// credentialFields maps the lowercase parameter names we keep to their field.
var credentialFields = [...]struct {
	name     string
	required bool
	field    func(*Credentials) *string
}{
	{"username", true, func(c *Credentials) *string { return &c.Username }},
	{"realm", true, func(c *Credentials) *string { return &c.Realm }},
	{"nonce", true, func(c *Credentials) *string { return &c.Nonce }},
	{"uri", true, func(c *Credentials) *string { return &c.URI }},
	{"response", true, func(c *Credentials) *string { return &c.Response }},
	{"algorithm", false, func(c *Credentials) *string { return &c.Algorithm }},
	{"cnonce", false, func(c *Credentials) *string { return &c.CNonce }},
	{"nc", false, func(c *Credentials) *string { return &c.NC }},
	{"qop", false, func(c *Credentials) *string { return &c.QOP }},
	{"opaque", false, func(c *Credentials) *string { return &c.Opaque }},
}

// ParseCredentials parses an Authorization / Proxy-Authorization header
// value of the form `Digest k=v, k="v", ...`.
//
// The scheme and parameter names are case-insensitive; values may be tokens
// or quoted strings with backslash escapes; whitespace around '=' and ',' and
// empty list elements are tolerated. It rejects other schemes (ErrNotDigest)
// and, with ErrMalformed, syntax errors, control characters in values,
// duplicate parameters, values over 1024 bytes, headers over 4096 bytes and
// a missing or empty username, realm, nonce, uri or response.
func ParseCredentials(header string) (Credentials, error) {
	if len(header) > maxHeaderLen {
		return Credentials{}, fmt.Errorf("%w: header is %d bytes, limit %d", ErrMalformed, len(header), maxHeaderLen)
	}
	params, ok := cutDigestScheme(header)
	if !ok {
		return Credentials{}, ErrNotDigest
	}
	var (
		cred  Credentials
		found [len(credentialFields)]bool
		other map[string]bool // unknown parameters seen, for duplicate detection
	)
	p := paramParser{s: params}
	for {
		name, value, more, err := p.next()
		if err != nil {
			return Credentials{}, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if !more {
			break
		}
		name = strings.ToLower(name)
		known := false
		for i, f := range credentialFields {
			if f.name != name {
				continue
			}
			known = true
			if found[i] {
				return Credentials{}, fmt.Errorf("%w: duplicate parameter %q", ErrMalformed, name)
			}
			found[i] = true
			*f.field(&cred) = value
			break
		}
		if known {
			continue
		}
		if other[name] {
			return Credentials{}, fmt.Errorf("%w: duplicate parameter %q", ErrMalformed, name)
		}
		if other == nil {
			other = make(map[string]bool)
		}
		other[name] = true
	}
	for _, f := range credentialFields {
		if f.required && *f.field(&cred) == "" {
			return Credentials{}, fmt.Errorf("%w: missing %s", ErrMalformed, f.name)
		}
	}
	return cred, nil
}

// cutDigestScheme strips a case-insensitive "Digest" scheme and the
// whitespace after it.
func cutDigestScheme(header string) (params string, ok bool) {
	const scheme = "digest"
	s := strings.TrimLeft(header, " \t\r\n")
	if len(s) < len(scheme) || !strings.EqualFold(s[:len(scheme)], scheme) {
		return "", false
	}
	rest := s[len(scheme):]
	if rest != "" && !isSpace(rest[0]) {
		return "", false // e.g. "DigestX" is another scheme
	}
	return rest, true
}

// paramParser reads a comma-separated auth-param list.
type paramParser struct {
	s   string
	pos int
}

// next returns the next name/value pair; more is false at the end of input.
func (p *paramParser) next() (name, value string, more bool, err error) {
	// Skip whitespace and empty list elements.
	for p.pos < len(p.s) && (isSpace(p.s[p.pos]) || p.s[p.pos] == ',') {
		p.pos++
	}
	if p.pos == len(p.s) {
		return "", "", false, nil
	}
	start := p.pos
	for p.pos < len(p.s) && isTokenChar(p.s[p.pos]) {
		p.pos++
	}
	name = p.s[start:p.pos]
	if name == "" {
		return "", "", false, fmt.Errorf("expected parameter name at offset %d", p.pos)
	}
	p.skipSpace()
	if p.pos == len(p.s) || p.s[p.pos] != '=' {
		return "", "", false, fmt.Errorf("expected '=' after %q", name)
	}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '"' {
		value, err = p.quoted()
	} else {
		value, err = p.bare()
	}
	if err != nil {
		return "", "", false, fmt.Errorf("parameter %q: %w", name, err)
	}
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] != ',' {
		return "", "", false, fmt.Errorf("expected ',' after parameter %q", name)
	}
	return name, value, true, nil
}

// quoted reads a quoted-string starting at the opening quote.
func (p *paramParser) quoted() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	var unescaped *strings.Builder // only allocated when an escape is seen
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			var v string
			if unescaped != nil {
				v = unescaped.String()
			} else {
				v = p.s[start:p.pos]
			}
			p.pos++
			if len(v) > maxValueLen {
				return "", fmt.Errorf("value is %d bytes, limit %d", len(v), maxValueLen)
			}
			return v, nil
		case c == '\\':
			if p.pos+1 == len(p.s) {
				return "", errors.New("unterminated escape")
			}
			if unescaped == nil {
				unescaped = &strings.Builder{}
				unescaped.WriteString(p.s[start:p.pos])
			}
			escaped := p.s[p.pos+1]
			if isControl(escaped) {
				return "", errors.New("control character in value")
			}
			unescaped.WriteByte(escaped)
			p.pos += 2
		case isControl(c):
			return "", errors.New("control character in value")
		default:
			if unescaped != nil {
				unescaped.WriteByte(c)
			}
			p.pos++
		}
		if unescaped != nil && unescaped.Len() > maxValueLen {
			return "", fmt.Errorf("value exceeds %d bytes", maxValueLen)
		}
	}
	return "", errors.New("unterminated quoted string")
}

// bare reads an unquoted value: everything up to whitespace or ','. It is
// more lenient than RFC token syntax because some phones send URIs unquoted.
func (p *paramParser) bare() (string, error) {
	start := p.pos
	for p.pos < len(p.s) && !isSpace(p.s[p.pos]) && p.s[p.pos] != ',' {
		c := p.s[p.pos]
		if c == '"' || c == '\\' || isControl(c) {
			return "", fmt.Errorf("unexpected character %q in unquoted value", c)
		}
		p.pos++
	}
	v := p.s[start:p.pos]
	if v == "" {
		return "", errors.New("empty value")
	}
	if len(v) > maxValueLen {
		return "", fmt.Errorf("value is %d bytes, limit %d", len(v), maxValueLen)
	}
	return v, nil
}

func (p *paramParser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isControl reports ASCII control characters other than horizontal tab.
func isControl(c byte) bool { return (c < 0x20 && c != '\t') || c == 0x7f }

// isTokenChar reports RFC 3261 token characters.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-.!%*_+`'~", c) >= 0
}
