package api

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The envelope as the reference shows it (.NET XmlSerializer style): no
// encoding in the declaration, both namespace attributes, two-space
// indentation, no newline after </Response>.
const (
	envelopeHead = "<?xml version=\"1.0\"?>\n" +
		"<Response xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n"
	envelopeTail = "</Response>"
	indentUnit   = "  "
)

// xmlWriter appends one <Response> document to buf. Elements nest by
// depth; text is escaped by appendText. It never fails: every string is
// made well-formed XML on the way out.
type xmlWriter struct {
	buf   []byte
	depth int
}

// envelope starts a response: declaration, <Response>, <Code>, <Message>.
// Command-specific elements follow; finish closes the document.
func (w *xmlWriter) envelope(code Code, message string) {
	w.buf = append(w.buf[:0], envelopeHead...)
	w.depth = 1
	w.leaf("Code", strconv.Itoa(int(code)))
	w.leaf("Message", message)
}

func (w *xmlWriter) finish() {
	w.buf = append(w.buf, envelopeTail...)
	w.depth = 0
}

func (w *xmlWriter) indent() {
	for range w.depth {
		w.buf = append(w.buf, indentUnit...)
	}
}

// open writes <name> on its own line and nests what follows.
func (w *xmlWriter) open(name string) {
	w.indent()
	w.buf = append(w.buf, '<')
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, ">\n"...)
	w.depth++
}

// close ends the element open started.
func (w *xmlWriter) close(name string) {
	w.depth--
	w.indent()
	w.buf = append(w.buf, "</"...)
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, ">\n"...)
}

// empty writes <name /> as XmlSerializer does for an empty string or list.
func (w *xmlWriter) empty(name string) {
	w.indent()
	w.buf = append(w.buf, '<')
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, " />\n"...)
}

// leaf writes <name>text</name>, or <name /> when text is empty.
func (w *xmlWriter) leaf(name, text string) {
	if text == "" {
		w.empty(name)
		return
	}
	w.startLeaf(name)
	w.buf = appendText(w.buf, text)
	w.endLeaf(name)
}

// leafTime writes a time as the reference does ("2019-04-09 10:34:07"),
// in loc; a zero time is written empty.
func (w *xmlWriter) leafTime(name string, t time.Time, loc *time.Location) {
	if t.IsZero() {
		w.empty(name)
		return
	}
	w.startLeaf(name)
	w.buf = t.In(loc).AppendFormat(w.buf, timeLayout)
	w.endLeaf(name)
}

// leafSeconds writes a duration in seconds with three decimals: 0.749.
func (w *xmlWriter) leafSeconds(name string, d time.Duration) {
	w.startLeaf(name)
	w.buf = strconv.AppendFloat(w.buf, d.Seconds(), 'f', 3, 64)
	w.endLeaf(name)
}

func (w *xmlWriter) startLeaf(name string) {
	w.indent()
	w.buf = append(w.buf, '<')
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, '>')
}

func (w *xmlWriter) endLeaf(name string) {
	w.buf = append(w.buf, "</"...)
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, ">\n"...)
}

// appendText appends s as XML character data. Only & < > are escaped, so
// quotes stay literal as in the reference; a carriage return becomes
// &#xD; so that it survives the parser's line-end normalisation. Bytes
// that are not UTF-8 and characters XML 1.0 forbids (controls other than
// tab, CR and LF; U+FFFE, U+FFFF) become U+FFFD.
func appendText(buf []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				buf = append(buf, "&amp;"...)
			case c == '<':
				buf = append(buf, "&lt;"...)
			case c == '>':
				buf = append(buf, "&gt;"...)
			case c == '\r':
				buf = append(buf, "&#xD;"...)
			case c < 0x20 && c != '\t' && c != '\n':
				buf = append(buf, "\uFFFD"...)
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
			buf = append(buf, "\uFFFD"...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return buf
}
