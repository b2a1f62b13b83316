package digest

import (
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testRealm    = "gatepbx"
	testUser     = "alice"
	testPassword = "correct horse"
	testMethod   = "REGISTER"
	testURI      = "sip:gatepbx.lan"
)

var (
	phoneAddr = netip.MustParseAddr("127.0.0.1")
	otherAddr = netip.MustParseAddr("127.0.0.2")
	testKey   = []byte("0123456789abcdef0123456789abcdef")
)

func newTestServer(t testing.TB, clock *fakeClock, algorithms ...string) *Server {
	t.Helper()
	s, err := NewServer(Options{
		Realm:         testRealm,
		Algorithms:    algorithms,
		NonceLifetime: 5 * time.Minute,
		Secret:        testKey,
		Now:           clock.Now,
	})
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return s
}

// login builds the credentials a phone would send for nonce.
type login struct {
	user, password, algorithm, qop, nc, cnonce string
}

func (l login) credentials(nonce string) Credentials {
	return Credentials{
		Username: l.user, Realm: testRealm, Nonce: nonce, URI: testURI,
		Algorithm: l.algorithm, QOP: l.qop, NC: l.nc, CNonce: l.cnonce,
		Response: clientResponse(l.algorithm, l.user, testRealm, l.password, testMethod, testURI, nonce, l.nc, l.cnonce, l.qop),
	}
}

