package cid

import (
	"errors"
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/hal"
)

// Message types (first byte of a caller-ID data message).
const (
	TypeSDMF    = 0x04 // single data message format: call setup
	TypeMWISDMF = 0x06 // message waiting, single format
	TypeMDMF    = 0x80 // multiple data message format: call setup
	TypeMWIMDMF = 0x82 // message waiting, multiple format
)

// MDMF parameter types (Bell GR-30 and ETSI EN 300 659-3 agree on these).
const (
	ParamDateTime     = 0x01 // "MMDDHHMM"
	ParamNumber       = 0x02
	ParamNumberAbsent = 0x04 // 'O' unavailable, 'P' private
	ParamName         = 0x07
	ParamNameAbsent   = 0x08
)

// Field limits: ETSI allows 20 digits of number and 50 characters of name;
// longer values are cut.
const (
	MaxNumber = 20
	MaxName   = 50
	// maxSDMFNumber is the SDMF limit (GR-30: 10 digits).
	maxSDMFNumber = 10
)

// Format selects the message layout.
type Format uint8

// Message formats.
const (
	MDMF Format = iota // multiple data message format (name, number, time)
	SDMF               // single data message format (time and number only)
)

// Errors Decode wraps.
var (
	ErrShort    = errors.New("cid: message truncated")
	ErrChecksum = errors.New("cid: checksum mismatch")
	ErrType     = errors.New("cid: not a call-setup message")
)

// Encode builds a complete message (type, length, body, checksum) for c.
// The time is sent as c.Time's month, day, hour and minute (omitted when
// zero); an empty number or name is sent as absent, with the reason in
// c.NumberAbsent / c.NameAbsent or "unavailable".
func Encode(c hal.CallerID, f Format) []byte {
	body := make([]byte, 0, 2+10+2+MaxNumber+2+MaxName)
	number := printable(c.Number, MaxNumber)
	switch f {
	case SDMF:
		if len(number) > maxSDMFNumber {
			number = number[:maxSDMFNumber]
		}
		body = append(body, dateTime(c.Time)...)
		if len(body) == 0 {
			body = append(body, "00000000"...)
		}
		if number == "" {
			body = append(body, absentReason(c.NumberAbsent))
		} else {
			body = append(body, number...)
		}
		return finish(TypeSDMF, body)
	default:
		if dt := dateTime(c.Time); dt != "" {
			body = appendParam(body, ParamDateTime, dt)
		}
		if number != "" {
			body = appendParam(body, ParamNumber, number)
		} else {
			body = appendParam(body, ParamNumberAbsent, string(absentReason(c.NumberAbsent)))
		}
		if name := printable(c.Name, MaxName); name != "" {
			body = appendParam(body, ParamName, name)
		} else if c.NameAbsent != 0 || number == "" {
			body = appendParam(body, ParamNameAbsent, string(absentReason(c.NameAbsent)))
		}
		return finish(TypeMDMF, body)
	}
}

func appendParam(body []byte, typ byte, value string) []byte {
	body = append(body, typ, byte(len(value)))
	return append(body, value...)
}

func finish(typ byte, body []byte) []byte {
	msg := make([]byte, 0, len(body)+3)
	msg = append(msg, typ, byte(len(body)))
	msg = append(msg, body...)
	return append(msg, Checksum(msg))
}

// Checksum is the two's complement of the modulo-256 sum of msg, so that a
// message including its checksum sums to zero.
func Checksum(msg []byte) byte {
	var sum byte
	for _, b := range msg {
		sum += b
	}
	return -sum
}

func absentReason(r byte) byte {
	if r == hal.AbsentPrivate {
		return hal.AbsentPrivate
	}
	return hal.AbsentUnavailable
}

func dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d%02d%02d%02d", int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

// printable keeps the printable ASCII of s, at most limit bytes.
func printable(s string, limit int) string {
	out := make([]byte, 0, min(len(s), limit))
	for i := 0; i < len(s) && len(out) < limit; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// Decode parses a call-setup message (SDMF or MDMF, checksum included).
// The message carries no year: the time gets ref's year, or the previous
// one if that would put it more than a day after ref. Unknown MDMF
// parameters are skipped; a malformed date is ignored.
func Decode(msg []byte, ref time.Time) (hal.CallerID, error) {
	if len(msg) < 3 {
		return hal.CallerID{}, fmt.Errorf("%w: %d bytes", ErrShort, len(msg))
	}
	n := int(msg[1])
	if len(msg) < n+3 {
		return hal.CallerID{}, fmt.Errorf("%w: length %d, have %d bytes", ErrShort, n, len(msg)-3)
	}
	msg = msg[:n+3]
	var sum byte
	for _, b := range msg {
		sum += b
	}
	if sum != 0 {
		return hal.CallerID{}, ErrChecksum
	}
	body := msg[2 : 2+n]
	var c hal.CallerID
	switch msg[0] {
	case TypeSDMF:
		if len(body) < 8 {
			return hal.CallerID{}, fmt.Errorf("%w: SDMF body of %d bytes", ErrShort, len(body))
		}
		c.Time = parseDateTime(body[:8], ref)
		rest := printable(string(body[8:]), MaxNumber)
		if rest == "O" || rest == "P" {
			c.NumberAbsent = rest[0]
		} else {
			c.Number = rest
		}
	case TypeMDMF:
		for len(body) > 0 {
			if len(body) < 2 || len(body) < 2+int(body[1]) {
				return hal.CallerID{}, fmt.Errorf("%w: parameter 0x%02x overruns the message", ErrShort, body[0])
			}
			typ, value := body[0], body[2:2+int(body[1])]
			body = body[2+int(body[1]):]
			switch typ {
			case ParamDateTime:
				if len(value) == 8 {
					c.Time = parseDateTime(value, ref)
				}
			case ParamNumber:
				c.Number = printable(string(value), MaxNumber)
			case ParamNumberAbsent:
				if len(value) > 0 {
					c.NumberAbsent = value[0]
				}
			case ParamName:
				c.Name = printable(string(value), MaxName)
			case ParamNameAbsent:
				if len(value) > 0 {
					c.NameAbsent = value[0]
				}
			}
		}
	default:
		return hal.CallerID{}, fmt.Errorf("%w: type 0x%02x", ErrType, msg[0])
	}
	return c, nil
}

func parseDateTime(b []byte, ref time.Time) time.Time {
	var v [4]int
	for i := range v {
		hi, lo := b[2*i], b[2*i+1]
		if hi < '0' || hi > '9' || lo < '0' || lo > '9' {
			return time.Time{}
		}
		v[i] = int(hi-'0')*10 + int(lo-'0')
	}
	month, day, hour, minute := v[0], v[1], v[2], v[3]
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 {
		return time.Time{}
	}
	loc := ref.Location()
	t := time.Date(ref.Year(), time.Month(month), day, hour, minute, 0, 0, loc)
	if t.Day() != day { // e.g. 31 April
		return time.Time{}
	}
	if t.After(ref.Add(24 * time.Hour)) {
		t = time.Date(ref.Year()-1, time.Month(month), day, hour, minute, 0, 0, loc)
	}
	return t
}
