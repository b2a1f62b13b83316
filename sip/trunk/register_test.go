package trunk

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// newClient is a sipgo client on loopback, closed with the test.
func newClient(t *testing.T) *sipgo.Client {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// statuses collects a registration's status changes.
type statuses struct {
	ch chan Status
}

func newStatuses() *statuses { return &statuses{ch: make(chan Status, 64)} }

func (s *statuses) add(st Status) { s.ch <- st }

// waitFor returns the first status that satisfies ok, failing the test
// after limit (a bound, not a timing assertion).
func (s *statuses) waitFor(t *testing.T, limit time.Duration, what string, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case st := <-s.ch:
			if ok(st) {
				return st
			}
		case <-deadline:
			t.Fatalf("no status with %s within %v", what, limit)
			return Status{}
		}
	}
}

const (
	testUser     = "gw1001"
	testPassword = "s3cret-trunk"
	testRealm    = "provider.test"
)

// startProvider runs a SIPp scenario from testdata as the provider.
func startProvider(t *testing.T, scenario string, vars map[string]string) *sipptest.Peer {
	t.Helper()
	sipptest.Need(t)
	all := map[string]string{"USER": testUser, "PASSWORD": testPassword, "REALM": testRealm}
	for k, v := range vars {
		all[k] = v
	}
	path := sipptest.Render(t, []string{"testdata"}, scenario, nil, all)
	// SIPp answers where each request came from; the target is unused.
	target := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(sipptest.FreePort(t)))
	return sipptest.Start(t, sipptest.Config{Scenario: path, Target: target})
}

func testConfig(registrar string) Config {
	return Config{Name: "provider", Registrar: registrar, Domain: testRealm, Username: testUser, Password: testPassword,
		Register: true, Expires: 60, RetryMin: time.Second, RetryMax: 8 * time.Second}
}

func contactURI() sip.Uri { return sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5099} }

// TestRegisterRefreshUnregister registers with a SIPp registrar that
// challenges, checks the digest, grants 2 s (so the refresh comes after
// 1 s of real time), then 60 s; Close must unregister.
func TestRegisterRefreshUnregister(t *testing.T) {
	t.Parallel()
	peer := startProvider(t, "registrar.xml", map[string]string{"EXPIRES_ASKED": "60", "EXPIRES1": "2", "EXPIRES2": "60"})
	st := newStatuses()
	before := make(chan string, 8) // BeforeRegister: once per REGISTER sent by the loop
	reg, err := NewRegistration(testConfig("127.0.0.1:"+strconv.Itoa(peer.Port())), Options{
		Client: newClient(t), Contact: contactURI(), RequestTimeout: 10 * time.Second, OnChange: st.add, Logger: quiet,
		BeforeRegister: func(_ context.Context, trunk string) { before <- trunk },
	})
	if err != nil {
		t.Fatal(err)
	}
	reg.Start()
	t.Cleanup(func() { reg.Close() }) // after a failure; Close again is harmless
	first := st.waitFor(t, 20*time.Second, "first registration", func(s Status) bool { return s.Registrations == 1 || s.State == StateFailed || s.State == StateBackoff })
	if first.State != StateRegistered {
		t.Fatalf("first status %+v\n%v", first, peer.Wait())
	}
	if d := first.NextAttempt.Sub(first.Expires); d != -time.Second {
		t.Errorf("refresh %v before expiry, want 1s (half of 2s)", -d)
	}
	second := st.waitFor(t, 20*time.Second, "refresh", func(s Status) bool { return s.Registrations == 2 || s.State != StateRegistered })
	if second.State != StateRegistered || second.Expires.Sub(second.NextAttempt) != 30*time.Second {
		t.Fatalf("after refresh %+v", second)
	}
	if n := len(before); n != 2 {
		t.Errorf("BeforeRegister ran %d times, want 2 (the registration and the refresh)", n)
	} else if name := <-before; name != "provider" {
		t.Errorf("BeforeRegister got trunk %q", name)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if s := reg.Status(); s.State != StateClosed {
		t.Errorf("after Close: %+v", s)
	}
	if err := peer.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestRegisterForbidden: a 403 after the digest is a failure with the
// reason kept, and backoff before the next try.
func TestRegisterForbidden(t *testing.T) {
	t.Parallel()
	peer := startProvider(t, "forbidden.xml", nil)
	st := newStatuses()
	cfg := testConfig("127.0.0.1:" + strconv.Itoa(peer.Port()))
	cfg.RetryMin = time.Minute // no second attempt during the test
	cfg.RetryMax = time.Hour
	reg, err := NewRegistration(cfg, Options{Client: newClient(t), Contact: contactURI(), RequestTimeout: 10 * time.Second, OnChange: st.add, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	reg.Start()
	t.Cleanup(func() { reg.Close() })
	s := st.waitFor(t, 20*time.Second, "a failure", func(s Status) bool { return s.State != StateRegistering })
	if s.State != StateFailed || !strings.Contains(s.LastError, "403") || s.Failures != 1 || s.NextAttempt.Sub(time.Now()) < 50*time.Second {
		t.Fatalf("status %+v, want Failed with 403 and a retry a minute on", s)
	}
	if err := peer.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestInviteAuth: an outbound INVITE challenged with 407 is answered with
// the trunk's credentials, which SIPp verifies.
func TestInviteAuth(t *testing.T) {
	t.Parallel()
	peer := startProvider(t, "invite_auth.xml", nil)
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "15551234", Host: testRealm})
	req.SetDestination("127.0.0.1:" + strconv.Itoa(peer.Port()))
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: testUser, Host: "127.0.0.1", Port: 5099}})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := NewAuthorizer(testUser, testPassword).Do(ctx, newClient(t), req)
	if err != nil {
		t.Fatal(err, peer.Wait())
	}
	if res.StatusCode != sip.StatusBusyHere {
		t.Fatalf("final response %d, want 486 after the credentials", res.StatusCode)
	}
	if err := peer.Wait(); err != nil {
		t.Fatal(err)
	}
}

