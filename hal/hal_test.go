package hal

import (
	"strings"
	"testing"
	"time"
)

func TestEventTypeString(t *testing.T) {
	tests := []struct {
		in   EventType
		want string
	}{
		{OffHook, "off-hook"},
		{OnHook, "on-hook"},
		{Flash, "flash"},
		{Digit, "digit"},
		{RingStart, "ring-start"},
		{RingStop, "ring-stop"},
		{PolarityReversal, "polarity-reversal"},
		{BatteryLost, "battery-lost"},
		{BatteryRestored, "battery-restored"},
		{Fault, "fault"},
		{0, "EventType(0)"},
		{-3, "EventType(-3)"},
		{CallerIDReceived, "caller-id"},
		{Disconnect, "disconnect"},
		{Disconnect + 1, "EventType(13)"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("EventType(%d).String() = %q, want %q", int(tt.in), got, tt.want)
		}
	}
}

func TestValidDigit(t *testing.T) {
	const valid = "0123456789*#ABCD"
	for b := 0; b < 256; b++ {
		want := strings.IndexByte(valid, byte(b)) >= 0
		if got := ValidDigit(byte(b)); got != want {
			t.Errorf("ValidDigit(%q) = %v, want %v", byte(b), got, want)
		}
	}
}

func TestKindValid(t *testing.T) {
	tests := []struct {
		kind Kind
		want bool
	}{
		{KindFXS, true},
		{KindFXO, true},
		{"", false},
		{"FXS", false},
		{"e1", false},
	}
	for _, tt := range tests {
		if got := tt.kind.Valid(); got != tt.want {
			t.Errorf("Kind(%q).Valid() = %v, want %v", tt.kind, got, tt.want)
		}
	}
}

func TestCadenceValidate(t *testing.T) {
	s := time.Second
	tests := []struct {
		name    string
		cadence Cadence
		wantErr string // "" means valid
	}{
		{"us", Cadence{Name: "us", On: []time.Duration{2 * s}, Off: []time.Duration{4 * s}}, ""},
		{"uk double", Cadence{Name: "uk", On: []time.Duration{400 * time.Millisecond, 400 * time.Millisecond}, Off: []time.Duration{200 * time.Millisecond, 2 * s}}, ""},
		{"no pause", Cadence{On: []time.Duration{s}, Off: []time.Duration{0}}, ""},
		{"empty", Cadence{Name: "x"}, "no ring bursts"},
		{"unpaired", Cadence{On: []time.Duration{s, s}, Off: []time.Duration{s}}, "2 bursts but 1 pauses"},
		{"zero burst", Cadence{On: []time.Duration{0}, Off: []time.Duration{s}}, "must be positive"},
		{"negative pause", Cadence{On: []time.Duration{s}, Off: []time.Duration{-s}}, "must not be negative"},
		{"too long", Cadence{On: make9(s), Off: make9(s)}, "at most 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cadence.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func make9(d time.Duration) []time.Duration {
	out := make([]time.Duration, MaxCadencePairs+1)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestCadencePeriod(t *testing.T) {
	c := Cadence{On: []time.Duration{400 * time.Millisecond, 400 * time.Millisecond}, Off: []time.Duration{200 * time.Millisecond, 2 * time.Second}}
	if got, want := c.Period(), 3*time.Second; got != want {
		t.Errorf("Period() = %v, want %v", got, want)
	}
}

func TestSystemClockAfterFuncRuns(t *testing.T) {
	var clock Clock = SystemClock{}
	fired := make(chan struct{})
	clock.AfterFunc(0, func() { close(fired) })
	<-fired
	if clock.Now().IsZero() {
		t.Error("Now() is zero")
	}
	if clock.AfterFunc(time.Hour, func() {}).Stop() != true {
		t.Error("Stop() on a pending timer = false, want true")
	}
}
