package g711

import (
	"math"
	"slices"
	"testing"
)

func TestEncodersMatchReferenceForEverySample(t *testing.T) {
	for x := math.MinInt16; x <= math.MaxInt16; x++ {
		s := int16(x)
		if got, want := Linear2Ulaw(s), refUlawCompress(s); got != want {
			t.Fatalf("Linear2Ulaw(%d) = %#02x, G.191 says %#02x", s, got, want)
		}
		if got, want := Linear2Alaw(s), refAlawCompress(s); got != want {
			t.Fatalf("Linear2Alaw(%d) = %#02x, G.191 says %#02x", s, got, want)
		}
	}
}

func TestDecodersMatchReferenceForEveryCode(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if got, want := Ulaw2Linear(b), refUlawExpand(b); got != want {
			t.Errorf("Ulaw2Linear(%#02x) = %d, G.191 says %d", b, got, want)
		}
		if got, want := Alaw2Linear(b), refAlawExpand(b); got != want {
			t.Errorf("Alaw2Linear(%#02x) = %d, G.191 says %d", b, got, want)
		}
	}
}

func TestKnownVectors(t *testing.T) {
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"µ-law 0xFF decodes to 0", int(Ulaw2Linear(0xFF)), 0},
		{"µ-law 0x7F decodes to 0", int(Ulaw2Linear(0x7F)), 0},
		{"µ-law 0x00 decodes to -32124", int(Ulaw2Linear(0x00)), -32124},
		{"µ-law 0x80 decodes to 32124", int(Ulaw2Linear(0x80)), 32124},
		{"A-law 0xD5 decodes to 8", int(Alaw2Linear(0xD5)), 8},
		{"A-law 0x55 decodes to -8", int(Alaw2Linear(0x55)), -8},
		{"A-law 0xAA decodes to 32256", int(Alaw2Linear(0xAA)), 32256},
		{"A-law 0x2A decodes to -32256", int(Alaw2Linear(0x2A)), -32256},
		{"0 encodes to µ-law silence", int(Linear2Ulaw(0)), int(UlawSilence)},
		{"0 encodes to A-law silence", int(Linear2Alaw(0)), int(AlawSilence)},
		{"-1 encodes to µ-law 0x7F", int(Linear2Ulaw(-1)), 0x7F},
		{"-1 encodes to A-law 0x55", int(Linear2Alaw(-1)), 0x55},
		{"32767 clips to µ-law 0x80", int(Linear2Ulaw(32767)), 0x80},
		{"-32768 clips to µ-law 0x00", int(Linear2Ulaw(-32768)), 0x00},
		{"32767 is A-law 0xAA", int(Linear2Alaw(32767)), 0xAA},
		{"-32768 is A-law 0x2A", int(Linear2Alaw(-32768)), 0x2A},
		{"µ-law silence transcodes to A-law silence", int(ulawToAlawTable[UlawSilence]), int(AlawSilence)},
		// A-law has no zero: its quietest code is ±8, which µ-law keeps.
		{"A-law silence (+8) transcodes to µ-law +8", int(Ulaw2Linear(alawToUlawTable[AlawSilence])), 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %d (%#x), want %d (%#x)", tt.got, tt.got, tt.want, tt.want)
			}
		})
	}
}

// TestDigitalMilliwatt decodes the G.711 µ-law digital milliwatt (a 1 kHz
// sine at 0 dBm0) and checks its power against the level the tone and
// DTMF packages assume for 0 dBm0.
func TestDigitalMilliwatt(t *testing.T) {
	seq := []byte{0x1E, 0x0B, 0x0B, 0x1E, 0x9E, 0x8B, 0x8B, 0x9E}
	var sum float64
	for _, b := range seq {
		v := float64(Ulaw2Linear(b))
		sum += v * v
	}
	rms := math.Sqrt(sum / float64(len(seq)))
	// 0 dBm0 is a sine of peak 32768*10^(-3.14/20), RMS peak/sqrt(2).
	want := 32768 * math.Pow(10, -3.14/20) / math.Sqrt2
	if dB := 20 * math.Log10(rms/want); math.Abs(dB) > 0.1 {
		t.Errorf("digital milliwatt is %.3f dB from 0 dBm0 (rms %.0f, want %.0f)", dB, rms, want)
	}
}