func goodLogin() login {
	return login{user: testUser, password: testPassword, algorithm: "MD5", qop: "auth", nc: "00000001", cnonce: "c0ffee"}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name string
		// challenged is the address the nonce was issued to; zero means phoneAddr.
		challenged netip.Addr
		login      login
		// mutate edits the credentials after the response was computed.
		mutate func(*Credentials)
		// elapsed is virtual time between challenge and Verify.
		elapsed time.Duration
		// from is the address Verify sees; zero means phoneAddr.
		from     netip.Addr
		password string // stored password; empty means testPassword
		unknown  bool   // username does not exist
		want     Result
	}{
		{name: "MD5 qop=auth", login: goodLogin(), want: OK},
		{name: "SHA-256 qop=auth", login: login{user: testUser, password: testPassword, algorithm: "SHA-256", qop: "auth", nc: "00000001", cnonce: "c0ffee"}, want: OK},
		{name: "algorithm absent means MD5", login: login{user: testUser, password: testPassword, qop: "auth", nc: "00000001", cnonce: "c0ffee"}, want: OK},
		{name: "lowercase algorithm and qop tokens", login: login{user: testUser, password: testPassword, algorithm: "sha-256", qop: "auth", nc: "1", cnonce: "c"}, want: OK},
		{name: "RFC 2069 no qop", login: login{user: testUser, password: testPassword}, want: OK},
		{name: "uppercase hex response", login: goodLogin(), mutate: func(c *Credentials) { c.Response = strings.ToUpper(c.Response) }, want: OK},
		{name: "IPv4-mapped client is the same client", login: goodLogin(), from: netip.MustParseAddr("::ffff:127.0.0.1"), want: OK},
		{name: "nearly expired nonce", login: goodLogin(), elapsed: 5 * time.Minute, want: OK},
		{name: "wrong password", login: login{user: testUser, password: "wrong", algorithm: "MD5", qop: "auth", nc: "00000001", cnonce: "c0ffee"}, want: Invalid},
		{name: "unknown user", login: goodLogin(), unknown: true, want: Invalid},
		{name: "unknown user whose password is the dummy", login: login{user: "mallory", password: unknownUserPassword, algorithm: "MD5", qop: "auth", nc: "1", cnonce: "c"}, unknown: true, want: Invalid},
		{name: "nonce issued to another address", login: goodLogin(), challenged: otherAddr, want: Invalid},
		{name: "nonce used from another address", login: goodLogin(), from: otherAddr, want: Invalid},
		{name: "expired nonce, right password", login: goodLogin(), elapsed: 5*time.Minute + time.Nanosecond, want: Stale},
		{name: "expired nonce, RFC 2069, right password", login: login{user: testUser, password: testPassword}, elapsed: time.Hour, want: Stale},
		{name: "expired nonce, wrong password", login: login{user: testUser, password: "wrong", algorithm: "MD5", qop: "auth", nc: "1", cnonce: "c"}, elapsed: time.Hour, want: Invalid},
		{name: "expired nonce, unknown user", login: goodLogin(), unknown: true, elapsed: time.Hour, want: Invalid},
		{name: "expired nonce from another address", login: goodLogin(), from: otherAddr, elapsed: time.Hour, want: Invalid},
		{name: "wrong realm", login: goodLogin(), mutate: func(c *Credentials) { c.Realm = "elsewhere" }, want: Invalid},
		{name: "algorithm not offered", login: login{user: testUser, password: testPassword, algorithm: "SHA-512-256", qop: "auth", nc: "1", cnonce: "c"}, want: Invalid},
		{name: "unknown algorithm", login: goodLogin(), mutate: func(c *Credentials) { c.Algorithm = "MD5-sess" }, want: Invalid},
		{name: "qop auth-int", login: login{user: testUser, password: testPassword, algorithm: "MD5", qop: "auth-int", nc: "1", cnonce: "c"}, want: Invalid},
		{name: "qop without cnonce", login: login{user: testUser, password: testPassword, algorithm: "MD5", qop: "auth", nc: "1"}, want: Invalid},
		{name: "qop without nc", login: login{user: testUser, password: testPassword, algorithm: "MD5", qop: "auth", cnonce: "c"}, want: Invalid},
		{name: "nc zero", login: login{user: testUser, password: testPassword, algorithm: "MD5", qop: "auth", nc: "00000000", cnonce: "c"}, want: Invalid},
		{name: "nc not hex", login: login{user: testUser, password: testPassword, algorithm: "MD5", qop: "auth", nc: "0000000g", cnonce: "c"}, want: Invalid},
		{name: "nc too long", login: login{user: testUser, password: testPassword, algorithm: "MD5", qop: "auth", nc: "000000001", cnonce: "c"}, want: Invalid},
		{name: "uri changed after hashing", login: goodLogin(), mutate: func(c *Credentials) { c.URI = "sip:other" }, want: Invalid},
		{name: "empty response", login: goodLogin(), mutate: func(c *Credentials) { c.Response = "" }, want: Invalid},
		{name: "tampered nonce", login: goodLogin(), mutate: func(c *Credentials) { c.Nonce = flipFirstChar(c.Nonce) }, want: Invalid},
		{name: "garbage nonce", login: goodLogin(), mutate: func(c *Credentials) { c.Nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093" }, want: Invalid},
		{name: "nonce with padding", login: goodLogin(), mutate: func(c *Credentials) { c.Nonce += "=" }, want: Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			s := newTestServer(t, clock)
			challenged := tt.challenged
			if !challenged.IsValid() {
				challenged = phoneAddr
			}
			from := tt.from
			if !from.IsValid() {
				from = phoneAddr
			}
			password := tt.password
			if password == "" {
				password = testPassword
			}
			nonce := nonceOf(t, s.Challenges(challenged, false)[0])
			cred := tt.login.credentials(nonce)
			// mutate runs after hashing, like an attacker editing a request.
			if tt.mutate != nil {
				tt.mutate(&cred)
			}
			clock.Advance(tt.elapsed)
			if got := s.Verify(testMethod, cred, from, password, !tt.unknown); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func flipFirstChar(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestVerifyTamperedNonceWithMatchingResponse(t *testing.T) {
	// The attacker controls both nonce and response: changing the issue time
	// to refresh an old nonce must still fail the HMAC.
	clock := newFakeClock()
	s := newTestServer(t, clock)
	nonce := nonceOf(t, s.Challenges(phoneAddr, false)[0])
	forged := flipFirstChar(nonce)
	cred := goodLogin().credentials(forged)
	if got := s.Verify(testMethod, cred, phoneAddr, testPassword, true); got != Invalid {
		t.Errorf("Verify = %v, want Invalid", got)
	}
}

func TestVerifyRejectsNonceFromAnotherServer(t *testing.T) {
	clock := newFakeClock()
	ours := newTestServer(t, clock)
	theirs, err := NewServer(Options{Realm: testRealm, Secret: []byte("another secret, long enough"), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	nonce := nonceOf(t, theirs.Challenges(phoneAddr, false)[0])
	if got := ours.Verify(testMethod, goodLogin().credentials(nonce), phoneAddr, testPassword, true); got != Invalid {
		t.Errorf("Verify = %v, want Invalid", got)
	}
}

func TestVerifyNonceCountReplay(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, clock)
	nonce := nonceOf(t, s.Challenges(phoneAddr, false)[0])
	steps := []struct {
		user, password, nc string
		want               Result
	}{
		{testUser, "wrong", "00000009", Invalid}, // failed attempts must not advance the count
		{testUser, testPassword, "00000001", OK},
		{testUser, testPassword, "00000001", Invalid}, // replay
		{testUser, testPassword, "00000002", OK},
		{testUser, testPassword, "00000001", Invalid}, // older count
		{testUser, testPassword, "0000000a", OK},      // gaps are fine
		{testUser, testPassword, "0000000A", Invalid}, // same count, other case
		{"bob", "bobpass", "00000001", OK},            // counts are per user
	}
	for i, step := range steps {
		l := login{user: step.user, password: step.password, algorithm: "MD5", qop: "auth", nc: step.nc, cnonce: "c0ffee"}
		stored := testPassword
		if step.user == "bob" {
			stored = "bobpass"
		}
		if got := s.Verify(testMethod, l.credentials(nonce), phoneAddr, stored, true); got != step.want {
			t.Errorf("step %d (%s nc=%s): Verify = %v, want %v", i, step.user, step.nc, got, step.want)
		}
	}
}

func TestVerifyConcurrentReplayAcceptsOnce(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, clock)
	nonce := nonceOf(t, s.Challenges(phoneAddr, false)[0])
	cred := goodLogin().credentials(nonce)
	const attempts = 8
	results := make(chan Result, attempts)
	var wg sync.WaitGroup
	for range attempts {
		wg.Go(func() { results <- s.Verify(testMethod, cred, phoneAddr, testPassword, true) })
	}
	wg.Wait()
	close(results)
	oks := 0
	for r := range results {
		if r == OK {
			oks++
		}
	}
	if oks != 1 {
		t.Errorf("%d of %d identical requests accepted, want exactly 1", oks, attempts)
	}
}

func TestVerifyConcurrentClients(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, clock)
	var wg sync.WaitGroup
	for i := range 8 {
		addr := netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 1)})
		wg.Go(func() {
			nonce := nonceOf(t, s.Challenges(addr, false)[0])
			for _, nc := range []string{"00000001", "00000002", "00000003"} {
				l := goodLogin()
				l.nc = nc
				if got := s.Verify(testMethod, l.credentials(nonce), addr, testPassword, true); got != OK {
					t.Errorf("client %v nc %s: Verify = %v, want OK", addr, nc, got)
				}
			}
		})
	}
	wg.Wait()
}

func TestChallenges(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, clock)
	shape := regexp.MustCompile(`^Digest realm="gatepbx", nonce="[A-Za-z0-9_-]{43}", algorithm=(MD5|SHA-256), qop="auth"(, stale=true)?$`)
	for _, stale := range []bool{false, true} {
		got := s.Challenges(phoneAddr, stale)
		if len(got) != 2 {
			t.Fatalf("got %d challenges, want 2", len(got))
		}
		for i, wantAlg := range []string{"MD5", "SHA-256"} {
			if !shape.MatchString(got[i]) {
				t.Errorf("challenge %q has the wrong shape", got[i])
			}
			if !strings.Contains(got[i], "algorithm="+wantAlg+",") {
				t.Errorf("challenge %d = %q, want algorithm %s", i, got[i], wantAlg)
			}
			if strings.HasSuffix(got[i], ", stale=true") != stale {
				t.Errorf("challenge %q: stale flag should be %v", got[i], stale)
			}
		}
		if nonceOf(t, got[0]) != nonceOf(t, got[1]) {
			t.Errorf("challenges in one response carry different nonces")
		}
	}
}

