package pdu

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("pdu: malformed")

// ErrAddress is wrapped when a phone number cannot be encoded.
var ErrAddress = errors.New("pdu: invalid phone number")

// reader walks a PDU, failing once it runs out.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, a...)...)
	}
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail("field of %d octets, %d left", n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// Type-of-address values.
const (
	toaInternational = 0x91
	toaUnknown       = 0x81
	tonMask          = 0x70
	tonInternational = 0x10
	tonAlphanumeric  = 0x50
)

// semi-octet digits: 0-9 * # a b c
const bcdDigits = "0123456789*#abc"

// encodeAddress returns the TP address field (digit count, TOA, swapped
// BCD). "+" marks an international number.
func encodeAddress(number string) ([]byte, error) {
	toa := byte(toaUnknown)
	digits := number
	if strings.HasPrefix(digits, "+") {
		toa, digits = toaInternational, digits[1:]
	}
	if len(digits) == 0 || len(digits) > 20 {
		return nil, fmt.Errorf("%w: %q must have 1 to 20 digits", ErrAddress, number)
	}
	bcd, err := swapBCD(digits)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrAddress, number, err)
	}
	return append([]byte{byte(len(digits)), toa}, bcd...), nil
}

// encodeSMSC returns the SMSC field: its octet length first; "" gives the
// single 0 octet (use the SIM's SMSC).
func encodeSMSC(number string) ([]byte, error) {
	if number == "" {
		return []byte{0}, nil
	}
	a, err := encodeAddress(number)
	if err != nil {
		return nil, err
	}
	return append([]byte{byte(len(a) - 1)}, a[1:]...), nil
}

func swapBCD(digits string) ([]byte, error) {
	out := make([]byte, (len(digits)+1)/2)
	for i := 0; i < len(digits); i++ {
		v := strings.IndexByte(bcdDigits[:12], digits[i])
		if v < 0 {
			return nil, fmt.Errorf("%q is not a digit", digits[i])
		}
		if i%2 == 0 {
			out[i/2] = 0xf0 | byte(v)
		} else {
			out[i/2] = out[i/2]&0x0f | byte(v)<<4
		}
	}
	return out, nil
}

func unswapBCD(b []byte, n int) string {
	var s strings.Builder
	for i := 0; i < n && i/2 < len(b); i++ {
		v := b[i/2] & 0x0f
		if i%2 == 1 {
			v = b[i/2] >> 4
		}
		if v == 0x0f {
			break
		}
		s.WriteByte(bcdDigits[v])
	}
	return s.String()
}

// readAddress reads a TP address (length in digits).
func (r *reader) address() string {
	n := int(r.byte())
	toa := r.byte()
	if n > 40 {
		r.fail("address of %d digits", n)
		return ""
	}
	b := r.bytes((n + 1) / 2)
	if r.err != nil {
		return ""
	}
	if toa&tonMask == tonAlphanumeric {
		return gsmText(unpack(b, 0, len(b)*8/7))
	}
	s := unswapBCD(b, n)
	if toa&tonMask == tonInternational && s != "" {
		s = "+" + s
	}
	return s
}

// smsc reads the leading SMSC field (length in octets).
func (r *reader) smsc() string {
	n := int(r.byte())
	if n == 0 {
		return ""
	}
	toa := r.byte()
	b := r.bytes(n - 1)
	s := unswapBCD(b, 2*len(b))
	if toa&tonMask == tonInternational && s != "" {
		s = "+" + s
	}
	return s
}

// timestamp reads a 7-octet service-centre time stamp.
func (r *reader) timestamp() time.Time {
	b := r.bytes(7)
	if r.err != nil {
		return time.Time{}
	}
	d := func(c byte) int { return int(c&0x0f)*10 + int(c>>4) }
	for _, c := range b[:6] {
		if c&0x0f > 9 || c>>4 > 9 {
			r.fail("time stamp digit")
			return time.Time{}
		}
	}
	quarters := int(b[6]&0x07)*10 + int(b[6]>>4)
	if b[6]>>4 > 9 {
		r.fail("time zone digit")
		return time.Time{}
	}
	if b[6]&0x08 != 0 {
		quarters = -quarters
	}
	zone := time.FixedZone("", quarters*15*60)
	return time.Date(2000+d(b[0]), time.Month(d(b[1])), d(b[2]), d(b[3]), d(b[4]), d(b[5]), 0, zone)
}

