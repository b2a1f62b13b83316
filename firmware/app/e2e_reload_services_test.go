package app

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/firmware/config"
)

// testRelay is a loopback SMTP server (go-smtp) that hands over every
// message it accepts.
type testRelay struct {
	srv     *smtp.Server
	port    int
	got     chan mail
	done    chan struct{}
	refuse  atomic.Bool // while true every mail is deferred with 451
	refused atomic.Int32
}

func startTestRelay(t *testing.T) *testRelay {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &testRelay{port: ln.Addr().(*net.TCPAddr).Port, got: make(chan mail, 8), done: make(chan struct{})}
	r.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailSession{got: r.got, refuse: &r.refuse, refused: &r.refused}, nil
	}))
	r.srv.Domain = "localhost"
	go func() { defer close(r.done); _ = r.srv.Serve(ln) }()
	t.Cleanup(r.close)
	return r
}

// close stops the server (the port then refuses connections).
func (r *testRelay) close() {
	r.srv.Close()
	<-r.done
}

// next waits for a message with subject.
func (r *testRelay) next(t *testing.T, subject string) mail {
	t.Helper()
	select {
	case m := <-r.got:
		if !strings.Contains(m.data, "Subject: "+subject) {
			t.Fatalf("relay got %q, want subject %q", m.data, subject)
		}
		return m
	case <-time.After(30 * time.Second): // guards against a hang only
		t.Fatalf("%q never reached the relay", subject)
	}
	return mail{}
}

func sendEmail(t *testing.T, a *App, subject string) {
	t.Helper()
	if r := apiDo(t, a, "command", "SendEmail", "Recipient", "boss@example.com", "Subject", subject, "Message", "m"); r.Code != 200 || r.EmailID == "" {
		t.Fatalf("SendEmail %q: %+v", subject, r)
	}
}

// TestReloadSMTPRelay: the firmware sends through relay A; A defers
// everything (451) and a mail is queued; the config is changed to relay B and reloaded
// (what SIGHUP does): the queued mail and a new one arrive at B, the
// new one with the new sender. Then the smtp section is emptied: SendEmail
// answers 501.
func TestReloadSMTPRelay(t *testing.T) {
	t.Parallel()
	relayA, relayB := startTestRelay(t), startTestRelay(t)
	cfg := apiTestConfig(t)
	cfg.SMTP = config.SMTP{Host: "127.0.0.1", Port: relayA.port, Security: config.SecurityPlain, From: "pbx@example.com"}
	a := startTestApp(t, cfg)

	sendEmail(t, a, "through A")
	relayA.next(t, "through A")
	// A defers every mail (451) rather than closing its port, which
	// another test's listener could take over meanwhile.
	relayA.refuse.Store(true)
	sendEmail(t, a, "queued while A is down")
	waitFor(t, "a failed attempt at A", func() bool {
		p := a.svc.mail.Pending()
		return len(p) == 1 && p[0].Attempts > 0
	})

	cfg.SMTP.Port, cfg.SMTP.From = relayB.port, "pbx-b@example.com"
	rewriteAPITestConfig(t, cfg)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if m := relayB.next(t, "queued while A is down"); m.from != "pbx@example.com" {
		t.Fatalf("queued mail's sender %q changed", m.from)
	}
	sendEmail(t, a, "through B")
	if m := relayB.next(t, "through B"); m.from != "pbx-b@example.com" {
		t.Fatalf("new mail's sender %q", m.from)
	}

	cfg.SMTP = config.SMTP{Security: config.SecurityStartTLS}
	rewriteAPITestConfig(t, cfg)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if r := apiDo(t, a, "command", "SendEmail", "Recipient", "boss@example.com", "Message", "m"); r.Code != 501 {
		t.Fatalf("SendEmail without a relay: %+v", r)
	}
}

// TestReloadGSMModem: a reload that adds the gsm section opens the modem
// (it shows on /health); one that changes it reopens it; one that
// removes it closes it.
func TestReloadGSMModem(t *testing.T) {
	t.Parallel()
	cfg := apiTestConfig(t)
	a := startTestApp(t, cfg)
	if h := health(t, a); h.Modem != nil {
		t.Fatalf("modem before the reload: %+v", h.Modem)
	}
	reload := func(g config.GSM) {
		t.Helper()
		cfg.GSM = g
		rewriteAPITestConfig(t, cfg)
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	sim := config.GSM{Device: config.GSMSimulated, Baud: 115200, HealthInterval: 200 * time.Millisecond, CommandTimeout: 500 * time.Millisecond}
	reload(sim)
	modemShows(t, a, "registered", func(m api.ModemStatus) bool { return m.Responding && m.Registered })
	first := a.svc.attachedModem()

	sim.CommandTimeout = time.Second
	reload(sim)
	if again := a.svc.attachedModem(); again == nil || again == first {
		t.Fatalf("modem not reopened: %p, was %p", again, first)
	}
	modemShows(t, a, "registered", func(m api.ModemStatus) bool { return m.Responding && m.Registered })

	reload(config.GSM{Baud: 115200, HealthInterval: time.Minute, CommandTimeout: 10 * time.Second})
	if h := health(t, a); h.Modem != nil || a.svc.attachedModem() != nil {
		t.Fatalf("modem after removing it: %+v", h.Modem)
	}
}