// quantStep returns the G.711 step size (16-bit units) of the segment that
// holds magnitude mag, for the given law.
func quantStep(law string, mag int) int {
	if law == "ulaw" {
		// µ-law segment e covers biased 14-bit magnitudes [32<<e, 64<<e).
		biased := mag>>2 + 33
		e := 0
		for biased >= 64<<e && e < 7 {
			e++
		}
		return 8 << e
	}
	// A-law: segments 0 and 1 step 16, then doubling.
	e := 0
	for mag >= 512<<e && e < 6 {
		e++
	}
	return 16 << e
}

func TestRoundTripErrorBound(t *testing.T) {
	laws := []struct {
		name   string
		enc    func(int16) byte
		dec    func(byte) int16
		maxMag int // largest magnitude coded without overload
	}{
		{"ulaw", Linear2Ulaw, Ulaw2Linear, 32635},
		{"alaw", Linear2Alaw, Alaw2Linear, 32767},
	}
	for _, law := range laws {
		t.Run(law.name, func(t *testing.T) {
			worst := 0.0
			for x := math.MinInt16; x <= math.MaxInt16; x++ {
				mag := x
				if x < 0 {
					mag = -x - 1 // one's complement: the magnitude G.711 codes
				}
				if mag > law.maxMag {
					continue // overload region: clipped, checked in TestKnownVectors
				}
				got := int(law.dec(law.enc(int16(x))))
				err := got - x
				step := quantStep(law.name, mag)
				// Half a step, plus the bits below the coder's resolution.
				if abs(err) > step/2+step/8 {
					t.Fatalf("x=%d decodes to %d: error %d exceeds half step %d", x, got, err, step/2)
				}
				if abs(x) >= 1024 {
					worst = max(worst, float64(abs(err))/float64(abs(x)))
				}
			}
			// The logarithmic law: above the lowest segments the error is a
			// roughly constant fraction of the signal (about -30 dB).
			if worst > 0.035 {
				t.Errorf("worst relative error for |x| >= 1024 is %.4f, want <= 0.035", worst)
			}
			t.Logf("worst relative error for |x| >= 1024: %.4f", worst)
		})
	}
}

func TestEncodeIsMonotonic(t *testing.T) {
	prevU, prevA := int(Ulaw2Linear(Linear2Ulaw(math.MinInt16))), int(Alaw2Linear(Linear2Alaw(math.MinInt16)))
	for x := math.MinInt16 + 1; x <= math.MaxInt16; x++ {
		u := int(Ulaw2Linear(Linear2Ulaw(int16(x))))
		a := int(Alaw2Linear(Linear2Alaw(int16(x))))
		if u < prevU || a < prevA {
			t.Fatalf("reconstruction decreases at %d", x)
		}
		prevU, prevA = u, a
	}
}

func TestEncodeOfDecodeIsIdentity(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if got := Linear2Alaw(Alaw2Linear(b)); got != b {
			t.Errorf("A-law %#02x -> %d -> %#02x", b, Alaw2Linear(b), got)
		}
		want := b
		if b == 0x7F { // µ-law "negative zero" decodes to 0, which encodes as 0xFF
			want = 0xFF
		}
		if got := Linear2Ulaw(Ulaw2Linear(b)); got != want {
			t.Errorf("µ-law %#02x -> %d -> %#02x, want %#02x", b, Ulaw2Linear(b), got, want)
		}
	}
}

func TestTranscodeMatchesLinearPath(t *testing.T) {
	identityUAU, identityAUA := 0, 0
	for c := 0; c < 256; c++ {
		b := byte(c)
		if got, want := ulawToAlawTable[b], refAlawCompress(refUlawExpand(b)); got != want {
			t.Errorf("µ %#02x -> A %#02x, linear path gives %#02x", b, got, want)
		}
		if got, want := alawToUlawTable[b], refUlawCompress(refAlawExpand(b)); got != want {
			t.Errorf("A %#02x -> µ %#02x, linear path gives %#02x", b, got, want)
		}
		if alawToUlawTable[ulawToAlawTable[b]] == b {
			identityUAU++
		}
		if ulawToAlawTable[alawToUlawTable[b]] == b {
			identityAUA++
		}
		// The transcoded value must stay within one A-law/µ-law step of
		// the original.
		lin := int(Ulaw2Linear(b))
		if d := abs(int(Alaw2Linear(ulawToAlawTable[b])) - lin); d > quantStep("alaw", abs(lin)) {
			t.Errorf("µ %#02x (%d) -> A-law %d: off by %d", b, lin, Alaw2Linear(ulawToAlawTable[b]), d)
		}
	}
	// Both laws have 256 codes but cover different ranges with different
	// resolution, so a few codes cannot survive a round trip.
	if identityUAU < 240 || identityAUA < 240 {
		t.Errorf("round trips restore %d (µ→A→µ) and %d (A→µ→A) of 256 codes, want ≥ 240", identityUAU, identityAUA)
	}
}

