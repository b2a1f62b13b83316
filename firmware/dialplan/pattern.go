package dialplan

import (
	"fmt"
	"strings"
)

// maxPatternLen bounds a pattern's length, in bytes.
const maxPatternLen = 128

// Pattern is a compiled Asterisk-style number pattern. Written with a
// leading underscore, its elements are:
//
//	X        any digit 0-9
//	Z        any digit 1-9
//	N        any digit 2-9
//	[1-5,7]  one digit of a class: digits and ranges (a comma is optional)
//	.        one or more of anything (last element only)
//	!        zero or more of anything (last element only)
//	0-9 * # +  themselves
//
// Letters X, Z and N may be given in lower case. A pattern matches the whole
// dialled string.
type Pattern struct {
	src   string
	elems []elem
	tail  byte // 0, '.' or '!'
	fixed int  // count of literal elements, for specificity
}

// elem is one position: the set of bytes it accepts.
type elem struct {
	set [256 / 64]uint64
}

func (e *elem) add(c byte)      { e.set[c/64] |= 1 << (c % 64) }
func (e *elem) has(c byte) bool { return e.set[c/64]&(1<<(c%64)) != 0 }
func (e *elem) addRange(lo, hi byte) {
	for c := lo; c <= hi; c++ {
		e.add(c)
	}
}

// literal reports whether c stands for itself in a pattern.
func literal(c byte) bool { return c >= '0' && c <= '9' || c == '*' || c == '#' || c == '+' }

// CompilePattern parses s, which must start with '_'.
func CompilePattern(s string) (Pattern, error) {
	if len(s) > maxPatternLen {
		return Pattern{}, fmt.Errorf("pattern longer than %d characters", maxPatternLen)
	}
	body, ok := strings.CutPrefix(s, "_")
	if !ok {
		return Pattern{}, fmt.Errorf("pattern %q must start with '_'", s)
	}
	if body == "" {
		return Pattern{}, fmt.Errorf("pattern %q is empty", s)
	}
	p := Pattern{src: s}
	for i := 0; i < len(body); i++ {
		c := body[i]
		var e elem
		switch {
		case c == '.' || c == '!':
			if i != len(body)-1 {
				return Pattern{}, fmt.Errorf("pattern %q: %q must be last (position %d)", s, c, i+1)
			}
			p.tail = c
			continue
		case c == 'X' || c == 'x':
			e.addRange('0', '9')
		case c == 'Z' || c == 'z':
			e.addRange('1', '9')
		case c == 'N' || c == 'n':
			e.addRange('2', '9')
		case c == '[':
			end := strings.IndexByte(body[i:], ']')
			if end < 0 {
				return Pattern{}, fmt.Errorf("pattern %q: unclosed '[' at position %d", s, i+1)
			}
			if err := parseClass(&e, body[i+1:i+end]); err != nil {
				return Pattern{}, fmt.Errorf("pattern %q: class at position %d: %w", s, i+1, err)
			}
			i += end
		case literal(c):
			e.add(c)
			p.fixed++
		default:
			return Pattern{}, fmt.Errorf("pattern %q: bad character %q at position %d", s, c, i+1)
		}
		p.elems = append(p.elems, e)
	}
	if len(p.elems) == 0 && p.tail == '!' {
		return Pattern{}, fmt.Errorf("pattern %q matches everything including nothing", s)
	}
	return p, nil
}

// parseClass fills e from the inside of [...]: literals and ranges a-b,
// optionally separated by commas; a class without any (like [,]) is an
// error, since it would match no number.
func parseClass(e *elem, s string) error {
	if strings.Trim(s, ",") == "" {
		return fmt.Errorf("empty")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ',':
		case !literal(c):
			return fmt.Errorf("bad character %q", c)
		case i+2 < len(s) && s[i+1] == '-':
			hi := s[i+2]
			if c < '0' || c > '9' || hi < '0' || hi > '9' || hi < c {
				return fmt.Errorf("bad range %c-%c", c, hi)
			}
			e.addRange(c, hi)
			i += 2
		case i+1 < len(s) && s[i+1] == '-':
			return fmt.Errorf("range %c- without an end", c)
		default:
			e.add(c)
		}
	}
	return nil
}

// Match reports whether the whole of number matches p.
func (p Pattern) Match(number string) bool {
	if len(number) < len(p.elems) {
		return false
	}
	for i := range p.elems {
		if !p.elems[i].has(number[i]) {
			return false
		}
	}
	switch rest := len(number) - len(p.elems); p.tail {
	case '.':
		return rest >= 1
	case '!':
		return true
	default:
		return rest == 0
	}
}

// String is the pattern as written.
func (p Pattern) String() string { return p.src }
