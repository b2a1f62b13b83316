package g711

// The ITU-T G.191 (STL) reference G.711 routines, transcribed as written
// there (loops and all) so the generated tables are checked against an
// independent formulation. They work on 16-bit samples.

func refUlawCompress(lin int16) byte {
	var absno int
	if lin < 0 {
		absno = int(^lin)>>2 + 33
	} else {
		absno = int(lin)>>2 + 33
	}
	if absno > 0x1FFF {
		absno = 0x1FFF
	}
	i := absno >> 6
	segno := 1
	for i != 0 {
		segno++
		i >>= 1
	}
	highNibble := 0x0008 - segno
	lowNibble := 0x000F - (absno>>segno)&0x000F
	out := highNibble<<4 | lowNibble
	if lin >= 0 {
		out |= 0x0080
	}
	return byte(out)
}

func refUlawExpand(log byte) int16 {
	sign := 1
	if log < 0x80 {
		sign = -1
	}
	mantissa := ^int(log)
	exponent := (mantissa >> 4) & 0x0007
	segment := exponent + 1
	mantissa &= 0x000F
	step := 4 << segment
	return int16(sign * ((0x0080 << exponent) + step*mantissa + step/2 - 4*33))
}

func refAlawCompress(lin int16) byte {
	var ix int
	if lin < 0 {
		ix = int(^lin) >> 4
	} else {
		ix = int(lin) >> 4
	}
	if ix > 15 {
		iexp := 1
		for ix > 16+15 {
			ix >>= 1
			iexp++
		}
		ix -= 16
		ix += iexp << 4
	}
	if lin >= 0 {
		ix |= 0x0080
	}
	return byte(ix ^ 0x0055)
}

func refAlawExpand(log byte) int16 {
	ix := int(log^0x0055) & 0x007F
	iexp := ix >> 4
	mant := ix & 0x000F
	if iexp > 0 {
		mant += 16
	}
	mant = mant<<4 + 0x0008
	if iexp > 1 {
		mant <<= iexp - 1
	}
	if log > 127 {
		return int16(mant)
	}
	return int16(-mant)
}
