package mailq

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net"
	netsmtp "net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// delivered is one message the test server accepted.
type delivered struct {
	from     string
	to       []string
	data     []byte
	tls      bool
	authUser string
}

// serverConfig shapes the test relay.
type serverConfig struct {
	addr       string // "" for a free loopback port
	startTLS   bool   // offer STARTTLS
	implicit   bool   // TLS from the first byte
	users      map[string]string
	rejectRcpt map[string]int // address -> SMTP code
	rejectData int            // SMTP code for DATA, 0 to accept
}

// testServer is a real SMTP server (go-smtp) on loopback.
type testServer struct {
	cfg  serverConfig
	addr *net.TCPAddr
	cert *x509.Certificate
	got  chan delivered
}

func startServer(t *testing.T, cfg serverConfig) *testServer {
	t.Helper()
	addr := cfg.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{cfg: cfg, addr: ln.Addr().(*net.TCPAddr), got: make(chan delivered, 16)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{ts: ts, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	if cfg.startTLS || cfg.implicit {
		cert, tlsCert := testCertificate(t)
		ts.cert = cert
		tc := &tls.Config{Certificates: []tls.Certificate{tlsCert}}
		if cfg.implicit {
			ln = tls.NewListener(ln, tc)
		} else {
			srv.TLSConfig = tc
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ts
}

// relay returns the Relay settings for talking to ts.
func (ts *testServer) relay() Relay {
	r := Relay{Host: "127.0.0.1", Port: ts.addr.Port, DialTimeout: 10 * time.Second, SessionTimeout: time.Minute}
	switch {
	case ts.cfg.implicit:
		r.Security = ImplicitTLS
	case ts.cfg.startTLS:
		r.Security = StartTLS
	}
	if ts.cert != nil {
		pool := x509.NewCertPool()
		pool.AddCert(ts.cert)
		r.TLSConfig = &tls.Config{RootCAs: pool}
	}
	return r
}

// next waits for a delivery (the deadline only guards against a hang).
func (ts *testServer) next(t *testing.T) delivered {
	t.Helper()
	select {
	case d := <-ts.got:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("no message delivered")
		return delivered{}
	}
}

func (ts *testServer) none(t *testing.T) {
	t.Helper()
	select {
	case d := <-ts.got:
		t.Fatalf("unexpected delivery %+v", d)
	default:
	}
}

type session struct {
	ts   *testServer
	conn *smtp.Conn
	cur  delivered
}

func (s *session) AuthMechanisms() []string {
	if s.ts.cfg.users == nil {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if want, ok := s.ts.cfg.users[user]; !ok || want != pass {
			return smtp.ErrAuthFailed
		}
		s.cur.authUser = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.ts.cfg.users != nil && s.cur.authUser == "" {
		return smtp.ErrAuthRequired
	}
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.cur.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if code := s.ts.cfg.rejectRcpt[to]; code != 0 {
		return &smtp.SMTPError{Code: code, Message: "no such user " + to}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if code := s.ts.cfg.rejectData; code != 0 {
		return &smtp.SMTPError{Code: code, Message: "content refused"}
	}
	d := s.cur
	d.data = data
	s.ts.got <- d
	return nil
}

func (s *session) Reset() {
	user := s.cur.authUser
	s.cur = delivered{authUser: user}
}

func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp != nil { // initial response carries the user name
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	case 3:
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, true, errors.New("unexpected LOGIN step")
}

// testCertificate makes a self-signed certificate for 127.0.0.1.
func testCertificate(t *testing.T) (*x509.Certificate, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test relay"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
}

// deadPort returns a loopback address nothing listens on (just closed).
func deadPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// fakeClock is a manual clock; After never fires (tests call DeliverDue).
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(time.Duration) <-chan time.Time { return nil }

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, c := range p {
		n = n*10 + int(c-'0')
	}
	return n
}

type smtpServerInfo = netsmtp.ServerInfo

// decodeBase64Lines decodes base64 split over CRLF lines.
func decodeBase64Lines(b []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
}
