package app

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/sip/sipptest"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// The end-to-end tests drive the appliance with SIPp, a real SIP peer,
// over loopback (see package sipptest). They need the sipp binary (Debian
// package sip-tester); `make test` installs it.

var testPasswords = map[string]string{"101": "pw101-Secret", "102": "pw102-Secret", "103": "pw103-Secret"}

// scenario renders a testdata/sipp scenario with vars and with parts
// (.part files, "" for none) in its <!--HANGUP--> slot, in order.
func scenario(t *testing.T, name string, vars map[string]string, parts ...string) string {
	t.Helper()
	var use []string
	for _, p := range parts {
		if p != "" {
			use = append(use, p)
		}
	}
	vars = maps.Clone(vars)
	if vars == nil {
		vars = map[string]string{}
	}
	for k, v := range map[string]string{"INVITEHEADERS": "", "RINGMS": "1"} {
		if _, ok := vars[k]; !ok {
			vars[k] = v
		}
	}
	return sipptest.Render(t, []string{filepath.Join("testdata", "sipp")}, name, use, vars)
}

// rtpWindows hands each test appliance its own RTP port window in
// [10000, 20000): below the kernel's ephemeral ports, where FreePort
// finds SIPp's ports and OS-assigned sockets live (a shared range let
// SIPp fail to bind), and below the gatepbx command tests' 20000-29998.
// Windows go round from a random start, so a port one test's call used
// is not another's for a while, and stray RTP still arriving from the
// first test (a SIPp playing on) cannot latch onto the second's call.
var rtpWindows = struct {
	once sync.Once
	next atomic.Int64
}{}

const (
	rtpWindowSize = 400 // ports: 100 calls' two legs of RTP and RTCP
	rtpWindowBase = 10000
	rtpWindowN    = 25
)

// rtpWindow returns the next RTP port window's PortMin and PortMax.
func rtpWindow() (int, int) {
	rtpWindows.once.Do(func() { rtpWindows.next.Store(rand.Int64N(rtpWindowN)) })
	w := int(rtpWindows.next.Add(1) % rtpWindowN)
	low := rtpWindowBase + w*rtpWindowSize
	return low, low + rtpWindowSize - 2
}

// testConfig is a loopback config with three SIP extensions.
func testConfig(dir string) config.Config {
	cfg := config.Defaults()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.SIP.BindAddress = "127.0.0.1"
	cfg.API.BindAddress = "127.0.0.1"
	cfg.RTP.PortMin, cfg.RTP.PortMax = rtpWindow()
	cfg.RTP.MediaTimeout = 10 * time.Second
	cfg.SIP.RingTimeout = 20 * time.Second
	for _, n := range []string{"101", "102", "103"} {
		cfg.Extensions = append(cfg.Extensions, config.Extension{Number: n, Kind: "sip", DisplayName: "Phone " + n, Password: testPasswords[n]})
	}
	return cfg
}

// startTestApp writes cfg and starts the appliance on OS-assigned loopback ports.
func startTestApp(t *testing.T, cfg config.Config) *App {
	t.Helper()
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startTestAppWith(t, cfg, ua.Listeners{TCP: tcp})
}

// startTestAppWith is startTestApp with extra SIP listeners (TCP, TLS);
// the UDP listener is always made here.
func startTestAppWith(t *testing.T, cfg config.Config, lns ua.Listeners) *App {
	t.Helper()
	return startTestAppLogging(t, cfg, lns, io.Discard)
}

// startTestAppLogging is startTestAppWith whose log also goes to log.
func startTestAppLogging(t *testing.T, cfg config.Config, lns ua.Listeners, log io.Writer) *App {
	t.Helper()
	path := filepath.Join(filepath.Dir(cfg.DataDir), "gatepbx.yaml")
	data, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	lns.UDP = udp
	apiLn, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	level := slog.LevelWarn
	if os.Getenv("GATEPBX_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	tw := newTestWriter(t)
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(tw, log), &slog.HandlerOptions{Level: level}))
	a, err := Start(context.Background(), Options{
		ConfigPath: path, Logger: logger,
		Listeners: &lns, APIListener: apiLn,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return a
}

// testWriter sends the appliance's log to the test's log until the test's
// cleanups have run; what goroutines left running after a shutdown
// deadline write later is dropped (t.Log after the end of a test panics).
type testWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

// newTestWriter registers its cleanup first, so it runs last.
func newTestWriter(t *testing.T) *testWriter {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(p))
	}
	return len(p), nil
}

