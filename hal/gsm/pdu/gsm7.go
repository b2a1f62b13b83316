package pdu

import "strings"

// esc is the escape to the extension table.
const esc = 0x1b

// basic is the GSM 7-bit default alphabet, indexed by septet; position
// 0x1B (the escape) holds a placeholder that never matches.
var basic = []rune("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\uffffÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")

// extension is the default extension table: septet after the escape ->
// character.
var extension = map[byte]rune{
	0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\',
	0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€',
}

// gsmIndex maps characters to septets: one for the basic table, two (the
// escape first) for the extension table.
var gsmIndex = func() map[rune][]byte {
	m := make(map[rune][]byte, len(basic)+len(extension))
	for i, r := range basic {
		if i != esc {
			m[r] = []byte{byte(i)}
		}
	}
	for s, r := range extension {
		m[r] = []byte{esc, s}
	}
	return m
}()

// gsmSeptets returns the septets of s, or the first character the
// alphabet lacks.
func gsmSeptets(s string) ([]byte, rune, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		sep, ok := gsmIndex[r]
		if !ok {
			return nil, r, false
		}
		out = append(out, sep...)
	}
	return out, 0, true
}

// IsGSM7 reports whether every character of s is in the GSM 7-bit
// alphabet (default or extension table).
func IsGSM7(s string) bool {
	for _, r := range s {
		if _, ok := gsmIndex[r]; !ok {
			return false
		}
	}
	return true
}

// gsmText decodes septets; an escape before a septet the extension table
// lacks reads as that septet's basic character (TS 23.038 §6.2.1.1).
func gsmText(septets []byte) string {
	var b strings.Builder
	for i := 0; i < len(septets); i++ {
		c := septets[i] & 0x7f
		if c == esc {
			if i+1 == len(septets) {
				break
			}
			i++
			if r, ok := extension[septets[i]&0x7f]; ok {
				b.WriteRune(r)
				continue
			}
			c = septets[i] & 0x7f
			if c == esc {
				b.WriteRune(' ')
				continue
			}
		}
		b.WriteRune(basic[c])
	}
	return b.String()
}

// pack packs septets into octets after fill zero bits.
func pack(septets []byte, fill int) []byte {
	nbits := fill + 7*len(septets)
	out := make([]byte, (nbits+7)/8)
	bit := fill
	for _, s := range septets {
		v := uint16(s&0x7f) << (bit % 8)
		out[bit/8] |= byte(v)
		if bit/8+1 < len(out) {
			out[bit/8+1] |= byte(v >> 8)
		}
		bit += 7
	}
	return out
}

// unpack reads n septets starting fill bits into data; it stops early if
// data runs out.
func unpack(data []byte, fill, n int) []byte {
	out := make([]byte, 0, n)
	for i := range n {
		bit := fill + 7*i
		if bit+7 > 8*len(data) {
			break
		}
		v := uint16(data[bit/8])
		if bit/8+1 < len(data) {
			v |= uint16(data[bit/8+1]) << 8
		}
		out = append(out, byte(v>>(bit%8))&0x7f)
	}
	return out
}
