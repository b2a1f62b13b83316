package digest

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const (
	defaultNonceLifetime = 5 * time.Minute
	generatedSecretLen   = 32
	minSecretLen         = 16
	// unknownUserPassword stands in for the password of a username that does
	// not exist so that the hashing work is the same as for a real user.
	unknownUserPassword = "gatepbx-unknown-user-dummy-password"
)

// Options configures a Server. Zero values select the defaults.
type Options struct {
	// Realm is sent in challenges and must match in credentials. Required.
	Realm string
	// Algorithms are offered in this order, one challenge each: "MD5",
	// "SHA-256" or "SHA-512-256" (case-insensitive). Default ["MD5","SHA-256"].
	Algorithms []string
	// NonceLifetime is how long a nonce is accepted before it is Stale.
	// Default 5 minutes.
	NonceLifetime time.Duration
	// Secret is the HMAC key for stateless nonces, at least 16 bytes.
	// If empty, 32 random bytes are generated (nonces then die with the
	// process, which only costs clients one stale re-challenge).
	Secret []byte
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Server issues digest challenges and verifies credentials. It is safe for
// concurrent use.
type Server struct {
	realm         string
	algorithms    []algorithm
	nonceLifetime time.Duration
	secret        []byte
	now           func() time.Time
	counts        *nonceCounts
	nonceSeq      atomic.Uint64 // makes every nonce unique
}

// Result is the outcome of Verify.
type Result int

const (
	// Invalid means reject: wrong password, unknown user, foreign or forged
	// nonce, replayed nonce count, or an unacceptable parameter. It is the
	// zero value so that a forgotten assignment fails closed.
	Invalid Result = iota
	// OK means the credentials are correct and fresh.
	OK
	// Stale means the credentials are correct but the nonce has expired:
	// re-challenge with stale=true.
	Stale
)

// String returns "OK", "Stale" or "Invalid".
func (r Result) String() string {
	switch r {
	case OK:
		return "OK"
	case Stale:
		return "Stale"
	case Invalid:
		return "Invalid"
	}
	return "Result(" + strconv.Itoa(int(r)) + ")"
}

// NewServer validates o and returns a Server.
func NewServer(o Options) (*Server, error) {
	if o.Realm == "" {
		return nil, fmt.Errorf("digest: realm is required")
	}
	if len(o.Realm) > maxValueLen || strings.ContainsFunc(o.Realm, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fmt.Errorf("digest: realm %q must be at most %d bytes without control characters", o.Realm, maxValueLen)
	}
	names := o.Algorithms
	if len(names) == 0 {
		names = defaultAlgorithms[:]
	}
	algorithms := make([]algorithm, 0, len(names))
	for _, name := range names {
		a, ok := lookupAlgorithm(name)
		if !ok {
			return nil, fmt.Errorf("digest: unsupported algorithm %q", name)
		}
		for _, have := range algorithms {
			if have.name == a.name {
				return nil, fmt.Errorf("digest: algorithm %q listed twice", name)
			}
		}
		algorithms = append(algorithms, a)
	}
	lifetime := o.NonceLifetime
	switch {
	case lifetime == 0:
		lifetime = defaultNonceLifetime
	case lifetime < 0:
		return nil, fmt.Errorf("digest: negative nonce lifetime %v", lifetime)
	}
	secret := append([]byte(nil), o.Secret...)
	switch {
	case len(secret) == 0:
		secret = make([]byte, generatedSecretLen)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("digest: generating nonce secret: %w", err)
		}
	case len(secret) < minSecretLen:
		return nil, fmt.Errorf("digest: secret is %d bytes, need at least %d", len(secret), minSecretLen)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Server{
		realm:         o.Realm,
		algorithms:    algorithms,
		nonceLifetime: lifetime,
		secret:        secret,
		now:           now,
		counts:        newNonceCounts(maxTrackedNonces, lifetime),
	}, nil
}

// Challenges returns one WWW-Authenticate / Proxy-Authenticate value per
// configured algorithm, in order, all carrying the same fresh nonce bound to
// client, e.g. `Digest realm="gatepbx", nonce="...", algorithm=MD5, qop="auth"`.
// stale=true is appended when stale is set.
func (s *Server) Challenges(client netip.Addr, stale bool) []string {
	nonce := s.makeNonce(s.now().UnixNano(), client)
	realm := quote(s.realm)
	challenges := make([]string, 0, len(s.algorithms))
	for _, a := range s.algorithms {
		var b strings.Builder
		b.WriteString(`Digest realm=`)
		b.WriteString(realm)
		b.WriteString(`, nonce="`)
		b.WriteString(nonce)
		b.WriteString(`", algorithm=`)
		b.WriteString(a.name)
		b.WriteString(`, qop="auth"`)
		if stale {
			b.WriteString(`, stale=true`)
		}
		challenges = append(challenges, b.String())
	}
	return challenges
}

// Verify checks cred for a request with the given method from client.
//
// password is the user's password; known=false means the username does not
// exist, in which case the same hashing work is done with a dummy password
// and the result is Invalid, so unknown users and wrong passwords look the
// same. The realm must match, the algorithm (absent means MD5) must be one we
// offer, qop must be "auth" or absent (RFC 2069), and the nonce must have been
// issued by us to client. An expired nonce gives Stale only when the response
// is otherwise correct. With qop=auth, the nonce count must increase for each
// (algorithm, username, nonce); a repeated or lower count is Invalid.
//
// Verify does not compare cred.URI with the Request-URI; callers that care
// should do that themselves.
func (s *Server) Verify(method string, cred Credentials, client netip.Addr, password string, known bool) Result {
	alg, ok := s.offeredAlgorithm(cred.Algorithm)
	if !ok || cred.Realm != s.realm {
		return Invalid
	}
	var nonceCount uint32
	if cred.QOP != "" {
		if !strings.EqualFold(cred.QOP, "auth") || cred.CNonce == "" {
			return Invalid
		}
		nonceCount, ok = parseNonceCount(cred.NC)
		if !ok {
			return Invalid
		}
	}
	issued, ok := s.openNonce(cred.Nonce, client)
	if !ok {
		return Invalid
	}

	if !known {
		password = unknownUserPassword
	}
	expected := alg.response(digestInput{
		username: cred.Username, realm: cred.Realm, password: password,
		method: method, uri: cred.URI, nonce: cred.Nonce,
		qop: cred.QOP, nc: cred.NC, cnonce: cred.CNonce,
	})
	match := subtle.ConstantTimeCompare([]byte(expected), []byte(strings.ToLower(cred.Response))) == 1
	if !match || !known {
		return Invalid
	}

	now := s.now().UnixNano()
	if !s.fresh(issued, now) {
		return Stale
	}
	if cred.QOP == "" {
		return OK // RFC 2069 style: no nonce count to check
	}
	// All challenges in one 401 share a nonce, so counts are kept per
	// algorithm as well as per user.
	key := alg.name + "\x00" + cred.Username + "\x00" + cred.Nonce
	return s.counts.advance(key, issued, nonceCount, now)
}

// offeredAlgorithm finds the named algorithm among those we offer; an empty
// name means MD5 (RFC 2617).
func (s *Server) offeredAlgorithm(name string) (algorithm, bool) {
	if name == "" {
		name = "MD5"
	}
	for _, a := range s.algorithms {
		if strings.EqualFold(a.name, name) {
			return a, true
		}
	}
	return algorithm{}, false
}

// fresh reports whether a nonce issued at issued is still within its
// lifetime at now. A nonce from the "future" (the wall clock stepped back)
// is tolerated by the same amount.
func (s *Server) fresh(issued, now int64) bool {
	age := time.Duration(now - issued)
	return age <= s.nonceLifetime && age >= -s.nonceLifetime
}

// parseNonceCount parses the nc parameter: 1 to 8 hex digits, not zero.
func parseNonceCount(nc string) (uint32, bool) {
	if nc == "" || len(nc) > 8 {
		return 0, false
	}
	n, err := strconv.ParseUint(nc, 16, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint32(n), true
}

// quote renders s as a quoted-string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