func TestSliceFunctions(t *testing.T) {
	src := []int16{0, 1, -1, 100, -100, 1000, -1000, 32767, -32768, 12345}
	tests := []struct {
		name   string
		dstLen int
		want   int
	}{
		{"equal lengths", len(src), len(src)},
		{"short dst", 4, 4},
		{"long dst", 20, len(src)},
		{"empty dst", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := make([]byte, tt.dstLen)
			a := make([]byte, tt.dstLen)
			if n := EncodeUlaw(u, src); n != tt.want {
				t.Fatalf("EncodeUlaw n = %d, want %d", n, tt.want)
			}
			if n := EncodeAlaw(a, src); n != tt.want {
				t.Fatalf("EncodeAlaw n = %d, want %d", n, tt.want)
			}
			for i := 0; i < tt.want; i++ {
				if u[i] != Linear2Ulaw(src[i]) || a[i] != Linear2Alaw(src[i]) {
					t.Fatalf("sample %d: slice and single-sample encoders disagree", i)
				}
			}
			lin := make([]int16, tt.dstLen)
			if n := DecodeUlaw(lin, u[:tt.want]); n != tt.want {
				t.Fatalf("DecodeUlaw n = %d", n)
			}
			for i := 0; i < tt.want; i++ {
				if lin[i] != Ulaw2Linear(u[i]) {
					t.Fatalf("DecodeUlaw sample %d", i)
				}
			}
			if n := DecodeAlaw(lin, a[:tt.want]); n != tt.want {
				t.Fatalf("DecodeAlaw n = %d", n)
			}
			for i := 0; i < tt.want; i++ {
				if lin[i] != Alaw2Linear(a[i]) {
					t.Fatalf("DecodeAlaw sample %d", i)
				}
			}
			// In-place transcoding equals out-of-place.
			inPlace := slices.Clone(u[:tt.want])
			UlawToAlaw(inPlace, inPlace)
			out := make([]byte, tt.want)
			if n := UlawToAlaw(out, u[:tt.want]); n != tt.want || !slices.Equal(inPlace, out) {
				t.Fatalf("UlawToAlaw in place %x, out of place %x (n=%d)", inPlace, out, n)
			}
			AlawToUlaw(inPlace, inPlace)
			if n := AlawToUlaw(out, out); n != tt.want || !slices.Equal(inPlace, out) {
				t.Fatalf("AlawToUlaw in place mismatch")
			}
		})
	}
}

func TestNoAllocations(t *testing.T) {
	pcm := make([]int16, 160)
	enc := make([]byte, 160)
	allocs := testing.AllocsPerRun(100, func() {
		EncodeUlaw(enc, pcm)
		DecodeUlaw(pcm, enc)
		EncodeAlaw(enc, pcm)
		DecodeAlaw(pcm, enc)
		UlawToAlaw(enc, enc)
		AlawToUlaw(enc, enc)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per frame, want 0", allocs)
	}
}

// FuzzDecodeEncode feeds arbitrary payload bytes (as they arrive in RTP)
// through every path and checks the invariants that must hold for any input.
func FuzzDecodeEncode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0xFF, 0x7F, 0x00, 0x80, 0xD5, 0x55})
	f.Add([]byte{0x1E, 0x0B, 0x0B, 0x1E, 0x9E, 0x8B, 0x8B, 0x9E})
	f.Fuzz(func(t *testing.T, payload []byte) {
		lin := make([]int16, len(payload))
		back := make([]byte, len(payload))

		DecodeAlaw(lin, payload)
		EncodeAlaw(back, lin)
		if !slices.Equal(back, payload) {
			t.Fatalf("A-law decode/encode changed %x to %x", payload, back)
		}

		DecodeUlaw(lin, payload)
		EncodeUlaw(back, lin)
		for i := range payload {
			if back[i] != payload[i] && !(payload[i] == 0x7F && back[i] == 0xFF) {
				t.Fatalf("µ-law decode/encode changed %#02x to %#02x", payload[i], back[i])
			}
		}

		UlawToAlaw(back, payload)
		for i := range payload {
			if back[i] != Linear2Alaw(Ulaw2Linear(payload[i])) {
				t.Fatalf("UlawToAlaw(%#02x) differs from the linear path", payload[i])
			}
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
