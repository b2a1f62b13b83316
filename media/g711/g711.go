package g711

// Silence bytes: the codes for a zero sample.
const (
	UlawSilence byte = 0xFF
	AlawSilence byte = 0xD5
)

// Linear2Ulaw encodes one 16-bit linear sample as µ-law.
func Linear2Ulaw(s int16) byte { return ulawEncodeTable[uint16(s)>>2] }

// Ulaw2Linear decodes one µ-law byte to 16-bit linear.
func Ulaw2Linear(b byte) int16 { return ulawDecodeTable[b] }

// Linear2Alaw encodes one 16-bit linear sample as A-law.
func Linear2Alaw(s int16) byte { return alawEncodeTable[uint16(s)>>4] }

// Alaw2Linear decodes one A-law byte to 16-bit linear.
func Alaw2Linear(b byte) int16 { return alawDecodeTable[b] }

// EncodeUlaw encodes linear samples from src into µ-law bytes in dst and
// returns the number converted, min(len(dst), len(src)).
func EncodeUlaw(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, s := range src {
		dst[i] = ulawEncodeTable[uint16(s)>>2]
	}
	return n
}

// DecodeUlaw decodes µ-law bytes from src into linear samples in dst and
// returns the number converted, min(len(dst), len(src)).
func DecodeUlaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, b := range src {
		dst[i] = ulawDecodeTable[b]
	}
	return n
}

// EncodeAlaw encodes linear samples from src into A-law bytes in dst and
// returns the number converted, min(len(dst), len(src)).
func EncodeAlaw(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, s := range src {
		dst[i] = alawEncodeTable[uint16(s)>>4]
	}
	return n
}

// DecodeAlaw decodes A-law bytes from src into linear samples in dst and
// returns the number converted, min(len(dst), len(src)).
func DecodeAlaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, b := range src {
		dst[i] = alawDecodeTable[b]
	}
	return n
}

// UlawToAlaw transcodes µ-law bytes from src into A-law bytes in dst
// (in place when dst and src are the same slice) and returns the number
// converted, min(len(dst), len(src)).
func UlawToAlaw(dst, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, b := range src {
		dst[i] = ulawToAlawTable[b]
	}
	return n
}

// AlawToUlaw transcodes A-law bytes from src into µ-law bytes in dst
// (in place when dst and src are the same slice) and returns the number
// converted, min(len(dst), len(src)).
func AlawToUlaw(dst, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, b := range src {
		dst[i] = alawToUlawTable[b]
	}
	return n
}
