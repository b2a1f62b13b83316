package main

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// bencode is the encoding of rtpengine's ng control protocol: strings as
// <len>:<bytes>, integers as i<n>e, lists as l...e, dictionaries as d...e
// with keys sorted.

// maxBencodeDepth bounds nesting when decoding a reply.
const maxBencodeDepth = 16

var errBencode = errors.New("rtpload: malformed bencode")

// encodeDict encodes a dictionary of string values (all ng requests we
// send are of that shape).
func encodeDict(d map[string]string) []byte {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte{'d'}
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, d[k])
	}
	return append(b, 'e')
}

func appendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// decodeBencode decodes one value that must fill b exactly: string,
// int64, []any or map[string]any.
func decodeBencode(b []byte) (any, error) {
	v, rest, err := decodeValue(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errBencode, len(rest))
	}
	return v, nil
}

func decodeValue(b []byte, depth int) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("%w: truncated", errBencode)
	}
	if depth > maxBencodeDepth {
		return nil, nil, fmt.Errorf("%w: nested deeper than %d", errBencode, maxBencodeDepth)
	}
	switch c := b[0]; {
	case c == 'i':
		end := bytes.IndexByte(b, 'e')
		if end < 0 {
			return nil, nil, fmt.Errorf("%w: unterminated integer", errBencode)
		}
		n, err := strconv.ParseInt(string(b[1:end]), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: integer %q", errBencode, b[1:end])
		}
		return n, b[end+1:], nil
	case c == 'l':
		var list []any
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			v, rest, err := decodeValue(b, depth+1)
			if err != nil {
				return nil, nil, err
			}
			list, b = append(list, v), rest
		}
		if len(b) == 0 {
			return nil, nil, fmt.Errorf("%w: unterminated list", errBencode)
		}
		return list, b[1:], nil
	case c == 'd':
		dict := map[string]any{}
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			k, rest, err := decodeString(b)
			if err != nil {
				return nil, nil, err
			}
			v, rest, err := decodeValue(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			dict[k], b = v, rest
		}
		if len(b) == 0 {
			return nil, nil, fmt.Errorf("%w: unterminated dictionary", errBencode)
		}
		return dict, b[1:], nil
	case c >= '0' && c <= '9':
		s, rest, err := decodeString(b)
		return s, rest, err
	}
	return nil, nil, fmt.Errorf("%w: unexpected %q", errBencode, b[0])
}

func decodeString(b []byte) (string, []byte, error) {
	colon := bytes.IndexByte(b, ':')
	if colon < 1 || colon > 9 {
		return "", nil, fmt.Errorf("%w: string length", errBencode)
	}
	n, err := strconv.Atoi(string(b[:colon]))
	if err != nil || n < 0 || n > len(b)-colon-1 {
		return "", nil, fmt.Errorf("%w: string length %q", errBencode, b[:colon])
	}
	return string(b[colon+1 : colon+1+n]), b[colon+1+n:], nil
}
