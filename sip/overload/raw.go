package overload

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
)

// rawRequest is what the guard reads from a datagram without sipgo's
// parser: the method, the top Via's branch, and the header lines a
// response must copy (RFC 3261 8.2.6.2), each with its continuation
// lines. The slices point into the datagram.
type rawRequest struct {
	method string
	branch string
	vias   [][]byte
	from   []byte
	to     []byte
	callID []byte
	cseq   []byte
}

// scan reads data as a SIP request. ok is false for a response, a
// malformed start line or a message without a Via.
func scan(data []byte) (r rawRequest, ok bool) {
	head := data
	lines := splitLines(head)
	if len(lines) == 0 {
		return r, false
	}
	method, rest, found := bytes.Cut(lines[0], []byte(" "))
	if !found || len(method) == 0 || !isToken(method) || !bytes.HasSuffix(bytes.TrimSpace(rest), []byte("SIP/2.0")) {
		return r, false // a response starts with "SIP/2.0 "; it has no token method before a space
	}
	r.method = string(method)
	for i := 1; i < len(lines); i++ {
		start := i
		for i+1 < len(lines) && len(lines[i+1]) > 0 && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			i++ // folded continuation
		}
		field := joinLines(head, lines[start], lines[i])
		name, value, found := bytes.Cut(field, []byte(":"))
		if !found {
			continue
		}
		switch canonical(bytes.TrimSpace(name)) {
		case "via":
			if len(r.vias) == 0 {
				r.branch = viaBranch(value)
			}
			r.vias = append(r.vias, field)
		case "from":
			r.from = field
		case "to":
			r.to = field
		case "call-id":
			r.callID = field
		case "cseq":
			r.cseq = field
		}
	}
	if len(r.vias) == 0 {
		return rawRequest{}, false
	}
	return r, true
}

// splitLines splits a message's start line and header fields at LF,
// dropping a CR before it, up to the empty line before the body; the
// lines point into msg.
func splitLines(msg []byte) [][]byte {
	var lines [][]byte
	for len(msg) > 0 {
		line, rest, _ := bytes.Cut(msg, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		lines = append(lines, line)
		msg = rest
	}
	return lines
}

// joinLines is the part of head from the start of first to the end of
// last (one header field with its continuation lines, line ends kept).
func joinLines(head, first, last []byte) []byte {
	if len(first) == 0 || len(last) == 0 {
		return first
	}
	off := func(b []byte) int { return cap(head) - cap(b) }
	return head[off(first) : off(last)+len(last)]
}

// canonical maps a header name, long or compact, to its lower-case long
// form for the fields a response copies; others map to "".
func canonical(name []byte) string {
	switch {
	case bytes.EqualFold(name, []byte("via")) || bytes.EqualFold(name, []byte("v")):
		return "via"
	case bytes.EqualFold(name, []byte("from")) || bytes.EqualFold(name, []byte("f")):
		return "from"
	case bytes.EqualFold(name, []byte("to")) || bytes.EqualFold(name, []byte("t")):
		return "to"
	case bytes.EqualFold(name, []byte("call-id")) || bytes.EqualFold(name, []byte("i")):
		return "call-id"
	case bytes.EqualFold(name, []byte("cseq")):
		return "cseq"
	}
	return ""
}

// viaBranch is the branch parameter of a Via field value's first entry.
func viaBranch(value []byte) string {
	first, _, _ := bytes.Cut(value, []byte(","))
	_, params, _ := bytes.Cut(first, []byte(";"))
	return param(params, "branch")
}

// param is the value of parameter name in a ";"-separated list.
func param(params []byte, name string) string {
	for len(params) > 0 {
		var p []byte
		p, params, _ = bytes.Cut(params, []byte(";"))
		k, v, _ := bytes.Cut(p, []byte("="))
		if bytes.EqualFold(bytes.TrimSpace(k), []byte(name)) {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// hasTag reports whether a To or From field carries a tag parameter:
// after the address, which is inside <...> when it has angle brackets
// and else ends at the first ";".
func hasTag(field []byte) bool {
	_, value, _ := bytes.Cut(field, []byte(":"))
	var params []byte
	if i := bytes.LastIndexByte(value, '>'); i >= 0 {
		_, params, _ = bytes.Cut(value[i+1:], []byte(";"))
	} else {
		_, params, _ = bytes.Cut(value, []byte(";"))
	}
	return param(params, "tag") != ""
}

func isToken(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte(`()<>@,;:\"/[]?={}`), c) >= 0 {
			return false
		}
	}
	return true
}

// serviceUnavailable is a stateless 503 answering r, with Retry-After
// and a To tag of its own when the request had none; ok is false when r
// lacks a field a response needs.
func (r rawRequest) serviceUnavailable(retryAfter int, server string) (b []byte, ok bool) {
	if r.from == nil || r.to == nil || r.callID == nil || r.cseq == nil {
		return nil, false
	}
	b = append(b, "SIP/2.0 503 Service Unavailable\r\n"...)
	for _, v := range r.vias {
		b = append(append(b, v...), "\r\n"...)
	}
	b = append(append(b, r.from...), "\r\n"...)
	b = append(b, bytes.TrimRight(r.to, " \t")...)
	if !hasTag(r.to) {
		var tag [4]byte
		for i := range tag {
			tag[i] = byte(rand.Uint32())
		}
		b = append(append(b, ";tag="...), hex.EncodeToString(tag[:])...)
	}
	b = append(b, "\r\n"...)
	b = append(append(b, r.callID...), "\r\n"...)
	b = append(append(b, r.cseq...), "\r\n"...)
	b = append(append(append(b, "Retry-After: "...), strconv.Itoa(max(retryAfter, 1))...), "\r\n"...)
	if server != "" {
		b = append(append(append(b, "Server: "...), server...), "\r\n"...)
	}
	return append(b, "Content-Length: 0\r\n\r\n"...), true
}
