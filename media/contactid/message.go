package contactid

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Qualifier says what an event report means.
type Qualifier uint8

// The three qualifiers of DC-05.
const (
	NewEvent     Qualifier = 1 // new event or opening
	NewRestore   Qualifier = 3 // new restore or closing
	StatusReport Qualifier = 6 // previously reported condition still present
)

var qualifierNames = []struct {
	q    Qualifier
	name string
}{{NewEvent, "NewEvent"}, {NewRestore, "NewRestore"}, {StatusReport, "StatusReport"}}

// String returns the API name: NewEvent, NewRestore or StatusReport.
func (q Qualifier) String() string {
	for _, n := range qualifierNames {
		if n.q == q {
			return n.name
		}
	}
	return fmt.Sprintf("Qualifier(%d)", uint8(q))
}

// ParseQualifier reads an API EventQualifier: a name (NewEvent, NewRestore,
// StatusReport, any case) or the digit 1, 3 or 6. An empty string means
// NewEvent.
func ParseQualifier(s string) (Qualifier, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return NewEvent, nil
	}
	for _, n := range qualifierNames {
		if strings.EqualFold(s, n.name) || s == strconv.Itoa(int(n.q)) {
			return n.q, nil
		}
	}
	return 0, fmt.Errorf("contactid: event qualifier %q: %w", s, ErrInvalid)
}

// Message types of DC-05.
const (
	TypeContactID    = 18 // the preferred type
	TypeContactIDAlt = 98 // the optional type
)

// Message is one Contact ID event report.
type Message struct {
	// Account is the 4-digit subscriber account, in the digits 0-9 and
	// B-F. "A" is accepted as another spelling of 0 (panels send both as
	// DTMF 0); Decode returns 0.
	Account   string
	Type      int       // message type, 18 or 98; 0 means 18
	Qualifier Qualifier // 1, 3 or 6
	Event     int       // event code 0..999
	Partition int       // 0..99 (00: the system)
	Zone      int       // zone or user number 0..999
}

// ErrInvalid is wrapped by every validation and decoding error.
var ErrInvalid = errors.New("invalid Contact ID message")

// ErrChecksum is wrapped (with ErrInvalid) when only the checksum is wrong.
var ErrChecksum = errors.New("checksum mismatch")

// MessageDigits is the length of an encoded message.
const MessageDigits = 16

// keys maps a digit value 0..15 to its DTMF key; value 0 is never sent.
const keys = "D1234567890*#ABC"

// hexDigits maps a value 0..15 to its Contact ID hex digit, with 10 as "0".
const hexDigits = "-1234567890BCDEF"

// Validate reports the first field outside its range.
func (m Message) Validate() error {
	if len(m.Account) != 4 {
		return fmt.Errorf("contactid: account %q is not 4 digits: %w", m.Account, ErrInvalid)
	}
	for i := 0; i < len(m.Account); i++ {
		if accountValue(m.Account[i]) == 0 {
			return fmt.Errorf("contactid: account %q: %q is not 0-9 or B-F: %w", m.Account, m.Account[i], ErrInvalid)
		}
	}
	if m.Type != 0 && m.Type != TypeContactID && m.Type != TypeContactIDAlt {
		return fmt.Errorf("contactid: message type %d, want 18 or 98: %w", m.Type, ErrInvalid)
	}
	switch m.Qualifier {
	case NewEvent, NewRestore, StatusReport:
	default:
		return fmt.Errorf("contactid: qualifier %d, want 1, 3 or 6: %w", m.Qualifier, ErrInvalid)
	}
	for _, f := range []struct {
		name     string
		v, limit int
	}{{"event code", m.Event, 999}, {"partition", m.Partition, 99}, {"zone", m.Zone, 999}} {
		if f.v < 0 || f.v > f.limit {
			return fmt.Errorf("contactid: %s %d outside 0..%d: %w", f.name, f.v, f.limit, ErrInvalid)
		}
	}
	return nil
}

// accountValue returns the value 1..15 of an account digit, 0 if invalid.
func accountValue(c byte) int {
	switch {
	case c == '0' || c == 'A' || c == 'a':
		return 10
	case c >= '1' && c <= '9':
		return int(c - '0')
	case c >= 'B' && c <= 'F':
		return int(c-'B') + 11
	case c >= 'b' && c <= 'f':
		return int(c-'b') + 11
	}
	return 0
}

