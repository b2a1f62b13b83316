package boards

import (
	"reflect"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name       string
		compatible []string
		want       string // "" means no match
	}{
		{"pi 4", []string{"raspberrypi,4-model-b", "brcm,bcm2711"}, "rpi-2fxs-1fxo"},
		{"pi zero 2", []string{"raspberrypi,model-zero-2-w", "brcm,bcm2837"}, "rpi-2fxs-1fxo"},
		{"bare vendor string", []string{"raspberrypi"}, "rpi-2fxs-1fxo"},
		{"other vendor", []string{"brcm,bcm2711"}, ""},
		{"vendor prefix is not a vendor", []string{"raspberrypix,1"}, ""},
		{"x86", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := Match(tt.compatible)
			if got := map[bool]string{true: p.Name}[ok]; got != tt.want {
				t.Errorf("Match(%q) = %q, %v; want %q", tt.compatible, p.Name, ok, tt.want)
			}
		})
	}
}

func TestMatchScore(t *testing.T) {
	tests := []struct {
		name       string
		rule       []string
		compatible []string
		want       int
	}{
		{"exact", []string{"raspberrypi,4-model-b"}, []string{"raspberrypi,4-model-b"}, exactMatch},
		{"exact beats vendor", []string{"raspberrypi", "raspberrypi,4-model-b"}, []string{"raspberrypi,4-model-b"}, exactMatch},
		{"vendor", []string{"raspberrypi"}, []string{"raspberrypi,3-model-b"}, vendorMatch},
		{"other model", []string{"raspberrypi,4-model-b"}, []string{"raspberrypi,3-model-b"}, noMatch},
		{"no rule", nil, []string{"raspberrypi,3-model-b"}, noMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchScore(MatchRule{DTCompatible: tt.rule}, tt.compatible); got != tt.want {
				t.Errorf("matchScore = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseCompatible(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"raspberrypi,4-model-b\x00brcm,bcm2711\x00", []string{"raspberrypi,4-model-b", "brcm,bcm2711"}},
		{"single", []string{"single"}},
		{"a\x00\x00b\n", []string{"a", "b"}},
		{"", nil},
		{"\x00", nil},
	}
	for _, tt := range tests {
		if got := ParseCompatible([]byte(tt.in)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCompatible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