// encodeTimestamp is the inverse of timestamp (years 2000-2099).
func encodeTimestamp(t time.Time) []byte {
	_, off := t.Zone()
	q := off / (15 * 60)
	neg := q < 0
	if neg {
		q = -q
	}
	sw := func(v int) byte { return byte(v%10)<<4 | byte(v/10%10) }
	tz := sw(q)
	if neg {
		tz |= 0x08
	}
	return []byte{sw(t.Year() % 100), sw(int(t.Month())), sw(t.Day()), sw(t.Hour()), sw(t.Minute()), sw(t.Second()), tz}
}

// encodeValidity returns the relative validity-period octet for at least d.
func encodeValidity(d time.Duration) byte {
	switch {
	case d <= 12*time.Hour:
		return byte(max(0, min(143, int((d+5*time.Minute-1)/(5*time.Minute))-1)))
	case d <= 24*time.Hour:
		return byte(143 + (d-12*time.Hour+30*time.Minute-1)/(30*time.Minute))
	case d <= 30*24*time.Hour:
		return byte(166 + (d+24*time.Hour-1)/(24*time.Hour))
	default:
		return byte(min(255, 192+int((d+7*24*time.Hour-1)/(7*24*time.Hour))))
	}
}

// decodeValidity is the period a relative validity octet stands for.
func decodeValidity(v byte) time.Duration {
	switch {
	case v <= 143:
		return time.Duration(v+1) * 5 * time.Minute
	case v <= 167:
		return 12*time.Hour + time.Duration(v-143)*30*time.Minute
	case v <= 196:
		return time.Duration(v-166) * 24 * time.Hour
	default:
		return time.Duration(v-192) * 7 * 24 * time.Hour
	}
}

// Encoding is the alphabet of a message's text.
type Encoding uint8

// The data coding schemes. Auto picks GSM7 when every character fits,
// UCS2 otherwise.
const (
	Auto Encoding = iota
	GSM7
	EightBit
	UCS2
)

func (e Encoding) String() string {
	return [...]string{"auto", "gsm7", "8bit", "ucs2"}[min(int(e), 3)]
}

func (e Encoding) dcs() byte {
	switch e {
	case EightBit:
		return 0x04
	case UCS2:
		return 0x08
	}
	return 0x00
}

// dcsEncoding interprets a data coding scheme octet.
func dcsEncoding(dcs byte) (Encoding, error) {
	switch {
	case dcs&0xc0 == 0x00: // general data coding
		if dcs&0x20 != 0 {
			return 0, fmt.Errorf("%w: compressed text", ErrMalformed)
		}
		switch dcs & 0x0c {
		case 0x00:
			return GSM7, nil
		case 0x04:
			return EightBit, nil
		case 0x08:
			return UCS2, nil
		}
		return 0, fmt.Errorf("%w: reserved alphabet in DCS %#02x", ErrMalformed, dcs)
	case dcs&0xf0 == 0xf0: // data coding / message class
		if dcs&0x04 != 0 {
			return EightBit, nil
		}
		return GSM7, nil
	case dcs&0xf0 == 0xc0, dcs&0xf0 == 0xd0: // message waiting, GSM7
		return GSM7, nil
	case dcs&0xf0 == 0xe0: // message waiting, UCS2
		return UCS2, nil
	}
	return 0, fmt.Errorf("%w: reserved DCS %#02x", ErrMalformed, dcs)
}

// Concat identifies one part of a concatenated message; Total 0 means the
// message stands alone.
type Concat struct {
	Ref   uint16 // the same for every part
	Total uint8  // parts in all
	Seq   uint8  // this part, from 1
}

// udh encodes the concatenation header (8-bit reference when it fits).
func (c Concat) udh() []byte {
	if c.Total == 0 {
		return nil
	}
	if c.Ref > 0xff {
		return []byte{6, 0x08, 4, byte(c.Ref >> 8), byte(c.Ref), c.Total, c.Seq}
	}
	return []byte{5, 0x00, 3, byte(c.Ref), c.Total, c.Seq}
}

