package pdu

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf16"
)

// Errors for texts that cannot be sent.
var (
	ErrCharset = errors.New("pdu: character not in the GSM 7-bit alphabet")
	ErrTooLong = errors.New("pdu: message too long")
)

// Message type indicators (TP-MTI, the low two bits of the first octet).
const (
	mtiDeliver      = 0x00
	mtiSubmit       = 0x01
	mtiStatusReport = 0x02
)

const (
	flagUDHI = 0x40
	flagSRR  = 0x20 // SUBMIT: status report request; DELIVER: SRI
	vpfRel   = 0x10 // SUBMIT: relative validity period
	vpfMask  = 0x18
	flagMMS  = 0x04 // DELIVER / STATUS-REPORT: no more messages waiting
)

// Submit is an SMS-SUBMIT: a message from us to the network.
type Submit struct {
	SMSC          string // "" uses the SIM's
	To            string // digits, "+" for international
	Ref           uint8  // TP-MR; modems replace it with their own
	RequestReport bool
	Validity      time.Duration // 0: none sent
	Encoding      Encoding      // GSM7, UCS2 or EightBit (Auto is GSM7 when it fits)
	Concat        Concat
	Text          string
	Data          []byte // EightBit payload
}

// Deliver is an SMS-DELIVER: a message from the network to us.
type Deliver struct {
	SMSC     string
	From     string // digits, "+" for international, or an alphanumeric sender
	Time     time.Time
	Encoding Encoding
	Concat   Concat
	Text     string
	Data     []byte // EightBit payload
	// StatusReportIndication: the sender asked for a status report.
	StatusReportIndication bool
}

// StatusReport is an SMS-STATUS-REPORT: the fate of a message we sent.
type StatusReport struct {
	SMSC      string
	Ref       uint8 // the TP-MR of the SMS-SUBMIT it reports on
	Recipient string
	Time      time.Time // when the SMSC received the message
	Discharge time.Time // when Status was reached
	Status    uint8     // TP-ST
}

// Delivered reports whether the message reached the recipient.
func (s StatusReport) Delivered() bool { return s.Status <= 0x02 }

// Final reports whether the SMSC has stopped trying (0x20-0x2F mean it is
// still trying).
func (s StatusReport) Final() bool { return s.Status < 0x20 || s.Status >= 0x40 }

// resolve turns Auto into the encoding text needs.
func resolve(enc Encoding, text string) (Encoding, error) {
	switch enc {
	case Auto:
		if IsGSM7(text) {
			return GSM7, nil
		}
		return UCS2, nil
	case GSM7:
		if _, bad, ok := gsmSeptets(text); !ok {
			return 0, fmt.Errorf("%w: %q", ErrCharset, bad)
		}
	}
	return enc, nil
}

// Encode returns the PDU (SMSC field first) and the TPDU length in octets
// that AT+CMGS wants.
func (s Submit) Encode() (pdu []byte, tpduLen int, err error) {
	enc, err := resolve(s.Encoding, s.Text)
	if err != nil {
		return nil, 0, err
	}
	smsc, err := encodeSMSC(s.SMSC)
	if err != nil {
		return nil, 0, err
	}
	da, err := encodeAddress(s.To)
	if err != nil {
		return nil, 0, err
	}
	first := byte(mtiSubmit)
	if s.RequestReport {
		first |= flagSRR
	}
	if s.Concat.Total > 0 {
		first |= flagUDHI
	}
	if s.Validity > 0 {
		first |= vpfRel
	}
	t := []byte{first, s.Ref}
	t = append(t, da...)
	t = append(t, 0x00, enc.dcs()) // PID, DCS
	if s.Validity > 0 {
		t = append(t, encodeValidity(s.Validity))
	}
	ud, err := encodeUserData(enc, s.Concat, s.Text, s.Data)
	if err != nil {
		return nil, 0, err
	}
	t = append(t, ud...)
	return append(smsc, t...), len(t), nil
}

// Encode returns the PDU, SMSC field first.
func (d Deliver) Encode() ([]byte, error) {
	enc, err := resolve(d.Encoding, d.Text)
	if err != nil {
		return nil, err
	}
	smsc, err := encodeSMSC(d.SMSC)
	if err != nil {
		return nil, err
	}
	oa, err := encodeAddress(d.From)
	if err != nil {
		return nil, err
	}
	first := byte(mtiDeliver | flagMMS)
	if d.Concat.Total > 0 {
		first |= flagUDHI
	}
	if d.StatusReportIndication {
		first |= flagSRR
	}
	t := append([]byte{first}, oa...)
	t = append(t, 0x00, enc.dcs())
	t = append(t, encodeTimestamp(d.Time)...)
	ud, err := encodeUserData(enc, d.Concat, d.Text, d.Data)
	if err != nil {
		return nil, err
	}
	return append(smsc, append(t, ud...)...), nil
}

