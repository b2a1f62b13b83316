package config

import (
	"strings"
	"testing"
)

func TestHashPassword(t *testing.T) {
	h1, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	h2, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are identical (salt not random)")
	}
	if !strings.HasPrefix(h1, "pbkdf2-sha256$100000$") {
		t.Errorf("hash %q does not have the documented form", h1)
	}
	for _, h := range []string{h1, h2} {
		if !CheckPassword(h, "correct horse") {
			t.Errorf("CheckPassword(%q, right password) = false", h)
		}
		if CheckPassword(h, "correct horsE") {
			t.Errorf("CheckPassword(%q, wrong password) = true", h)
		}
	}
	if _, err := HashPassword(""); err == nil {
		t.Error("HashPassword(\"\") succeeded")
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name string
		hash string
		pw   string
		want bool
	}{
		{"right", validHash, "test-password", true},
		{"wrong", validHash, "test-passworD", false},
		{"empty password", validHash, "", false},
		{"empty hash", "", "test-password", false},
		{"plain text", "test-password", "test-password", false},
		{"other scheme", strings.Replace(validHash, "pbkdf2-sha256", "pbkdf2-sha1", 1), "test-password", false},
		{"too few iterations", strings.Replace(validHash, "$1000$", "$999$", 1), "test-password", false},
		{"too many iterations", strings.Replace(validHash, "$1000$", "$100000000$", 1), "test-password", false},
		{"bad base64", strings.Replace(validHash, "$c3Nz", "$!!!!", 1), "test-password", false},
		{"extra field", validHash + "$x", "test-password", false},
		{"truncated hash", validHash[:len(validHash)-30], "test-password", false},
	}
	for _, tt := range tests {
		if got := CheckPassword(tt.hash, tt.pw); got != tt.want {
			t.Errorf("%s: CheckPassword = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHashPasswordPassesValidation(t *testing.T) {
	h, err := hashPassword("pw", minHashIterations, strings.NewReader(strings.Repeat("x", passwordSaltBytes)))
	if err != nil {
		t.Fatal(err)
	}
	c := Defaults()
	c.API.Users = []APIUser{{Username: "u", PasswordHash: h}}
	if err := Validate(&c); err != nil {
		t.Errorf("hash from hashPassword fails validation: %v", err)
	}
	if _, err := hashPassword("pw", minHashIterations, strings.NewReader("short")); err == nil {
		t.Error("hashPassword with an exhausted random source succeeded")
	}
}
