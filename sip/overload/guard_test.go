package overload

import (
	"bytes"
	"log/slog"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestDefaultMax(t *testing.T) {
	tests := []struct {
		limit int64
		want  int
	}{
		{math.MaxInt64, 65536},
		{0, 65536},
		{512 << 20, 8192},  // 1 GB board, limit half the RAM
		{1 << 30, 16384},   // 2 GB board
		{12 << 30, 196608}, // 24 GB
		{64 << 30, 262144}, // capped
		{8 << 20, 1024},    // floor
	}
	for _, tc := range tests {
		if got := DefaultMax(tc.limit); got != tc.want {
			t.Errorf("DefaultMax(%d) = %d, want %d", tc.limit, got, tc.want)
		}
	}
}

// fakeTx is a transaction whose end the test decides, as sipgo's
// OnTerminate contract has it: false once it has ended.
type fakeTx struct {
	mu    sync.Mutex
	ended bool
	fns   []sip.FnTxTerminate
}

func (f *fakeTx) OnTerminate(fn sip.FnTxTerminate) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return false
	}
	f.fns = append(f.fns, fn)
	return true
}

func (f *fakeTx) end() {
	f.mu.Lock()
	f.ended = true
	fns := f.fns
	f.mu.Unlock()
	for _, fn := range fns {
		fn("", nil)
	}
}

type sent struct {
	b  []byte
	to net.Addr
}

func parseRequest(t *testing.T, msg string) *sip.Request {
	t.Helper()
	m, err := sip.ParseMessage([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	return m.(*sip.Request)
}

func request(method, branch string) string { return requestFrom("127.0.0.1", method, branch) }

// requestFrom is a request whose Via (hence sipgo's Source) is host:5070.
func requestFrom(host, method, branch string) string {
	return method + " sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + host + ":5070;branch=" + branch + "\r\n" +
		"From: <sip:101@127.0.0.1>;tag=a\r\nTo: <sip:101@127.0.0.1>\r\nCall-ID: " + branch + "\r\nCSeq: 1 " + method + "\r\nContent-Length: 0\r\n\r\n"
}

func TestGuardFilter(t *testing.T) {
	var out []sent
	var logs bytes.Buffer
	now := time.Unix(1000, 0)
	g := New(Options{Max: 2, Server: "gatepbx", Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return now },
		Send: func(b []byte, to net.Addr) error { out = append(out, sent{append([]byte(nil), b...), to}); return nil }})
	udp := sip.TransportReadProps{Transport: "UDP", RemoteAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 3), Port: 5070}}
	tcp := sip.TransportReadProps{Transport: "TCP", RemoteAddr: udp.RemoteAddr}
	pass := func(props sip.TransportReadProps, msg string) bool {
		t.Helper()
		got, err := g.Filter(props, []byte(msg))
		if err != nil {
			t.Fatalf("Filter returned %v", err)
		}
		return len(got) > 0
	}

	// Below the maximum everything passes and is tracked by the handlers.
	tx1, tx2 := &fakeTx{}, &fakeTx{}
	for _, c := range []struct {
		host, branch string
		tx           *fakeTx
	}{{"127.0.0.1", "z9hG4bK-1", tx1}, {"127.0.0.2", "z9hG4bK-2", tx2}} {
		msg := requestFrom(c.host, "REGISTER", c.branch)
		if !pass(udp, msg) {
			t.Fatalf("%s refused below the maximum", c.branch)
		}
		g.Track(parseRequest(t, msg), c.tx)
	}
	if g.Live() != 2 {
		t.Fatalf("live %d, want 2", g.Live())
	}

	// At the maximum: new requests get a 503, the rest passes.
	tests := []struct {
		name  string
		props sip.TransportReadProps
		msg   string
		pass  bool
	}{
		{"new register", udp, request("REGISTER", "z9hG4bK-3"), false},
		{"new invite", udp, request("INVITE", "z9hG4bK-4"), false},
		{"retransmission of a live transaction", udp, request("REGISTER", "z9hG4bK-1"), true},
		{"same branch other method", udp, request("OPTIONS", "z9hG4bK-1"), false},
		{"ack", udp, request("ACK", "z9hG4bK-5"), true},
		{"bye", udp, request("BYE", "z9hG4bK-6"), true},
		{"cancel", udp, request("CANCEL", "z9hG4bK-7"), true},
		{"response", udp, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=x\r\n\r\n", true},
		{"garbage goes to sipgo", udp, "hello", true},
		{"tcp is never filtered", tcp, request("REGISTER", "z9hG4bK-8"), true},
	}
	for _, tc := range tests {
		before := len(out)
		if got := pass(tc.props, tc.msg); got != tc.pass {
			t.Errorf("%s: passed %v, want %v", tc.name, got, tc.pass)
		}
		if answered := len(out) > before; answered == tc.pass {
			t.Errorf("%s: answered %v", tc.name, answered)
		}
	}
	if g.Rejected() != 3 {
		t.Errorf("rejected %d, want 3", g.Rejected())
	}
	res, err := sip.ParseMessage(out[0].b)
	if err != nil || res.(*sip.Response).StatusCode != 503 || out[0].to.String() != "127.0.0.3:5070" {
		t.Fatalf("503 %q to %v: %v", out[0].b, out[0].to, err)
	}
	if n := strings.Count(logs.String(), "SIP overload"); n != 1 {
		t.Errorf("%d overload warnings in one period, want 1:\n%s", n, logs.String())
	}
	now = now.Add(logEvery)
	pass(udp, request("REGISTER", "z9hG4bK-9"))
	if n := strings.Count(logs.String(), "SIP overload"); n != 2 || !strings.Contains(logs.String(), "rejected=1") {
		t.Errorf("second warning missing or wrong:\n%s", logs.String())
	}

	// A transaction ending makes room; a tracked one that had already
	// ended is not counted.
	tx1.end()
	if g.Live() != 1 || !pass(udp, request("REGISTER", "z9hG4bK-10")) {
		t.Fatalf("live %d after an end, or still refusing", g.Live())
	}
	ended := &fakeTx{ended: true}
	g.Track(parseRequest(t, request("OPTIONS", "z9hG4bK-11")), ended)
	if g.Live() != 1 {
		t.Fatalf("live %d after tracking an ended transaction", g.Live())
	}

	// At twice the maximum even BYE, CANCEL and ACK are turned away; an
	// ACK without an answer.
	for i := range 3 {
		g.Track(parseRequest(t, requestFrom("127.0.0.4", "OPTIONS", "z9hG4bK-r"+string(rune('a'+i)))), &fakeTx{})
	}
	if g.Live() != 4 {
		t.Fatalf("live %d, want 4", g.Live())
	}
	for _, m := range []string{"BYE", "CANCEL", "ACK"} {
		before := len(out)
		if pass(udp, request(m, "z9hG4bK-late-"+m)) {
			t.Errorf("%s passed at twice the maximum", m)
		}
		if answered := len(out) > before; answered != (m != "ACK") {
			t.Errorf("%s answered %v", m, answered)
		}
	}
	if !pass(udp, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=x\r\n\r\n") {
		t.Error("response refused at twice the maximum")
	}

	// Raising the maximum (reload) admits at once; 0 means none.
	g.SetMax(0)
	if !pass(udp, request("REGISTER", "z9hG4bK-13")) {
		t.Fatal("refused with no maximum")
	}
}