// Encode returns the PDU, SMSC field first.
func (s StatusReport) Encode() ([]byte, error) {
	smsc, err := encodeSMSC(s.SMSC)
	if err != nil {
		return nil, err
	}
	ra, err := encodeAddress(s.Recipient)
	if err != nil {
		return nil, err
	}
	t := []byte{mtiStatusReport | flagMMS, s.Ref}
	t = append(t, ra...)
	t = append(t, encodeTimestamp(s.Time)...)
	t = append(t, encodeTimestamp(s.Discharge)...)
	t = append(t, s.Status)
	return append(smsc, t...), nil
}

// Decode parses a PDU (SMSC field first) into a *Submit, *Deliver or
// *StatusReport, by its message type indicator. Errors wrap ErrMalformed.
func Decode(b []byte) (any, error) {
	r := &reader{b: b}
	smsc := r.smsc()
	first := r.byte()
	if r.err != nil {
		return nil, r.err
	}
	switch first & 0x03 {
	case mtiDeliver:
		d := &Deliver{SMSC: smsc, StatusReportIndication: first&flagSRR != 0}
		d.From = r.address()
		r.byte() // PID
		dcs := r.byte()
		d.Time = r.timestamp()
		ud := r.userData(dcs, first&flagUDHI != 0)
		if r.err != nil {
			return nil, r.err
		}
		d.Encoding, d.Concat, d.Text, d.Data = ud.enc, ud.concat, ud.text, ud.data
		return d, nil
	case mtiSubmit:
		s := &Submit{SMSC: smsc, RequestReport: first&flagSRR != 0}
		s.Ref = r.byte()
		s.To = r.address()
		r.byte() // PID
		dcs := r.byte()
		switch first & vpfMask {
		case vpfRel:
			s.Validity = decodeValidity(r.byte())
		case 0x08, 0x18: // enhanced or absolute: 7 octets, not kept
			r.bytes(7)
		}
		ud := r.userData(dcs, first&flagUDHI != 0)
		if r.err != nil {
			return nil, r.err
		}
		s.Encoding, s.Concat, s.Text, s.Data = ud.enc, ud.concat, ud.text, ud.data
		return s, nil
	case mtiStatusReport:
		s := &StatusReport{SMSC: smsc}
		s.Ref = r.byte()
		s.Recipient = r.address()
		s.Time = r.timestamp()
		s.Discharge = r.timestamp()
		s.Status = r.byte()
		if r.err != nil {
			return nil, r.err
		}
		return s, nil // optional parameters after TP-ST are ignored
	}
	return nil, fmt.Errorf("%w: reserved message type", ErrMalformed)
}

// Per-part capacities.
const (
	gsm7Single = 160
	gsm7Part   = 153 // 160 minus the 7 septets of a 6-octet header
	ucs2Single = 70
	ucs2Part   = 67
)

// Split cuts text into the parts of one message: one part when it fits
// (160 GSM septets or 70 UCS-2 units), otherwise parts of 153 septets or
// 67 units, never dividing an escape pair or a surrogate pair. enc Auto
// picks GSM7 when every character fits, else UCS2; the chosen encoding is
// returned. More than maxParts parts is ErrTooLong; a GSM7 text with a
// character outside the alphabet is ErrCharset.
func Split(text string, enc Encoding, maxParts int) (Encoding, []string, error) {
	enc, err := resolve(enc, text)
	if err != nil {
		return 0, nil, err
	}
	var cost func(r rune) int
	var single, part int
	switch enc {
	case GSM7:
		cost = func(r rune) int { return len(gsmIndex[r]) }
		single, part = gsm7Single, gsm7Part
	case UCS2:
		cost = func(r rune) int { return len(utf16.Encode([]rune{r})) }
		single, part = ucs2Single, ucs2Part
	default:
		return 0, nil, fmt.Errorf("pdu: Split does not handle %v", enc)
	}
	total := 0
	for _, r := range text {
		total += cost(r)
	}
	if total <= single {
		return enc, []string{text}, nil
	}
	var parts []string
	start, used := 0, 0
	for i, r := range text {
		c := cost(r)
		if used+c > part {
			parts = append(parts, text[start:i])
			start, used = i, 0
		}
		used += c
	}
	parts = append(parts, text[start:])
	if len(parts) > maxParts || len(parts) > 255 {
		return 0, nil, fmt.Errorf("%w: %d parts, at most %d", ErrTooLong, len(parts), min(maxParts, 255))
	}
	return enc, parts, nil
}
