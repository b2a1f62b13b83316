package ua

import (
	"strings"
	"testing"
)

func TestReplacesCallID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc@host;to-tag=1;from-tag=2", "abc@host"},
		{" abc@host ; from-tag=2", "abc@host"},
		{"abc@host", ""},
		{"abc@host;early-only", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := replacesCallID(tc.in); got != tc.want {
			t.Errorf("replacesCallID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzReplacesCallID(f *testing.F) {
	for _, s := range []string{"abc@host;to-tag=1;from-tag=2", "x;tag=", ";;;", "a;to-tag=;from-tag=;early-only"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id := replacesCallID(s)
		if id != "" && (strings.Contains(id, ";") || !strings.Contains(s, id)) {
			t.Fatalf("replacesCallID(%q) = %q", s, id)
		}
	})
}