func TestGuardSameKeyTwice(t *testing.T) {
	g := New(Options{Max: 10})
	a, b := &fakeTx{}, &fakeTx{}
	req := parseRequest(t, request("INVITE", "z9hG4bK-x"))
	g.Track(req, a)
	g.Track(req, b)
	a.end()
	if g.Live() != 1 {
		t.Fatalf("live %d, want 1", g.Live())
	}
	b.end()
	b.end() // a second end is not counted twice
	if g.Live() != 0 {
		t.Fatalf("live %d, want 0", g.Live())
	}
}

// TestGuardSourceShare: one address may hold half the maximum, so a
// flood from it leaves room for the others.
func TestGuardSourceShare(t *testing.T) {
	g := New(Options{Max: 4, Send: func([]byte, net.Addr) error { return nil }})
	from := func(ip byte) sip.TransportReadProps {
		return sip.TransportReadProps{Transport: "udp", RemoteAddr: &net.UDPAddr{IP: net.IPv4(192, 0, 2, ip), Port: 5060}}
	}
	admit := func(ip byte, method, branch string) bool {
		t.Helper()
		msg := requestFrom(net.IPv4(192, 0, 2, ip).String(), method, branch)
		got, _ := g.Filter(from(ip), []byte(msg))
		if len(got) > 0 {
			g.Track(parseRequest(t, msg), &fakeTx{})
		}
		return len(got) > 0
	}
	if !admit(1, "REGISTER", "a1") || !admit(1, "REGISTER", "a2") {
		t.Fatal("refused below the share")
	}
	if admit(1, "REGISTER", "a3") {
		t.Fatal("a third transaction from one address admitted with a maximum of 4")
	}
	if !admit(1, "BYE", "a4") {
		t.Fatal("BYE refused below twice the share")
	}
	if !admit(2, "REGISTER", "b1") {
		t.Fatal("another address refused while the flooder was at its share")
	}
	if g.Rejected() != 1 {
		t.Fatalf("rejected %d, want 1", g.Rejected())
	}
}

func TestSourceAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5060":         "127.0.0.1",
		"[::ffff:10.0.0.1]:5060": "10.0.0.1",
		"[2001:db8::1]:5060":     "2001:db8::1",
		"phone.example:5060":     "invalid IP",
		"":                       "invalid IP",
	} {
		if got := sourceAddr(in).String(); got != want {
			t.Errorf("sourceAddr(%q) = %s, want %s", in, got, want)
		}
	}
}
