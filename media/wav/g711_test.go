package wav

import "testing"

func TestG711KnownValues(t *testing.T) {
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"mu-law encode 0", int(muLawEncode(0)), 0xff},
		{"mu-law decode 0xff", int(muLawDecode(0xff)), 0},
		{"mu-law decode 0x80", int(muLawDecode(0x80)), 32124},
		{"mu-law decode 0x00", int(muLawDecode(0x00)), -32124},
		{"mu-law encode max", int(muLawEncode(32767)), 0x80},
		{"mu-law encode min", int(muLawEncode(-32768)), 0x00},
		{"A-law encode 0", int(aLawEncode(0)), 0xd5},
		{"A-law decode 0xd5", int(aLawDecode(0xd5)), 8},
		{"A-law decode 0x55", int(aLawDecode(0x55)), -8},
		{"A-law decode 0xaa", int(aLawDecode(0xaa)), 32256},
		{"A-law decode 0x2a", int(aLawDecode(0x2a)), -32256},
		{"A-law encode max", int(aLawEncode(32767)), 0xaa},
		{"A-law encode min", int(aLawEncode(-32768)), 0x2a},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, tt.got, tt.want)
		}
	}
}

func TestG711CodeRoundTrip(t *testing.T) {
	for b := 0; b < 256; b++ {
		if b != 0x7f { // µ-law negative zero re-encodes as positive zero
			if got := muLawEncode(muLawDecode(byte(b))); got != byte(b) {
				t.Errorf("mu-law %#02x -> %d -> %#02x", b, muLawDecode(byte(b)), got)
			}
		}
		if got := aLawEncode(aLawDecode(byte(b))); got != byte(b) {
			t.Errorf("A-law %#02x -> %d -> %#02x", b, aLawDecode(byte(b)), got)
		}
	}
}

func TestG711QuantisationError(t *testing.T) {
	// Companding error stays within half a step of the segment: at most
	// about 3% of the magnitude above the linear region.
	for x := -32768; x <= 32767; x += 7 {
		for _, c := range []struct {
			name string
			got  int16
		}{{"mu-law", muLawDecode(muLawEncode(int16(x)))}, {"A-law", aLawDecode(aLawEncode(int16(x)))}} {
			diff := int(c.got) - x
			if diff < 0 {
				diff = -diff
			}
			limit := max(abs(x)/30, 16)
			if abs(x) > 32124 {
				limit = 700 // clipped at the top code
			}
			if diff > limit {
				t.Fatalf("%s: %d -> %d (error %d > %d)", c.name, x, c.got, diff, limit)
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
