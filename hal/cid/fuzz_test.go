package cid

import (
	"testing"

	"github.com/gatepbx/gatepbx/hal"
)

func FuzzDecode(f *testing.F) {
	f.Add(Encode(hal.CallerID{Number: "3612345678", Name: "X", Time: ref}, MDMF))
	f.Add(Encode(hal.CallerID{Number: "2125551234", Time: ref}, SDMF))
	f.Add([]byte{0x80, 0})
	f.Add([]byte{0x80, 2, 0x02, 200, 0})
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := Decode(msg, ref)
		if err != nil {
			return
		}
		if len(c.Number) > MaxNumber || len(c.Name) > MaxName {
			t.Fatalf("oversized fields: %+v", c)
		}
		// What decodes re-encodes to something that decodes the same way.
		again, err := Decode(Encode(c, MDMF), ref)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if again.Number != c.Number || again.Name != c.Name || !again.Time.Equal(c.Time) {
			t.Fatalf("round trip %+v -> %+v", c, again)
		}
	})
}

func FuzzDTMFParse(f *testing.F) {
	for _, s := range []string{"A3612345C", "B10C", "D3#", "A1B2C", "", "C", "A#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, format := range []DTMFFormat{DTMFAC, DTMFAHash, DTMFDC, DTMFHash} {
			c, err := format.Parse(s)
			if err != nil {
				continue
			}
			if len(c.Number) > MaxNumber {
				t.Fatalf("%s: number %q too long", format.Name, c.Number)
			}
			if c.Number != "" {
				if back, err := format.Parse(format.Digits(c)); err != nil || back != c {
					t.Fatalf("%s: round trip of %q: %+v, %v", format.Name, s, back, err)
				}
			}
		}
	})
}

func FuzzDemodulator(f *testing.F) {
	burst := PlanBell202.Burst.Render(Encode(hal.CallerID{Number: "1"}, MDMF))
	seed := make([]byte, 0, 2*len(burst))
	for _, s := range burst {
		seed = append(seed, byte(s), byte(uint16(s)>>8))
	}
	f.Add(seed)
	f.Add([]byte{0, 0x80, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		samples := make([]int16, len(data)/2)
		for i := range samples {
			samples[i] = int16(uint16(data[2*i]) | uint16(data[2*i+1])<<8)
		}
		d := NewDemodulator(Bell202, -40)
		if m, ok := d.Feed(samples); ok && (len(m) < 3 || len(m) != int(m[1])+3) {
			t.Fatalf("message of inconsistent length: % x", m)
		}
	})
}
