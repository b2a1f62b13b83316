package api

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Request limits. Anything beyond them is answered with 300 ParseError.
const (
	maxBodyBytes   = 64 << 10 // POST body
	maxQueryBytes  = 64 << 10 // raw query string
	maxParams      = 64       // parameters in query and body together
	maxNameBytes   = 64       // a decoded parameter name
	maxValueBytes  = 4096     // a decoded parameter value
	urlEscapeBytes = 3        // "%XX" is the longest encoding of one byte
)

// paramAliases maps other spellings of parameter names, lower-cased, to the
// canonical lower-cased name: the misspellings of the published docs and the
// older XE names (reference section 4). Names are case-insensitive anyway,
// so FinishedURL needs no entry.
var paramAliases = map[string]string{
	"tranferorparty":    "transferorparty",
	"tranferredcallid":  "transferredcallid",
	"enteredurl":        "forwardtourl",
	"delivaryreporturl": "deliveryreporturl",
	"dialled":           "dialed",
}

// param is one decoded request parameter under its canonical key.
type param struct {
	key     string // lower-cased, aliases resolved
	value   string
	aliased bool // the request used an alias spelling
}

// params are a request's parameters in arrival order: POST body first,
// then query string. The first occurrence of a name wins, except that a
// canonical spelling wins over an alias.
type params struct {
	list  []param
	pairs int // name=value pairs read, duplicates and empty names included
}

// get returns the value of the parameter with the given canonical name
// (any case) and whether it was present.
func (p *params) get(name string) (string, bool) {
	for _, pr := range p.list {
		if asciiEqualFold(pr.key, name) {
			return pr.value, true
		}
	}
	return "", false
}

// value is get without the presence flag.
func (p *params) value(name string) string {
	v, _ := p.get(name)
	return v
}

func (p *params) add(key, value string, aliased bool) {
	for i, pr := range p.list {
		if pr.key == key {
			if pr.aliased && !aliased {
				p.list[i] = param{key: key, value: value}
			}
			return
		}
	}
	p.list = append(p.list, param{key: key, value: value, aliased: aliased})
}

// errParse is what every parse failure wraps; its text after the colon
// is the {0} of 300 ParseError.
var errParse = errors.New("parse")

func parseErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errParse, fmt.Sprintf(format, args...))
}

// parseDetail is the request-specific part of a parse error.
func parseDetail(err error) string {
	return strings.TrimPrefix(err.Error(), errParse.Error()+": ")
}

// parseParams decodes an application/x-www-form-urlencoded string into p,
// enforcing the limits. Pairs are separated by '&' only; '+' is a space.
// Empty pairs and pairs with an empty name are skipped (but counted).
func parseParams(p *params, raw string) error {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		p.pairs++
		if p.pairs > maxParams {
			return parseErrorf("more than %d parameters", maxParams)
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		if len(rawName) > maxNameBytes*urlEscapeBytes {
			return parseErrorf("parameter name longer than %d bytes", maxNameBytes)
		}
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return parseErrorf("invalid URL encoding in a parameter name")
		}
		if len(name) > maxNameBytes {
			return parseErrorf("parameter name longer than %d bytes", maxNameBytes)
		}
		if len(rawValue) > maxValueBytes*urlEscapeBytes {
			return parseErrorf("value of parameter '%s' longer than %d bytes", name, maxValueBytes)
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return parseErrorf("invalid URL encoding in parameter '%s'", name)
		}
		if len(value) > maxValueBytes {
			return parseErrorf("value of parameter '%s' longer than %d bytes", name, maxValueBytes)
		}
		if name == "" {
			continue
		}
		key := asciiLower(name)
		canonical, aliased := paramAliases[key]
		if aliased {
			key = canonical
		}
		p.add(key, value, aliased)
	}
	return nil
}

// asciiLower lower-cases the ASCII letters of s and leaves every other
// byte alone: names are ASCII, and a byte-preserving fold keeps the length
// limits meaningful and never makes two different non-ASCII names equal.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