// fakeProvider answers REGISTERs from a script: a status code, or a
// transport error when the code is 0. Pure-logic tests only.
type fakeProvider struct {
	mu     sync.Mutex
	script []int
	seen   []*sip.Request
}

func (f *fakeProvider) Do(ctx context.Context, req *sip.Request, _ ...sipgo.ClientRequestOption) (*sip.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, req.Clone())
	if len(f.script) == 0 {
		return nil, errors.New("script exhausted")
	}
	code := f.script[0]
	f.script = f.script[1:]
	if code == 0 {
		return nil, context.DeadlineExceeded
	}
	res := sip.NewResponseFromRequest(req, code, "", nil)
	switch code {
	case 401:
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", `Digest realm="r", nonce="n1", algorithm=MD5`))
	case 423:
		res.AppendHeader(sip.NewHeader("Min-Expires", "600"))
	case 200:
		res.AppendHeader(sip.NewHeader("Expires", "120"))
	}
	return res, nil
}

// stepClock hands each wait to the test, which fires it.
type stepClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan stepWait
}

type stepWait struct {
	d    time.Duration
	fire chan time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	w := stepWait{d: d, fire: make(chan time.Time, 1)}
	c.waits <- w
	return w.fire
}

// next takes the registration's next wait, moves time on by it and fires it.
func (c *stepClock) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case w := <-c.waits:
		c.mu.Lock()
		c.now = c.now.Add(w.d)
		now := c.now
		c.mu.Unlock()
		w.fire <- now
		return w.d
	case <-time.After(10 * time.Second):
		t.Fatal("registration never waited")
		return 0
	}
}

// TestBackoff drives the loop by an injected clock: timeouts and 5xx are
// Backoff, 403 is Failed, waits double up to RetryMax, a success resets
// them and the refresh comes 30 s before expiry; 423 retries at once with
// Min-Expires.
func TestBackoff(t *testing.T) {
	t.Parallel()
	prov := &fakeProvider{script: []int{0, 503, 403, 401, 401, 0, 423, 200, 0}}
	clock := &stepClock{now: time.Unix(1_700_000_000, 0), waits: make(chan stepWait, 16)}
	st := newStatuses()
	cfg := testConfig("provider.test")
	reg, err := NewRegistration(cfg, Options{Client: prov, Contact: contactURI(), Clock: clock, OnChange: st.add, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	reg.Start()
	defer reg.Close()
	steps := []struct {
		state State
		err   string
		wait  time.Duration
	}{
		{StateBackoff, "deadline exceeded", time.Second},
		{StateBackoff, "503", 2 * time.Second},
		{StateFailed, "403", 4 * time.Second},
		{StateFailed, "credentials rejected", 8 * time.Second}, // same nonce challenged again
		{StateBackoff, "deadline exceeded", 8 * time.Second},   // capped
		{StateRegistered, "", 90 * time.Second},                // after 423 → 600 asked; granted 120 → refresh 30 s early
		{StateBackoff, "deadline exceeded", time.Second},       // reset after the success
	}
	for i, step := range steps {
		s := st.waitFor(t, 10*time.Second, "a result", func(s Status) bool { return s.State != StateRegistering })
		if s.State != step.state || !strings.Contains(s.LastError, step.err) {
			t.Fatalf("step %d: status %+v, want %s with %q", i, s, step.state, step.err)
		}
		if d := clock.next(t); d != step.wait {
			t.Fatalf("step %d: waited %v, want %v", i, d, step.wait)
		}
	}
	prov.mu.Lock()
	defer prov.mu.Unlock()
	var asked []string
	for _, r := range prov.seen {
		asked = append(asked, r.GetHeader("Expires").Value())
	}
	if got := strings.Join(asked, ","); got != "60,60,60,60,60,60,60,600,600" {
		t.Errorf("Expires asked %s", got)
	}
	if prov.seen[4].GetHeader("Authorization") == nil || prov.seen[3].GetHeader("Authorization") != nil {
		t.Error("credentials not sent after the challenge only")
	}
	if a, b := prov.seen[0].CSeq().SeqNo, prov.seen[len(prov.seen)-1].CSeq().SeqNo; b <= a || prov.seen[0].CallID().Value() != prov.seen[len(prov.seen)-1].CallID().Value() {
		t.Error("CSeq must grow and Call-ID stay the same")
	}
}