func TestChallengesQuoteRealm(t *testing.T) {
	s, err := NewServer(Options{Realm: `office "east" \ pbx`, Algorithms: []string{"sha-256"}})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Challenges(phoneAddr, false)
	want := `Digest realm="office \"east\" \\ pbx", nonce="`
	if len(got) != 1 || !strings.HasPrefix(got[0], want) || !strings.Contains(got[0], "algorithm=SHA-256,") {
		t.Errorf("Challenges = %q, want one SHA-256 challenge starting %q", got, want)
	}
}

func TestNewServerErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"no realm", Options{}},
		{"realm with newline", Options{Realm: "a\r\nX-Evil: 1"}},
		{"realm too long", Options{Realm: strings.Repeat("r", maxValueLen+1)}},
		{"unknown algorithm", Options{Realm: "r", Algorithms: []string{"MD5", "SHA-1"}}},
		{"session algorithm", Options{Realm: "r", Algorithms: []string{"MD5-sess"}}},
		{"duplicate algorithm", Options{Realm: "r", Algorithms: []string{"MD5", "md5"}}},
		{"negative lifetime", Options{Realm: "r", NonceLifetime: -time.Second}},
		{"short secret", Options{Realm: "r", Secret: []byte("short")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewServer(tt.o); err == nil {
				t.Errorf("NewServer(%+v) succeeded, want error", tt.o)
			}
		})
	}
}

func TestNewServerRandomSecret(t *testing.T) {
	// Two servers with generated secrets must not accept each other's nonces.
	a, err := NewServer(Options{Realm: testRealm})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewServer(Options{Realm: testRealm})
	if err != nil {
		t.Fatal(err)
	}
	nonce := nonceOf(t, a.Challenges(phoneAddr, false)[0])
	cred := goodLogin().credentials(nonce)
	if got := b.Verify(testMethod, cred, phoneAddr, testPassword, true); got != Invalid {
		t.Errorf("foreign nonce: Verify = %v, want Invalid", got)
	}
	if got := a.Verify(testMethod, cred, phoneAddr, testPassword, true); got != OK {
		t.Errorf("own nonce: Verify = %v, want OK", got)
	}
}

func TestResultString(t *testing.T) {
	for r, want := range map[Result]string{OK: "OK", Stale: "Stale", Invalid: "Invalid", Result(42): "Result(42)"} {
		if got := r.String(); got != want {
			t.Errorf("Result(%d).String() = %q, want %q", int(r), got, want)
		}
	}
	var zero Result
	if zero != Invalid {
		t.Errorf("zero Result is %v, want Invalid", zero)
	}
}

// Two challenges issued at the same instant to the same client must carry
// different nonces, or the nonce-count replay check would refuse the
// second phone's first answer.
func TestNoncesUniqueAtSameInstant(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	s, err := NewServer(Options{Realm: "gatepbx", Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddr("127.0.0.1")
	seen := map[string]bool{}
	for range 100 {
		c := s.Challenges(client, false)[0]
		if seen[c] {
			t.Fatalf("nonce repeated: %s", c)
		}
		seen[c] = true
	}
}
