package wav

// G.711 companding after the ITU-T reference (Sun's g711.c), computed rather
// than tabled: a few integer operations per sample.

const (
	muLawBias = 0x84
	muLawClip = 32635
)

// muLawEncode compands a 16-bit linear sample to µ-law.
func muLawEncode(sample int16) byte {
	x := int(sample)
	sign := 0
	if x < 0 {
		x = -x
		sign = 0x80
	}
	if x > muLawClip {
		x = muLawClip
	}
	x += muLawBias
	exponent := 7
	for mask := 0x4000; x&mask == 0 && exponent > 0; mask >>= 1 {
		exponent--
	}
	mantissa := (x >> (exponent + 3)) & 0x0f
	return ^byte(sign | exponent<<4 | mantissa)
}

// muLawDecode expands a µ-law byte to a 16-bit linear sample.
func muLawDecode(u byte) int16 {
	u = ^u
	t := (int(u&0x0f) << 3) + muLawBias
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(muLawBias - t)
	}
	return int16(t - muLawBias)
}

// aLawEncode compands a 16-bit linear sample to A-law.
func aLawEncode(sample int16) byte {
	pcm := int(sample) >> 3 // A-law works on 13 bits
	var mask byte = 0xd5
	if pcm < 0 {
		mask = 0x55
		pcm = -pcm - 1
	}
	segment := 0
	for segment < 8 && pcm > (0x20<<segment)-1 {
		segment++
	}
	if segment >= 8 {
		return 0x7f ^ mask
	}
	value := byte(segment << 4)
	if segment < 2 {
		value |= byte(pcm>>1) & 0x0f
	} else {
		value |= byte(pcm>>segment) & 0x0f
	}
	return value ^ mask
}

// aLawDecode expands an A-law byte to a 16-bit linear sample.
func aLawDecode(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0f) << 4
	segment := int(a&0x70) >> 4
	switch segment {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= segment - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