var _ io.Writer = (*testWriter)(nil)

// apiTimeout bounds one HTTP request of a test to the appliance, so a
// handler that never answers fails the test instead of hanging it.
const apiTimeout = time.Minute

// httpGet is http.Get bounded by apiTimeout; it fails the test on error.
func httpGet(t *testing.T, u string) *http.Response {
	t.Helper()
	res, err := (&http.Client{Timeout: apiTimeout}).Get(u)
	if err != nil {
		t.Fatalf("GET %s (bounded by %v): %v", u, apiTimeout, err)
	}
	return res
}

// waitFor polls cond for up to 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lastRecord waits for the n-th history record and returns the newest.
func lastRecord(t *testing.T, a *App, n int) history.Record {
	t.Helper()
	waitFor(t, "call history record", func() bool { return a.hist.Len() >= n })
	return a.hist.Recent(1)[0]
}

func TestRegister(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	target := a.SIPUDPAddr()
	tests := []struct {
		name, scenario, user, password string
		registered                     bool
	}{
		{"good password", "register.xml", "101", testPasswords["101"], true},
		{"wrong password", "register_rejected.xml", "102", "not-the-password", false},
		{"unknown user", "register_rejected.xml", "999", "whatever-password", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, tc.scenario, nil, ""), Service: tc.user, User: tc.user, Password: tc.password, Target: target})
			if err := r.Wait(); err != nil {
				t.Fatal(err)
			}
			if got := len(a.sip.Registrar().Lookup(tc.user)) > 0; got != tc.registered {
				t.Fatalf("registered=%v, want %v", got, tc.registered)
			}
		})
	}
}

func TestRegisterStaleNonce(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.SIP.NonceLifetime = time.Second
	a := startTestApp(t, cfg)
	r := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "register_stale.xml", nil, ""), Service: "101", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(a.sip.Registrar().Lookup("101")) != 1 {
		t.Fatal("101 not registered after stale-nonce retry")
	}
}

// callee starts a SIPp callee for 102 and registers it (a second SIPp
// registers 102 with the callee's port as Contact, as a phone's own
// registration would) before returning.
func callee(t *testing.T, a *App, scen, part string, talk time.Duration) *sipptest.Peer {
	t.Helper()
	return phone(t, a, "102", scen, part, map[string]string{"TALK": strconv.Itoa(int(talk / time.Millisecond))}, true)
}

// phone starts a SIPp phone for number that waits for calls (scenario
// scen with part in its slot; "a.part+b.part" for several), echoing RTP when echo is set, and registers
// it before returning.
func phone(t *testing.T, a *App, number, scen, part string, vars map[string]string, echo bool) *sipptest.Peer {
	t.Helper()
	vars["USER"] = number
	r := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, scen, vars, strings.Split(part, "+")...), Service: number, User: number, Password: testPasswords[number], Target: a.SIPUDPAddr(), Echo: echo})
	reg := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "register_contact.xml", map[string]string{"CONTACTPORT": strconv.Itoa(r.Port())}, ""),
		Service: number, User: number, Password: testPasswords[number], Target: a.SIPUDPAddr()})
	if err := reg.Wait(); err != nil {
		t.Fatalf("registering %s: %v", number, err)
	}
	waitFor(t, number+" registered", func() bool { return len(a.sip.Registrar().Lookup(number)) > 0 })
	return r
}

