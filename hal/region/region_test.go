package region

import (
	"errors"
	"testing"
	"time"

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
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		code   string
		period time.Duration
		plan   string
	}{
		{"us", 6 * time.Second, "bell202"},
		{"uk", 3 * time.Second, "etsi-fsk-dtas"},
		{"de", 5 * time.Second, "etsi-fsk"},
		{"hu", 5 * time.Second, "etsi-fsk"},
	}
	for _, tt := range tests {
		r, err := Lookup(tt.code)
		if err != nil {
			t.Fatal(err)
		}
		if r.Ring.Period() != tt.period || r.CallerID.Name != tt.plan {
			t.Errorf("%s: period %v plan %q, want %v %q", tt.code, r.Ring.Period(), r.CallerID.Name, tt.period, tt.plan)
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