// values returns the 15 digit values before the checksum.
func (m Message) values() [MessageDigits - 1]int {
	var v [MessageDigits - 1]int
	for i := range 4 {
		v[i] = accountValue(m.Account[i])
	}
	typ := m.Type
	if typ == 0 {
		typ = TypeContactID
	}
	dec := fmt.Sprintf("%02d%d%03d%02d%03d", typ, m.Qualifier, m.Event, m.Partition, m.Zone)
	for i := range len(dec) {
		v[4+i] = decimalValue(dec[i])
	}
	return v
}

func decimalValue(c byte) int {
	if c == '0' {
		return 10
	}
	return int(c - '0')
}

// checksum returns the value 1..15 that makes the sum a multiple of 15.
func checksum(vals []int) int {
	sum := 0
	for _, v := range vals {
		sum += v
	}
	return 15 - sum%15
}

// Encode returns the message as its 16 DTMF keys, checksum included.
func (m Message) Encode() (string, error) {
	if err := m.Validate(); err != nil {
		return "", err
	}
	v := m.values()
	var b [MessageDigits]byte
	for i, x := range v {
		b[i] = keys[x]
	}
	b[MessageDigits-1] = keys[checksum(v[:])]
	return string(b[:]), nil
}

// String returns the message in the usual spaced form, for example
// "1234 18 1 131 01 015".
func (m Message) String() string {
	typ := m.Type
	if typ == 0 {
		typ = TypeContactID
	}
	return fmt.Sprintf("%s %02d %d %03d %02d %03d", m.Account, typ, m.Qualifier, m.Event, m.Partition, m.Zone)
}

// Name returns the event code's name from the table, or "" when unknown.
func (m Message) Name() string { return EventName(m.Event) }

// keyValue returns the value 1..15 of a received DTMF key, 0 if it carries
// none (D, or not a key).
func keyValue(k byte) int {
	if k >= 'a' && k <= 'd' {
		k -= 'a' - 'A'
	}
	if k == 'D' {
		return 0
	}
	return strings.IndexByte(keys, k) // -1 for non-keys
}

// Decode parses and validates 16 received DTMF keys (0-9, *, #, A-C).
// Errors wrap ErrInvalid, and ErrChecksum when the digits are well formed
// but do not sum to a multiple of 15.
func Decode(digits string) (Message, error) {
	if len(digits) != MessageDigits {
		return Message{}, fmt.Errorf("contactid: %d digits, want %d: %w", len(digits), MessageDigits, ErrInvalid)
	}
	var v [MessageDigits]int
	sum := 0
	for i := range MessageDigits {
		x := keyValue(digits[i])
		if x <= 0 {
			return Message{}, fmt.Errorf("contactid: %q: key %q at %d carries no value: %w", digits, digits[i], i+1, ErrInvalid)
		}
		if i >= 4 && i < MessageDigits-1 && x > 10 {
			return Message{}, fmt.Errorf("contactid: %q: hex digit at %d outside the account: %w", digits, i+1, ErrInvalid)
		}
		v[i] = x
		sum += x
	}
	if sum%15 != 0 {
		return Message{}, fmt.Errorf("contactid: %q: digit sum %d not a multiple of 15: %w: %w", digits, sum, ErrInvalid, ErrChecksum)
	}
	dec := func(from, to int) int {
		n := 0
		for _, x := range v[from:to] {
			n = n*10 + x%10
		}
		return n
	}
	var acct [4]byte
	for i := range acct {
		acct[i] = hexDigits[v[i]]
	}
	m := Message{
		Account:   string(acct[:]),
		Type:      dec(4, 6),
		Qualifier: Qualifier(dec(6, 7)),
		Event:     dec(7, 10),
		Partition: dec(10, 12),
		Zone:      dec(12, 15),
	}
	if m.Type != TypeContactID && m.Type != TypeContactIDAlt {
		return Message{}, fmt.Errorf("contactid: %q: message type %02d, want 18 or 98: %w", digits, m.Type, ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return Message{}, fmt.Errorf("contactid: %q: %w", digits, err)
	}
	return m, nil
}