func caller(t *testing.T, a *App, scen, part, dialed string, vars map[string]string) *sipptest.Peer {
	t.Helper()
	vars["USER"] = "101"
	return sipptest.Start(t, sipptest.Config{Scenario: scenario(t, scen, vars, part), Service: dialed, User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
}

func TestCallConnectsAndRelaysRTP(t *testing.T) {
	sipptest.Need(t)
	tests := []struct {
		name       string
		calleePart string
		callerPart string
		wantState  string
	}{
		{"caller hangs up", "uas_wait.part", "hangup_caller.part", "CallerHangUp"},
		{"callee hangs up", "uas_hangup.part", "hangup_wait.part", "CalleeHangUp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startTestApp(t, testConfig(t.TempDir()))
			b := callee(t, a, "uas_answer.xml", tc.calleePart, 2500*time.Millisecond)
			c := caller(t, a, "uac_call.xml", tc.callerPart, "102", map[string]string{"TALK": "2500"})
			if err := c.Wait(); err != nil {
				t.Fatalf("caller: %v", err)
			}
			if err := b.Wait(); err != nil {
				t.Fatalf("callee: %v", err)
			}
			rec := lastRecord(t, a, 1)
			if rec.State != tc.wantState || rec.Caller != "101" || rec.Callee != "102" || rec.Answer.IsZero() {
				t.Fatalf("history record %+v, want state %s", rec, tc.wantState)
			}
			// 2.5 s of 20 ms packets: the caller's stream reached the callee
			// and the callee's echo came back through the appliance.
			if rec.RTPFromCaller < 50 || rec.RTPFromCallee < 50 || rec.RTPToCaller < 50 || rec.RTPToCallee < 50 {
				t.Fatalf("RTP not relayed both ways: %+v", rec)
			}
		})
	}
}

func TestCallFailures(t *testing.T) {
	sipptest.Need(t)
	tests := []struct {
		name      string
		calleeScn string // "" = no callee registered
		dialed    string
		code      string
		wantState string
	}{
		{"busy", "uas_busy.xml", "102", "486", "Busy"},
		{"not registered", "", "103", "480", "NotRegistered"},
		{"unknown number", "", "555", "404", "NotFound"},
		{"replaces no dialog of ours", "", "102", "481", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startTestApp(t, testConfig(t.TempDir()))
			var b *sipptest.Peer
			if tc.calleeScn != "" {
				b = callee(t, a, tc.calleeScn, "", 0)
			}
			vars := map[string]string{"CODE": tc.code}
			if tc.code == "481" {
				vars["INVITEHEADERS"] = "\n      Replaces: nosuchcall@127.0.0.1;to-tag=a;from-tag=b"
			}
			c := caller(t, a, "uac_fail.xml", "", tc.dialed, vars)
			if err := c.Wait(); err != nil {
				t.Fatalf("caller: %v", err)
			}
			if b != nil {
				if err := b.Wait(); err != nil {
					t.Fatalf("callee: %v", err)
				}
			}
			if tc.wantState == "" {
				if a.hist.Len() != 0 || a.Core().ActiveCalls() != 0 {
					t.Fatal("a refused INVITE made a call")
				}
				return
			}
			if rec := lastRecord(t, a, 1); rec.State != tc.wantState {
				t.Fatalf("history state %q, want %q (%+v)", rec.State, tc.wantState, rec)
			}
		})
	}
}

func TestCallCancelled(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_ring_cancel.xml", "", 0)
	c := caller(t, a, "uac_cancel.xml", "", "102", map[string]string{})
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("callee: %v", err)
	}
	if rec := lastRecord(t, a, 1); rec.State != "Cancelled" {
		t.Fatalf("history state %q, want Cancelled", rec.State)
	}
}

func TestRingTimeout(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.SIP.RingTimeout = 1 * time.Second
	a := startTestApp(t, cfg)
	b := callee(t, a, "uas_ring_cancel.xml", "", 0)
	c := caller(t, a, "uac_fail.xml", "", "102", map[string]string{"CODE": "480"})
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("callee: %v", err)
	}
	if rec := lastRecord(t, a, 1); rec.State != "NoAnswer" {
		t.Fatalf("history state %q, want NoAnswer", rec.State)
	}
}
