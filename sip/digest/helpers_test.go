package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// clientResponse computes a digest response the way a phone would, written
// independently of the package's own implementation.
func clientResponse(algorithm, user, realm, password, method, uri, nonce, nc, cnonce, qop string) string {
	var h func(string) string
	switch strings.ToUpper(algorithm) {
	case "", "MD5":
		h = func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	case "SHA-256":
		h = func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	case "SHA-512-256":
		h = func(s string) string { sum := sha512.Sum512_256([]byte(s)); return hex.EncodeToString(sum[:]) }
	default:
		panic("clientResponse: unknown algorithm " + algorithm)
	}
	ha1 := h(user + ":" + realm + ":" + password)
	ha2 := h(method + ":" + uri)
	if qop == "" {
		return h(ha1 + ":" + nonce + ":" + ha2)
	}
	return h(strings.Join([]string{ha1, nonce, nc, cnonce, qop, ha2}, ":"))
}

// fakeClock is a goroutine-safe virtual clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var nonceParam = regexp.MustCompile(`nonce="([^"]+)"`)

// nonceOf extracts the nonce from a challenge header value.
func nonceOf(t testing.TB, challenge string) string {
	t.Helper()
	m := nonceParam.FindStringSubmatch(challenge)
	if m == nil {
		t.Fatalf("no nonce in challenge %q", challenge)
	}
	return m[1]
}

// formatCredentials renders cred as an Authorization value, quoting every
// present parameter.
func formatCredentials(cred Credentials) string {
	var parts []string
	add := func(name, value string) {
		if value != "" {
			parts = append(parts, fmt.Sprintf("%s=%s", name, quote(value)))
		}
	}
	add("username", cred.Username)
	add("realm", cred.Realm)
	add("nonce", cred.Nonce)
	add("uri", cred.URI)
	add("response", cred.Response)
	add("algorithm", cred.Algorithm)
	add("cnonce", cred.CNonce)
	add("nc", cred.NC)
	add("qop", cred.QOP)
	add("opaque", cred.Opaque)
	return "Digest " + strings.Join(parts, ", ")
}
