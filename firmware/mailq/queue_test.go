package mailq

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const from = "gatepbx@example.com"

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func openQueue(t *testing.T, dir string, relay Relay, clock Clock, root string) *Queue {
	t.Helper()
	q, err := Open(Options{Dir: dir, Relay: relay, From: from, AttachmentRoot: root, Clock: clock, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func mustEnqueue(t *testing.T, q *Queue, e Email) string {
	t.Helper()
	id, err := q.Enqueue(e)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestDeliveredMessage(t *testing.T) {
	ts := startServer(t, serverConfig{})
	root := t.TempDir()
	wav := make([]byte, 5000)
	for i := range wav {
		wav[i] = byte(i * 7)
	}
	if err := os.MkdirAll(filepath.Join(root, "recordings"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "recordings", "call 1.wav"), wav, 0o644); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	q := openQueue(t, t.TempDir(), ts.relay(), clock, root)
	body := "Alarm at the front door – zone 3.\n.a line starting with a dot\n" + strings.Repeat("x", 200) + "\n"
	id := mustEnqueue(t, q, Email{
		Recipient:   "Boss <boss@example.org>; ops@example.org",
		Sender:      "Front Desk <desk@example.com>",
		Subject:     "Alarm ✓\r\nBcc: attacker@example.net",
		Message:     body,
		Attachments: []string{filepath.Join(root, "recordings", "call 1.wav")},
	})
	if st, err := q.Status(id); err != nil || st.State != Queued || st.Attempts != 0 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if n := q.DeliverDue(context.Background()); n != 1 {
		t.Fatalf("DeliverDue sent %d", n)
	}
	d := ts.next(t)
	if d.from != from || !slices.Equal(d.to, []string{"boss@example.org", "ops@example.org"}) {
		t.Fatalf("envelope %s -> %v", d.from, d.to)
	}
	m, err := mail.ReadMessage(bytes.NewReader(d.data))
	if err != nil {
		t.Fatal(err)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"From", m.Header.Get("From"), `"Front Desk" <desk@example.com>`},
		{"To", m.Header.Get("To"), "boss@example.org, ops@example.org"},
		{"Subject", subject, "Alarm ✓  Bcc: attacker@example.net"},
		{"Bcc", m.Header.Get("Bcc"), ""},
		{"Message-ID", m.Header.Get("Message-ID"), "<" + id + "@example.com>"},
		{"Date", m.Header.Get("Date"), clock.Now().Format(time.RFC1123Z)},
		{"MIME-Version", m.Header.Get("MIME-Version"), "1.0"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	text, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	// multipart decodes quoted-printable itself.
	gotBody, _ := io.ReadAll(text)
	if want := strings.ReplaceAll(body, "\n", "\r\n"); string(gotBody) != want {
		t.Errorf("body %q, want %q", gotBody, want)
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if att.FileName() != "call 1.wav" || att.Header.Get("Content-Type") != "audio/x-wav" && att.Header.Get("Content-Type") != "audio/wav" && att.Header.Get("Content-Type") != "audio/vnd.wave" {
		t.Errorf("attachment %q type %q", att.FileName(), att.Header.Get("Content-Type"))
	}
	gotWav, err := io.ReadAll(att) // multipart leaves base64 to us
	if err != nil {
		t.Fatal(err)
	}
	if att.Header.Get("Content-Transfer-Encoding") != "base64" {
		t.Fatalf("attachment encoding %q", att.Header.Get("Content-Transfer-Encoding"))
	}
	raw, err := decodeBase64Lines(gotWav)
	if err != nil || !bytes.Equal(raw, wav) {
		t.Errorf("attachment differs (%d bytes, %v)", len(raw), err)
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("extra part: %v", err)
	}
	if len(q.Pending()) != 0 || len(q.Failed()) != 0 {
		t.Errorf("after delivery: pending %v failed %v", q.Pending(), q.Failed())
	}
	if _, err := q.Status(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Status after sending: %v", err)
	}
	entries, _ := os.ReadDir(q.queueDir)
	if len(entries) != 0 {
		t.Errorf("queue dir not empty: %v", entries)
	}
}

func TestPlainMessageWithoutAttachments(t *testing.T) {
	ts := startServer(t, serverConfig{})
	q := openQueue(t, t.TempDir(), ts.relay(), newFakeClock(), "")
	mustEnqueue(t, q, Email{Recipient: "a@example.org", Message: "héllo\n"})
	q.DeliverDue(context.Background())
	m, err := mail.ReadMessage(bytes.NewReader(ts.next(t).data))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("From") != from || m.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("headers %v", m.Header)
	}
	b, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	if string(b) != "héllo\r\n" {
		t.Errorf("body %q", b)
	}
}

func TestRelayDownThenUp(t *testing.T) {
	addr := deadPort(t)
	clock := newFakeClock()
	relay := Relay{Host: "127.0.0.1", Port: portOf(t, addr), DialTimeout: 5 * time.Second}
	q := openQueue(t, t.TempDir(), relay, clock, "")
	id := mustEnqueue(t, q, Email{Recipient: "a@example.org", Subject: "later", Message: "m"})
	ctx := context.Background()

	steps := []struct {
		advance  time.Duration
		attempts int
		nextIn   time.Duration // from now, after the step
	}{
		{0, 1, time.Minute},                // first try fails: retry in 1 min
		{30 * time.Second, 1, time.Minute}, // not due yet: no attempt
		{time.Minute, 2, 2 * time.Minute},  // second try fails: 2 min
		{2 * time.Minute, 3, 4 * time.Minute},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		before := clock.Now()
		if n := q.DeliverDue(ctx); n != 0 {
			t.Fatalf("step %d: sent %d", i, n)
		}
		st, err := q.Status(id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Attempts != s.attempts || st.State != Queued || !strings.Contains(st.LastError, "connect") {
			t.Fatalf("step %d: %+v", i, st)
		}
		if i != 1 && !st.NextAttempt.Equal(before.Add(s.nextIn)) { // step 1 made no attempt
			t.Fatalf("step %d: next attempt %v, want %v", i, st.NextAttempt, before.Add(s.nextIn))
		}
	}
	ts := startServer(t, serverConfig{addr: addr})
	clock.Advance(4 * time.Minute)
	if n := q.DeliverDue(ctx); n != 1 {
		t.Fatalf("relay up: sent %d", n)
	}
	if d := ts.next(t); !bytes.Contains(d.data, []byte("Subject: later")) {
		t.Errorf("delivered %s", d.data)
	}
}

func TestBackoffCapsAndExpires(t *testing.T) {
	q := &Queue{opts: Options{MinBackoff: time.Minute, MaxBackoff: time.Hour}}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := q.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}

	clock := newFakeClock()
	relay := Relay{Host: "127.0.0.1", Port: portOf(t, deadPort(t))}
	q2, err := Open(Options{Dir: t.TempDir(), Relay: relay, From: from, Clock: clock, Logger: quietLogger(), MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	id := mustEnqueue(t, q2, Email{Recipient: "a@example.org"})
	q2.DeliverDue(context.Background())
	clock.Advance(2 * time.Hour)
	q2.DeliverDue(context.Background())
	st, err := q2.Status(id)
	if err != nil || st.State != Failed || !strings.Contains(st.LastError, "expired after 2 attempts") {
		t.Fatalf("after MaxAge: %+v, %v", st, err)
	}
}

func TestPermanentRejects(t *testing.T) {
	tests := []struct {
		name       string
		server     serverConfig
		recipients string
		delivered  []string // recipients the server got
		failedTo   []string // recipients recorded as failed
		reason     string
	}{
		{name: "unknown recipient", server: serverConfig{rejectRcpt: map[string]int{"nobody@example.org": 550}},
			recipients: "nobody@example.org", failedTo: []string{"nobody@example.org"}, reason: "550"},
		{name: "one of two refused", server: serverConfig{rejectRcpt: map[string]int{"nobody@example.org": 550}},
			recipients: "ok@example.org, nobody@example.org", delivered: []string{"ok@example.org"},
			failedTo: []string{"nobody@example.org"}, reason: "550"},
		{name: "content refused", server: serverConfig{rejectData: 554},
			recipients: "ok@example.org", failedTo: []string{"ok@example.org"}, reason: "554"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, tt.server)
			dir := t.TempDir()
			q := openQueue(t, dir, ts.relay(), newFakeClock(), "")
			id := mustEnqueue(t, q, Email{Recipient: tt.recipients, Subject: "s", Message: "m"})
			q.DeliverDue(context.Background())
			if tt.delivered != nil {
				if d := ts.next(t); !slices.Equal(d.to, tt.delivered) {
					t.Errorf("delivered to %v, want %v", d.to, tt.delivered)
				}
			}
			ts.none(t)
			for _, q := range []*Queue{q, openQueue(t, dir, ts.relay(), newFakeClock(), "")} { // and after a restart
				failed := q.Failed()
				if len(failed) != 1 || failed[0].ID != id || failed[0].State != Failed ||
					!slices.Equal(failed[0].To, tt.failedTo) || !strings.Contains(failed[0].LastError, tt.reason) {
					t.Fatalf("Failed() = %+v", failed)
				}
				if len(q.Pending()) != 0 {
					t.Fatalf("Pending() = %+v", q.Pending())
				}
				if _, err := os.Stat(filepath.Join(dir, "failed", id+".eml")); err != nil {
					t.Fatalf("failed message not kept: %v", err)
				}
				if n := q.DeliverDue(context.Background()); n != 0 {
					t.Fatalf("failed mail retried")
				}
			}
		})
	}
}

func TestTemporaryRejectIsRetried(t *testing.T) {
	ts := startServer(t, serverConfig{rejectRcpt: map[string]int{"busy@example.org": 451}})
	q := openQueue(t, t.TempDir(), ts.relay(), newFakeClock(), "")
	id := mustEnqueue(t, q, Email{Recipient: "busy@example.org"})
	q.DeliverDue(context.Background())
	st, err := q.Status(id)
	if err != nil || st.State != Queued || st.Attempts != 1 || !strings.Contains(st.LastError, "451") {
		t.Fatalf("%+v %v", st, err)
	}
	ts.none(t)
}

func TestRestartKeepsPendingMail(t *testing.T) {
	addr := deadPort(t)
	dir := t.TempDir()
	clock := newFakeClock()
	relay := Relay{Host: "127.0.0.1", Port: portOf(t, addr)}
	q := openQueue(t, dir, relay, clock, "")
	var ids []string
	for _, s := range []string{"one", "two", "three"} {
		ids = append(ids, mustEnqueue(t, q, Email{Recipient: "a@example.org", Subject: s, Message: s}))
	}
	q.DeliverDue(context.Background()) // all fail: relay down
	// Debris of a crash inside Enqueue: a message without state and a
	// temporary file.
	os.WriteFile(filepath.Join(dir, "queue", "orphan.eml"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "queue", ".x.json.tmp123"), []byte("{"), 0o600)

	ts := startServer(t, serverConfig{addr: addr})
	q2 := openQueue(t, dir, relay, clock, "")
	pending := q2.Pending()
	if len(pending) != 3 {
		t.Fatalf("after restart: %+v", pending)
	}
	for i, st := range pending {
		if st.ID != ids[i] || st.Attempts != 1 || st.Subject != []string{"one", "two", "three"}[i] {
			t.Errorf("pending[%d] = %+v", i, st)
		}
	}
	for _, name := range []string{"orphan.eml", ".x.json.tmp123"} {
		if _, err := os.Stat(filepath.Join(dir, "queue", name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind: %v", name, err)
		}
	}
	// Tried at once after the restart, not at the retry time stored.
	if n := q2.DeliverDue(context.Background()); n != 3 {
		t.Fatalf("sent %d", n)
	}
	var subjects []string
	for range 3 {
		m, err := mail.ReadMessage(bytes.NewReader(ts.next(t).data))
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, m.Header.Get("Subject"))
	}
	if !slices.Equal(subjects, []string{"one", "two", "three"}) {
		t.Errorf("delivered %v", subjects)
	}
}

func TestRunDeliversInTheBackground(t *testing.T) {
	ts := startServer(t, serverConfig{})
	q, err := Open(Options{Dir: t.TempDir(), Relay: ts.relay(), From: from, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- q.Run(ctx) }()
	mustEnqueue(t, q, Email{Recipient: "a@example.org", Subject: "bg"})
	if d := ts.next(t); !bytes.Contains(d.data, []byte("Subject: bg")) {
		t.Errorf("delivered %s", d.data)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
}

func TestTLSAndAuth(t *testing.T) {
	users := map[string]string{"pbx": "s3cret"}
	tests := []struct {
		name     string
		server   serverConfig
		auth     string
		password string
		tls      bool
		deferred string // LastError substring when not delivered
	}{
		{name: "STARTTLS + PLAIN", server: serverConfig{startTLS: true, users: users}, auth: "PLAIN", password: "s3cret", tls: true},
		{name: "STARTTLS + LOGIN", server: serverConfig{startTLS: true, users: users}, auth: "LOGIN", password: "s3cret", tls: true},
		{name: "STARTTLS, mechanism picked", server: serverConfig{startTLS: true, users: users}, password: "s3cret", tls: true},
		{name: "implicit TLS + PLAIN", server: serverConfig{implicit: true, users: users}, auth: "PLAIN", password: "s3cret", tls: true},
		{name: "STARTTLS without auth", server: serverConfig{startTLS: true}, tls: true},
		{name: "plain loopback + LOGIN", server: serverConfig{users: users}, auth: "LOGIN", password: "s3cret"},
		{name: "wrong password is retried", server: serverConfig{startTLS: true, users: users}, auth: "PLAIN", password: "nope", deferred: "535"},
		{name: "STARTTLS required but not offered", server: serverConfig{}, deferred: "STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, tt.server)
			relay := ts.relay()
			if tt.name == "STARTTLS required but not offered" {
				relay.Security = StartTLS
			}
			if tt.password != "" {
				relay.Username, relay.Password, relay.Auth = "pbx", tt.password, tt.auth
			}
			q := openQueue(t, t.TempDir(), relay, newFakeClock(), "")
			id := mustEnqueue(t, q, Email{Recipient: "a@example.org", Message: "m"})
			n := q.DeliverDue(context.Background())
			if tt.deferred != "" {
				st, err := q.Status(id)
				if n != 0 || err != nil || st.State != Queued || !strings.Contains(st.LastError, tt.deferred) {
					t.Fatalf("sent %d, status %+v %v", n, st, err)
				}
				ts.none(t)
				return
			}
			d := ts.next(t)
			wantUser := ""
			if tt.password != "" {
				wantUser = "pbx"
			}
			if d.tls != tt.tls || d.authUser != wantUser {
				t.Errorf("tls %v user %q, want %v %q", d.tls, d.authUser, tt.tls, wantUser)
			}
		})
	}
}

func TestAuthRefusedInTheClear(t *testing.T) {
	for _, name := range []string{"relay.example.com", "192.0.2.1"} {
		if err := secure(&smtpServerInfo{Name: name}); err == nil {
			t.Errorf("credentials allowed in the clear to %s", name)
		}
	}
	for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := secure(&smtpServerInfo{Name: name}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := secure(&smtpServerInfo{Name: "relay.example.com", TLS: true}); err != nil {
		t.Error(err)
	}
}

func TestEnqueueRejects(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(root, "ok.txt"), []byte("ok"), 0o644)
	os.WriteFile(filepath.Join(root, "big.bin"), make([]byte, 4096), 0o644)
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	os.Mkdir(filepath.Join(root, "dir"), 0o755)
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	relay := Relay{Host: "127.0.0.1", Port: 1}
	q, err := Open(Options{Dir: t.TempDir(), Relay: relay, From: from, AttachmentRoot: root, MaxMessageBytes: 3000, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	noRoot := openQueue(t, t.TempDir(), relay, nil, "")
	noRelay := openQueue(t, t.TempDir(), Relay{}, nil, root)
	ok := Email{Recipient: "a@example.org", Message: "m"}
	with := func(edit func(*Email)) Email { e := ok; edit(&e); return e }
	tests := []struct {
		name string
		q    *Queue
		e    Email
		want error
	}{
		{"no recipient", q, with(func(e *Email) { e.Recipient = " ; " }), ErrInvalid},
		{"bad recipient", q, with(func(e *Email) { e.Recipient = "not an address" }), ErrInvalid},
		{"header injection in recipient", q, with(func(e *Email) { e.Recipient = "a@example.org\r\nBcc: b@example.org" }), ErrInvalid},
		{"bad sender", q, with(func(e *Email) { e.Sender = "@@" }), ErrInvalid},
		{"dot-dot", q, with(func(e *Email) { e.Attachments = []string{"../secret"} }), ErrAttachment},
		{"absolute outside", q, with(func(e *Email) { e.Attachments = []string{filepath.Join(outside, "secret")} }), ErrAttachment},
		{"absolute dot-dot", q, with(func(e *Email) { e.Attachments = []string{root + "/../" + filepath.Base(outside) + "/secret"} }), ErrAttachment},
		{"symlink out", q, with(func(e *Email) { e.Attachments = []string{"link"} }), ErrAttachment},
		{"directory", q, with(func(e *Email) { e.Attachments = []string{"dir"} }), ErrAttachment},
		{"missing", q, with(func(e *Email) { e.Attachments = []string{"none.txt"} }), ErrAttachment},
		{"attachments disabled", noRoot, with(func(e *Email) { e.Attachments = []string{"ok.txt"} }), ErrAttachment},
		{"attachment too big", q, with(func(e *Email) { e.Attachments = []string{"big.bin"} }), ErrTooLarge},
		{"body too big", q, with(func(e *Email) { e.Message = strings.Repeat("x", 3001) }), ErrTooLarge},
		{"encoded too big", q, with(func(e *Email) { e.Message = strings.Repeat("é", 1400) }), ErrTooLarge},
		{"no relay", noRelay, ok, ErrNoRelay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.q.Enqueue(tt.e); !errors.Is(err, tt.want) {
				t.Fatalf("Enqueue: %v, want %v", err, tt.want)
			}
		})
	}
	if len(q.Pending()) != 0 {
		t.Errorf("refused mail queued: %+v", q.Pending())
	}
	for _, a := range [][]string{{"ok.txt"}, {filepath.Join(root, "ok.txt")}} {
		if _, err := q.Enqueue(with(func(e *Email) { e.Attachments = a })); err != nil {
			t.Errorf("attachment %v: %v", a, err)
		}
	}
}

func TestParseSecurity(t *testing.T) {
	for in, want := range map[string]Security{"": Plain, "none": Plain, "STARTTLS": StartTLS, "tls": ImplicitTLS, "ssl": ImplicitTLS} {
		if got, err := ParseSecurity(in); err != nil || got != want {
			t.Errorf("ParseSecurity(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSecurity("maybe"); err == nil {
		t.Error("ParseSecurity(maybe) accepted")
	}
	for sec, port := range map[Security]string{Plain: ":25", StartTLS: ":587", ImplicitTLS: ":465"} {
		if a := (Relay{Host: "h", Security: sec}).addr(); !strings.HasSuffix(a, port) {
			t.Errorf("%v: %s", sec, a)
		}
	}
}

func TestFailedAreBounded(t *testing.T) {
	ts := startServer(t, serverConfig{rejectRcpt: map[string]int{"x@example.org": 550}})
	dir := t.TempDir()
	q, err := Open(Options{Dir: dir, Relay: ts.relay(), From: from, MaxFailed: 2, Clock: newFakeClock(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 3 {
		ids = append(ids, mustEnqueue(t, q, Email{Recipient: "x@example.org"}))
	}
	q.DeliverDue(context.Background())
	failed := q.Failed()
	if len(failed) != 2 || failed[0].ID != ids[1] || failed[1].ID != ids[2] {
		t.Fatalf("failed %+v", failed)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "failed", "*"))
	if len(files) != 4 {
		t.Fatalf("files %v", files)
	}
}