// parseUDH reads the information elements of a user-data header (without
// its length octet) and keeps the concatenation one.
func parseUDH(h []byte) (Concat, error) {
	var c Concat
	for len(h) > 0 {
		if len(h) < 2 || int(h[1]) > len(h)-2 {
			return Concat{}, fmt.Errorf("%w: user-data header element", ErrMalformed)
		}
		iei, data := h[0], h[2:2+int(h[1])]
		h = h[2+int(h[1]):]
		switch {
		case iei == 0x00 && len(data) == 3:
			c = Concat{Ref: uint16(data[0]), Total: data[1], Seq: data[2]}
		case iei == 0x08 && len(data) == 4:
			c = Concat{Ref: uint16(data[0])<<8 | uint16(data[1]), Total: data[2], Seq: data[3]}
		}
	}
	if c.Total == 0 || c.Seq == 0 || c.Seq > c.Total {
		return Concat{}, nil // absent or invalid: treat as a single message
	}
	return c, nil
}

// userData holds the user data of any PDU type.
type userData struct {
	enc    Encoding
	concat Concat
	text   string
	data   []byte // 8-bit payload
}

// encodeUserData returns UDL and UD. text must already fit its encoding.
func encodeUserData(enc Encoding, c Concat, text string, data []byte) ([]byte, error) {
	udh := c.udh()
	switch enc {
	case GSM7:
		septets, bad, ok := gsmSeptets(text)
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrCharset, bad)
		}
		hdrSeptets, fill := 0, 0
		if udh != nil {
			hdrBits := len(udh) * 8
			hdrSeptets = (hdrBits + 6) / 7
			fill = hdrSeptets*7 - hdrBits
		}
		udl := hdrSeptets + len(septets)
		if udl > 160 {
			return nil, fmt.Errorf("%w: %d septets", ErrTooLong, udl)
		}
		packed := pack(septets, fill)
		return append(append([]byte{byte(udl)}, udh...), packed...), nil
	case UCS2:
		u := utf16.Encode([]rune(text))
		body := make([]byte, 0, 2*len(u))
		for _, x := range u {
			body = append(body, byte(x>>8), byte(x))
		}
		data = body
	case EightBit:
	default:
		return nil, fmt.Errorf("pdu: encoding %v", enc)
	}
	udl := len(udh) + len(data)
	if udl > 140 {
		return nil, fmt.Errorf("%w: %d octets", ErrTooLong, udl)
	}
	return append(append([]byte{byte(udl)}, udh...), data...), nil
}

// userData reads UDL and UD.
func (r *reader) userData(dcs byte, udhi bool) userData {
	enc, err := dcsEncoding(dcs)
	if err != nil {
		if r.err == nil {
			r.err = err
		}
		return userData{}
	}
	udl := int(r.byte())
	if r.err != nil {
		return userData{}
	}
	ud := userData{enc: enc}
	var octets int
	if enc == GSM7 {
		if udl > 160 {
			r.fail("UDL %d septets", udl)
			return userData{}
		}
		octets = (udl*7 + 7) / 8
	} else {
		if udl > 140 {
			r.fail("UDL %d octets", udl)
			return userData{}
		}
		octets = udl
	}
	body := r.bytes(min(octets, len(r.b)))
	if r.err != nil {
		return userData{}
	}
	if len(body) < octets {
		r.fail("user data of %d octets, %d present", octets, len(body))
		return userData{}
	}
	hdrLen := 0
	if udhi {
		if len(body) == 0 || int(body[0])+1 > len(body) {
			r.fail("user-data header longer than the data")
			return userData{}
		}
		hdrLen = int(body[0]) + 1
		if ud.concat, err = parseUDH(body[1:hdrLen]); err != nil {
			r.err = err
			return userData{}
		}
	}
	switch enc {
	case GSM7:
		skip := (hdrLen*8 + 6) / 7
		if skip > udl {
			r.fail("user-data header longer than the data")
			return userData{}
		}
		septets := unpack(body, skip*7, udl-skip)
		ud.text = gsmText(septets)
	case UCS2:
		b := body[hdrLen:]
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		ud.text = string(utf16.Decode(u))
	case EightBit:
		ud.data = append([]byte(nil), body[hdrLen:]...)
	}
	return ud
}
