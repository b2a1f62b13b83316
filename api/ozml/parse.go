package ozml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ErrEmpty is returned by Parse for a body that holds no element at all
// (empty or only whitespace). Callers treat it as "no instructions": a
// RoutingInterception keeps the normal routing, a ForwardToUrl reply
// continues the current script.
var ErrEmpty = errors.New("ozml: empty document")

// ParseError is a malformed or refused document, with the position of the
// problem (Line 0 when it concerns the whole document).
type ParseError struct {
	Line, Col int
	Err       error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("ozml: %v", e.Err)
	}
	return fmt.Sprintf("ozml: line %d, column %d: %v", e.Line, e.Col, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse parses an OzML document within lim (zero fields: DefaultLimits).
// Errors are *ParseError (wrapping ErrLimit for a limit) or ErrEmpty.
func Parse(body []byte, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	if len(body) > lim.MaxDocumentBytes {
		return nil, &ParseError{Err: fmt.Errorf("document is %d bytes, more than %d: %w", len(body), lim.MaxDocumentBytes, ErrLimit)}
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	body = bytes.TrimLeft(body, " \t\r\n")
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ErrEmpty
	}
	p := parser{dec: xml.NewDecoder(bytes.NewReader(body)), lim: lim}
	p.dec.Strict = true
	p.dec.CharsetReader = charsetReader
	root, err := p.document()
	if err != nil {
		return nil, err
	}
	return &Document{Root: root}, nil
}

type parser struct {
	dec      *xml.Decoder
	lim      Limits
	elements int
}

// errorAt builds a ParseError at the decoder's current position.
func (p *parser) errorAt(err error) error {
	line, col := p.dec.InputPos()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &ParseError{Line: line, Col: col, Err: errors.New(se.Msg)}
	}
	return &ParseError{Line: line, Col: col, Err: err}
}

func (p *parser) document() (*Node, error) {
	var root *Node
	for {
		line, col := p.dec.InputPos()
		tok, err := p.dec.Token()
		if err == io.EOF {
			if root == nil {
				return nil, ErrEmpty
			}
			return root, nil
		}
		if err != nil {
			return nil, p.errorAt(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil {
				return nil, &ParseError{Line: line, Col: col, Err: errors.New("content after the root element")}
			}
			name := canonicalElement(t.Name.Local)
			if name != "response" && name != "ozml" {
				return nil, &ParseError{Line: line, Col: col, Err: fmt.Errorf("root element is <%s>, want <Response> or <OzML>", t.Name.Local)}
			}
			if root, err = p.element(t, name, line, col, 1); err != nil {
				return nil, err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, &ParseError{Line: line, Col: col, Err: errors.New("text outside the root element")}
			}
		}
	}
}

// element reads the rest of the element that start opened.
func (p *parser) element(start xml.StartElement, name string, line, col, depth int) (*Node, error) {
	if depth > p.lim.MaxDepth {
		return nil, &ParseError{Line: line, Col: col, Err: fmt.Errorf("nesting deeper than %d: %w", p.lim.MaxDepth, ErrLimit)}
	}
	p.elements++
	if p.elements > p.lim.MaxElements {
		return nil, &ParseError{Line: line, Col: col, Err: fmt.Errorf("more than %d elements: %w", p.lim.MaxElements, ErrLimit)}
	}
	n := &Node{Name: name, Line: line, Col: col}
	for _, a := range start.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		if n.Attrs == nil {
			n.Attrs = make(map[string]string, len(start.Attr))
		}
		key := canonicalAttr(name, a.Name.Local)
		if _, dup := n.Attrs[key]; !dup { // the first spelling wins
			n.Attrs[key] = a.Value
		}
	}
	kind := elements[name].children
	var text strings.Builder
	for {
		cl, cc := p.dec.InputPos()
		tok, err := p.dec.Token()
		if err != nil {
			if err == io.EOF {
				err = fmt.Errorf("<%s> opened at line %d is not closed", start.Name.Local, line)
			}
			return nil, p.errorAt(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			child := canonicalElement(t.Name.Local)
			if _, known := elements[child]; !known {
				return nil, &ParseError{Line: cl, Col: cc, Err: fmt.Errorf("unknown element <%s>", t.Name.Local)}
			}
			if !allowedIn(kind, child) {
				return nil, &ParseError{Line: cl, Col: cc, Err: fmt.Errorf("<%s> is not allowed inside <%s>", t.Name.Local, start.Name.Local)}
			}
			c, err := p.element(t, child, cl, cc, depth+1)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			n.Text = strings.TrimSpace(text.String())
			return n, nil
		}
	}
}

// charsetReader accepts the encodings OzML replies are seen with besides
// UTF-8: US-ASCII and ISO-8859-1 (Latin-1, which maps byte for byte onto
// the first 256 code points).
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		b, err := io.ReadAll(in) // bounded: the whole document is within MaxDocumentBytes
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b)*2)
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}
