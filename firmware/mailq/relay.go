package mailq

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Security is how the connection to the relay is protected.
type Security int

// The three ways of talking to a relay.
const (
	Plain       Security = iota // no TLS (port 25)
	StartTLS                    // STARTTLS required (port 587)
	ImplicitTLS                 // TLS from the first byte (port 465)
)

// ParseSecurity reads "none", "starttls" or "tls" (also "ssl").
func ParseSecurity(s string) (Security, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "plain":
		return Plain, nil
	case "starttls":
		return StartTLS, nil
	case "tls", "ssl", "smtps":
		return ImplicitTLS, nil
	}
	return 0, fmt.Errorf("mailq: security %q, want none, starttls or tls", s)
}

// Relay is the SMTP server mail goes through.
type Relay struct {
	Host     string
	Port     int // 0: 25, 587 or 465 by Security
	Security Security
	// Username and Password enable AUTH; Auth picks "PLAIN" or "LOGIN",
	// or "" for PLAIN when offered, else LOGIN.
	Username, Password, Auth string
	// HeloName is sent in EHLO; "localhost" when empty.
	HeloName string
	// TLSConfig, when set, is cloned for the relay's TLS (ServerName
	// defaults to Host).
	TLSConfig *tls.Config
	// DialTimeout bounds connecting (30 s when 0), SessionTimeout the whole
	// SMTP conversation (5 min when 0).
	DialTimeout, SessionTimeout time.Duration
}

func (r Relay) addr() string {
	port := r.Port
	if port == 0 {
		port = [...]int{Plain: 25, StartTLS: 587, ImplicitTLS: 465}[r.Security]
	}
	return net.JoinHostPort(r.Host, strconv.Itoa(port))
}

func (r Relay) tlsConfig() *tls.Config {
	c := &tls.Config{}
	if r.TLSConfig != nil {
		c = r.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = r.Host
	}
	return c
}

// permanentError is an SMTP 5xx answer: the message will never go.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// isPermanent reports whether err is an SMTP 5xx reply.
func isPermanent(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}

// deliver sends one message. It returns the recipients the relay refused
// for good (5xx to RCPT); the error is a *permanentError when nothing can
// ever be delivered, any other error is temporary.
func (r Relay) deliver(ctx context.Context, from string, to []string, msg []byte) (refused []string, err error) {
	dialTimeout, sessionTimeout := r.DialTimeout, r.SessionTimeout
	if dialTimeout <= 0 {
		dialTimeout = 30 * time.Second
	}
	if sessionTimeout <= 0 {
		sessionTimeout = 5 * time.Minute
	}
	d := net.Dialer{Timeout: dialTimeout}
	var conn net.Conn
	if r.Security == ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: r.tlsConfig()}).DialContext(ctx, "tcp", r.addr())
	} else {
		conn, err = d.DialContext(ctx, "tcp", r.addr())
	}
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", r.addr(), err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := conn.SetDeadline(time.Now().Add(sessionTimeout)); err != nil {
		return nil, err
	}
	c, err := smtp.NewClient(conn, r.Host)
	if err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	helo := r.HeloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	if r.Security == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return nil, errors.New("relay does not offer STARTTLS")
		}
		if err := c.StartTLS(r.tlsConfig()); err != nil {
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if r.Username != "" {
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return nil, errors.New("relay does not offer AUTH")
		}
		a, err := r.auth(strings.Fields(strings.ToUpper(mechs)))
		if err != nil {
			return nil, err
		}
		// A refused login is a configuration problem, retried like a
		// relay that is down (a mail server's soft bounce).
		if err := c.Auth(a); err != nil {
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return nil, classify("MAIL FROM", err)
	}
	var accepted int
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			if isPermanent(err) {
				refused = append(refused, rcpt+": "+err.Error())
				continue
			}
			return nil, fmt.Errorf("RCPT TO %s: %w", rcpt, err)
		}
		accepted++
	}
	if accepted == 0 {
		return refused, &permanentError{fmt.Errorf("every recipient refused: %s", strings.Join(refused, "; "))}
	}
	w, err := c.Data()
	if err != nil {
		return nil, classify("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return nil, fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, classify("end of DATA", err)
	}
	_ = c.Quit() // the message is accepted whatever QUIT says
	return refused, nil
}

func classify(stage string, err error) error {
	err = fmt.Errorf("%s: %w", stage, err)
	if isPermanent(err) {
		return &permanentError{err}
	}
	return err
}

// auth picks the mechanism.
func (r Relay) auth(offered []string) (smtp.Auth, error) {
	want := strings.ToUpper(r.Auth)
	if want == "" {
		want = "LOGIN"
		if slices.Contains(offered, "PLAIN") {
			want = "PLAIN"
		}
	}
	if !slices.Contains(offered, want) {
		return nil, fmt.Errorf("relay does not offer AUTH %s (offers %s)", want, strings.Join(offered, " "))
	}
	switch want {
	case "PLAIN":
		return &plainAuth{user: r.Username, pass: r.Password}, nil
	case "LOGIN":
		return &loginAuth{user: r.Username, pass: r.Password}, nil
	}
	return nil, fmt.Errorf("AUTH %s not supported (PLAIN or LOGIN)", want)
}

// secure refuses to send credentials in the clear except to loopback.
func secure(s *smtp.ServerInfo) error {
	if s.TLS {
		return nil
	}
	if ip := net.ParseIP(s.Name); (ip != nil && ip.IsLoopback()) || s.Name == "localhost" {
		return nil
	}
	return errors.New("refusing to send credentials over an unencrypted connection")
}

type plainAuth struct{ user, pass string }

func (a *plainAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if err := secure(s); err != nil {
		return "", nil, err
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

type loginAuth struct {
	user, pass string
	step       int
}

func (a *loginAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if err := secure(s); err != nil {
		return "", nil, err
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch {
	case a.step == 1:
		return []byte(a.user), nil
	case a.step == 2:
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", challenge)
}
