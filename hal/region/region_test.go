package region

import (
	"errors"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal/daa"
	"github.com/gatepbx/gatepbx/media/tone"
)

func TestTableValid(t *testing.T) {
	for _, code := range Codes() {
		r, err := Lookup(code)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Validate(); err != nil {
			t.Error(err)
		}
		if _, err := tone.Lookup(r.Tones, tone.Busy); err != nil {
			t.Errorf("%s: tones %q: %v", code, r.Tones, err)
		}
		// The DAA country each region names exists in the DAA driver's table.
		if _, err := daa.LookupCountry(r.DAACountry); err != nil {
			t.Errorf("%s: %v", code, err)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		code    string
		period  time.Duration
		plan    string
		ringHz  int
		country string
	}{
		{"us", 6 * time.Second, "bell202", 20, "FCC"},
		{"uk", 3 * time.Second, "etsi-fsk-dtas", 25, "UK"},
		{"de", 5 * time.Second, "etsi-fsk", 25, "GERMANY"},
		{"hu", 5 * time.Second, "etsi-fsk", 25, "HUNGARY"},
	}
	for _, tt := range tests {
		r, err := Lookup(tt.code)
		if err != nil {
			t.Fatal(err)
		}
		if r.Ring.Period() != tt.period || r.CallerID.Name != tt.plan {
			t.Errorf("%s: period %v plan %q, want %v %q", tt.code, r.Ring.Period(), r.CallerID.Name, tt.period, tt.plan)
		}
		if r.RingHz != tt.ringHz || r.DAACountry != tt.country || r.FlashMin != 100*time.Millisecond || r.FlashMax != 700*time.Millisecond {
			t.Errorf("%s: ring %d Hz, DAA country %q, flash %v-%v", tt.code, r.RingHz, r.DAACountry, r.FlashMin, r.FlashMax)
		}
	}
	if _, err := Lookup("xx"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Lookup(xx) = %v", err)
	}
	a, _ := Lookup("us")
	a.Ring.On[0] = 0
	if b, _ := Lookup("us"); b.Ring.On[0] == 0 {
		t.Error("Lookup returned shared cadence slices")
	}
}
