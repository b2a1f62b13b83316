package api

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/inbox"
	"github.com/gatepbx/gatepbx/firmware/mailq"
	"github.com/gatepbx/gatepbx/firmware/messaging"
	"github.com/gatepbx/gatepbx/hal/gsm"
	"github.com/gatepbx/gatepbx/hal/gsm/gsmsim"
	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
	"github.com/gatepbx/gatepbx/hal/gsm/serial"
)

// The messaging commands run against real peers: mailq delivering to a
// go-smtp server on loopback, the gsm driver talking to the simulated
// modem on a pseudo-terminal, the inbox on disk, and notifications posted
// to a loopback HTTP server. Only the SIP route is a recording stand-in
// (the SIP stack provides the real one).

// msgWait guards against hangs; it is not a timing assertion.
const msgWait = 30 * time.Second

// xmlMsgResponse is a messaging answer as a client decodes it.
type xmlMsgResponse struct {
	XMLName  xml.Name     `xml:"Response"`
	Code     int          `xml:"Code"`
	Message  string       `xml:"Message"`
	EmailId  string       `xml:"EmailId"`
	SmsId    string       `xml:"SmsId"`
	Messages []xmlMessage `xml:"Messages>Message"`
}

type xmlMessage struct {
	MessageId, Originator, Recipient, MessageType, MessageData, SentTime, ReceivedTime string
}

// smtpServer is a go-smtp server on loopback that keeps what it accepts.
type smtpServer struct {
	addr string
	got  chan smtpMail
	srv  *smtp.Server
	done chan struct{}
}

type smtpMail struct {
	from string
	to   []string
	data []byte
}

type smtpSession struct {
	s   *smtpServer
	cur smtpMail
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.cur.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.cur.to = append(x.cur.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := x.cur
	m.data = data
	x.s.got <- m
	return nil
}

func (x *smtpSession) Reset()        { x.cur = smtpMail{} }
func (x *smtpSession) Logout() error { return nil }

// startSMTP serves on addr ("127.0.0.1:0" for a free port).
func startSMTP(t *testing.T, addr string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{addr: ln.Addr().String(), got: make(chan smtpMail, 16), done: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = time.Minute, time.Minute
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	t.Cleanup(s.close)
	return s
}

func (s *smtpServer) close() {
	s.srv.Close()
	<-s.done
}

func (s *smtpServer) next(t *testing.T) smtpMail {
	t.Helper()
	select {
	case m := <-s.got:
		return m
	case <-time.After(msgWait):
		t.Fatal("no mail delivered")
		return smtpMail{}
	}
}

// hookServer is an application receiving notifications.
type hookServer struct {
	srv *httptest.Server
	got chan hookPost
}

type hookPost struct {
	path  string
	query string
	form  url.Values
}

func startHook(t *testing.T) *hookServer {
	t.Helper()
	h := &hookServer{got: make(chan hookPost, 32)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		h.got <- hookPost{path: r.URL.Path, query: r.URL.RawQuery, form: form}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookServer) next(t *testing.T) hookPost {
	t.Helper()
	select {
	case p := <-h.got:
		return p
	case <-time.After(msgWait):
		t.Fatal("no notification")
		return hookPost{}
	}
}

// offsetClock runs from testNow at the real pace (retry timers are real).
type offsetClock struct{ start time.Time }

func (c offsetClock) Now() time.Time                       { return testNow.Add(time.Since(c.start)) }
func (offsetClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// sipStub: extension 101 is registered, 102 is not; MESSAGEs are recorded.
type sipStub struct {
	mu   sync.Mutex
	sent []string
}

func (*sipStub) SIPExtension(n string) (bool, bool) {
	return n == "101" || n == "102", n == "101"
}

func (s *sipStub) SendMessage(_ context.Context, to, from, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, from+">"+to+":"+text)
	return nil
}

func (s *sipStub) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// msgRig is the API with every messaging component behind it.
type msgRig struct {
	*rig
	data   string
	smtp   *smtpServer
	sim    *gsmsim.Sim
	hook   *hookServer
	store  *inbox.Store
	sip    *sipStub
	router *messaging.Router
}

// quiet is a logger for the components (the handler's log is the rig's).
var quiet = slog.New(slog.DiscardHandler)

// openMail opens the queue on dir/mail and runs it until the test ends
// (or stop is called).
func openMail(t *testing.T, data, relayAddr string) (q *mailq.Queue, stop func()) {
	t.Helper()
	host, port, _ := net.SplitHostPort(relayAddr)
	p, _ := strconv.Atoi(port)
	q, err := mailq.Open(mailq.Options{
		Dir:   filepath.Join(data, "mail"),
		Relay: mailq.Relay{Host: host, Port: p, Security: mailq.Plain, DialTimeout: 5 * time.Second, SessionTimeout: msgWait},
		From:  "pbx@example.com", AttachmentRoot: data, MaxMessageBytes: 3000,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return q, stop
}

func newMsgRig(t *testing.T) *msgRig {
	t.Helper()
	m := &msgRig{data: t.TempDir(), smtp: startSMTP(t, "127.0.0.1:0"), hook: startHook(t), sip: &sipStub{}}
	queue, _ := openMail(t, m.data, m.smtp.addr)

	var err error
	m.store, err = inbox.Open(inbox.Options{Dir: filepath.Join(m.data, "inbox"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	notes := notify.New(notify.Options{Logger: quiet, Backoff: 10 * time.Millisecond})
	t.Cleanup(func() { notes.Close(context.Background()) })
	m.router, err = messaging.New(messaging.Options{
		Store: m.store, Directory: m.sip, SIP: m.sip, Notifier: notes, IncomingURL: m.hook.srv.URL + "/incoming",
		Attempts: 2, MinBackoff: 10 * time.Millisecond, Clock: offsetClock{time.Now()}, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	m.sim, err = gsmsim.Start(gsmsim.Options{Now: func() time.Time { return testNow.Add(-time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.sim.Close() })
	port, err := serial.Open(m.sim.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	modem, err := gsm.Open(context.Background(), port, gsm.Options{
		OnMessage: m.router.ModemMessage, OnReport: m.router.ModemReport, Logger: quiet, CommandTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { modem.Close() })
	m.router.SetModem(modem)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.router.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })

	m.rig = newRig(t, func(o *Options) { o.Mail, o.Messages, o.Inbox = queue, m.router, m.store })
	return m
}

// call sends a command and decodes the answer.
func (m *msgRig) call(t *testing.T, pairs ...string) ([]byte, xmlMsgResponse) {
	t.Helper()
	body := m.get(t, "/api?"+query(pairs...)+appAuth)
	var resp xmlMsgResponse
	if err := xml.Unmarshal(body, &resp); err != nil {
		t.Fatalf("response is not XML: %v\n%s", err, body)
	}
	return body, resp
}

// normalized replaces the random IDs in body so it can be compared with a
// golden file.
func normalized(body []byte, ids ...string) []byte {
	s := string(body)
	for i, id := range ids {
		if id != "" {
			s = strings.ReplaceAll(s, id, "00000000-0000-0000-0000-00000000000"+strconv.Itoa(i))
		}
	}
	return []byte(s)
}

// msgCase is one request and what must come back.
type msgCase struct {
	name   string
	pairs  []string
	code   int
	golden string
}

func (m *msgRig) run(t *testing.T, cases []msgCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, resp := m.call(t, tc.pairs...)
			if resp.Code != tc.code {
				t.Fatalf("code %d, want %d\n%s", resp.Code, tc.code, body)
			}
			if tc.golden != "" {
				checkGolden(t, tc.golden, normalized(body, resp.EmailId, resp.SmsId))
			}
		})
	}
}

func TestSendEmail(t *testing.T) {
	m := newMsgRig(t)
	rec := filepath.Join(m.data, "recordings", "call-1.wav")
	if err := os.MkdirAll(filepath.Dir(rec), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, []byte("RIFF-recording-bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(m.data, "big.bin")
	if err := os.WriteFile(big, make([]byte, 4000), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(outside, []byte("secret"), 0o600)

	t.Run("delivered", func(t *testing.T) {
		body, resp := m.call(t, "command", "SendEmail", "Recipient", "bob@example.com", "Sender", "Reception <reception@example.com>",
			"Subject", "Voicemail from 101", "Message", "Hello Bob,\nyou have a message.", "Attachments", rec)
		if resp.Code != 200 || resp.EmailId == "" {
			t.Fatalf("answer %s", body)
		}
		checkGolden(t, "send_email_ok", normalized(body, resp.EmailId))
		got := m.smtp.next(t)
		if got.from != "pbx@example.com" || strings.Join(got.to, ",") != "bob@example.com" {
			t.Fatalf("envelope %s -> %v", got.from, got.to)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(got.data)))
		if err != nil {
			t.Fatal(err)
		}
		if s := msg.Header.Get("Subject"); s != "Voicemail from 101" {
			t.Errorf("Subject %q", s)
		}
		if f := msg.Header.Get("From"); !strings.Contains(f, "reception@example.com") {
			t.Errorf("From %q", f)
		}
		if to := msg.Header.Get("To"); !strings.Contains(to, "bob@example.com") {
			t.Errorf("To %q", to)
		}
		if id := msg.Header.Get("Message-Id"); !strings.Contains(id, resp.EmailId) {
			t.Errorf("Message-Id %q does not carry the EmailId %s", id, resp.EmailId)
		}
		text, att := mimeParts(t, msg)
		if !strings.Contains(text, "you have a message.") || att["call-1.wav"] != "RIFF-recording-bytes" {
			t.Fatalf("body %q, attachments %q", text, att)
		}
	})
	m.run(t, []msgCase{
		{"missing recipient", []string{"command", "SendEmail", "Message", "x"}, 302, "send_email_missing_recipient"},
		{"missing message", []string{"command", "SendEmail", "Recipient", "bob@example.com"}, 302, "send_email_missing_message"},
		{"bad sender", []string{"command", "SendEmail", "Recipient", "bob@example.com", "Message", "x", "Sender", "not an address"}, 302, "send_email_bad_sender"},
		{"bad recipient", []string{"command", "SendEmail", "Recipient", "bob at example", "Message", "x"}, 302, "send_email_bad_recipient"},
		{"attachment outside the data dir", []string{"command", "SendEmail", "Recipient", "bob@example.com", "Message", "x", "Attachments", outside}, 302, "send_email_bad_attachment"},
		{"attachment with ..", []string{"command", "SendEmail", "Recipient", "bob@example.com", "Message", "x", "Attachments", "recordings/../../x"}, 302, ""},
		{"missing attachment", []string{"command", "SendEmail", "Recipient", "bob@example.com", "Message", "x", "Attachments", filepath.Join(m.data, "nope.wav")}, 302, ""},
		{"attachment too large", []string{"command", "SendEmail", "Recipient", "bob@example.com", "Message", "x", "Attachments", rec + ";" + big}, 302, ""},
		{"message too large", []string{"command", "SendEmail", "Recipient", "bob@example.com", "Message", strings.Repeat("x", 3500)}, 302, "send_email_too_large"},
	})
	select {
	case got := <-m.smtp.got:
		t.Fatalf("a refused e-mail was delivered: %s", got.data)
	default:
	}
}

// mimeParts returns the text body and the attachments (file name → content).
func mimeParts(t *testing.T, msg *mail.Message) (string, map[string]string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	att := map[string]string{}
	var text string
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart() // decodes quoted-printable text parts
		if err == io.EOF {
			return text, att
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		if p.FileName() == "" {
			text = string(data)
			continue
		}
		dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), ""))
		if err != nil {
			t.Fatalf("attachment %s: %v", p.FileName(), err)
		}
		att[p.FileName()] = string(dec)
	}
}

func TestSendEmailWithoutRelay(t *testing.T) {
	r := newRig(t, nil)
	body := r.get(t, "/api?"+query("command", "SendEmail", "Recipient", "bob@example.com", "Message", "x")+appAuth)
	if resp := decode(t, body); resp.Code != 501 {
		t.Fatalf("answer %s", body)
	}
	checkGolden(t, "send_email_no_relay", body)
}

// TestSendEmailSurvivesRestart: a mail accepted while the relay is down
// is delivered by the queue opened again after a restart.
func TestSendEmailSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the relay is down: nothing listens there
	q1, stop1 := openMail(t, data, addr)
	r := newRig(t, func(o *Options) { o.Mail = q1 })
	body := r.get(t, "/api?"+query("command", "SendEmail", "Recipient", "carol@example.com", "Subject", "kept", "Message", "survives")+appAuth)
	var resp xmlMsgResponse
	if err := xml.Unmarshal(body, &resp); err != nil || resp.Code != 200 {
		t.Fatalf("answer %s", body)
	}
	deadline := time.Now().Add(msgWait)
	for st, err := q1.Status(resp.EmailId); err != nil || st.Attempts == 0; st, err = q1.Status(resp.EmailId) {
		if time.Now().After(deadline) {
			t.Fatalf("no failed attempt recorded: %+v %v", st, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop1() // the appliance stops

	srv := startSMTP(t, addr) // the relay is back
	q2, _ := openMail(t, data, addr)
	got := srv.next(t)
	if strings.Join(got.to, ",") != "carol@example.com" || !strings.Contains(string(got.data), resp.EmailId) || !strings.Contains(string(got.data), "survives") {
		t.Fatalf("delivered %s -> %v\n%s", got.from, got.to, got.data)
	}
	for _, err := q2.Status(resp.EmailId); err == nil; _, err = q2.Status(resp.EmailId) {
		if time.Now().After(deadline) {
			t.Fatal("delivered mail still queued")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSendSMS(t *testing.T) {
	m := newMsgRig(t)
	reportURL := m.hook.srv.URL + "/report?app=42"

	t.Run("through the modem, delivery report", func(t *testing.T) {
		body, resp := m.call(t, "command", "SendSMS", "Recipient", "+36 30 123 4567", "Message", "Meeting at 10", "DeliveryReportURL", reportURL)
		if resp.Code != 200 || resp.SmsId == "" {
			t.Fatalf("answer %s", body)
		}
		checkGolden(t, "send_sms_ok", normalized(body, resp.SmsId))
		sub := m.waitSent(t, 1)[0]
		if sub.To != "+36301234567" || sub.Text != "Meeting at 10" || sub.Encoding != pdu.GSM7 || !sub.RequestReport {
			t.Fatalf("PDU received by the modem: %+v", sub)
		}
		if err := m.sim.Report(sub.Ref, sub.To, 0); err != nil {
			t.Fatal(err)
		}
		p := m.hook.next(t)
		if p.path != "/report" || p.query != "app=42" || p.form.Get("NotificationName") != "SMSDeliveryReport" ||
			p.form.Get("SmsId") != resp.SmsId || p.form.Get("DeliveryStatus") != "Delivered" || p.form.Get("Recipient") != "+36301234567" {
			t.Fatalf("report %+v", p)
		}
		if msg, err := m.store.Get(resp.SmsId); err != nil || msg.Folder != inbox.Sent || msg.Status != messaging.StatusDelivered {
			t.Fatalf("stored %+v %v", msg, err)
		}
	})
	t.Run("UCS-2 and concatenated", func(t *testing.T) {
		text := strings.Repeat("Szia, ő! ", 10) // 90 characters, one outside GSM 7-bit
		_, resp := m.call(t, "command", "SendSms", "Recipient", "06301234567", "Message", text)
		if resp.Code != 200 {
			t.Fatalf("code %d", resp.Code)
		}
		sent := m.waitSent(t, 3)[1:]
		if sent[0].Encoding != pdu.UCS2 || sent[0].Concat.Total != 2 || sent[0].Text+sent[1].Text != text || sent[0].RequestReport {
			t.Fatalf("parts %+v", sent)
		}
	})
	t.Run("to a registered phone by SIP MESSAGE", func(t *testing.T) {
		_, resp := m.call(t, "command", "SendSMS", "Recipient", "101", "Sender", "200", "Message", "Call me", "DelivaryReportURL", reportURL)
		if resp.Code != 200 {
			t.Fatalf("code %d", resp.Code)
		}
		p := m.hook.next(t)
		if p.form.Get("SmsId") != resp.SmsId || p.form.Get("DeliveryStatus") != "Delivered" {
			t.Fatalf("report %+v", p.form)
		}
		if got := m.sip.list(); len(got) != 1 || got[0] != "200>101:Call me" {
			t.Fatalf("SIP MESSAGEs %q", got)
		}
	})
	t.Run("modem refuses: retried, then reported failed", func(t *testing.T) {
		m.sim.Reject("+36309999999", 500)
		_, resp := m.call(t, "command", "SendSMS", "Recipient", "+36309999999", "Message", "x", "DeliveryReportURL", reportURL)
		if resp.Code != 200 {
			t.Fatalf("code %d", resp.Code)
		}
		p := m.hook.next(t)
		if p.form.Get("SmsId") != resp.SmsId || p.form.Get("DeliveryStatus") != "Failed" || !strings.Contains(p.form.Get("ErrorMessage"), "500") {
			t.Fatalf("report %+v", p.form)
		}
		if msg, _ := m.store.Get(resp.SmsId); msg.Status != messaging.StatusFailed {
			t.Fatalf("stored %+v", msg)
		}
	})
	m.run(t, []msgCase{
		{"missing recipient", []string{"command", "SendSMS", "Message", "x"}, 302, "send_sms_missing_recipient"},
		{"missing message", []string{"command", "SendSMS", "Recipient", "+3630"}, 302, "send_sms_missing_message"},
		{"not GSM 7-bit", []string{"command", "SendSMS", "Recipient", "+36301234567", "Message", "ő", "Encoding", "gsm7"}, 302, "send_sms_bad_charset"},
		{"too long", []string{"command", "SendSMS", "Recipient", "+36301234567", "Message", strings.Repeat("x", 1531)}, 302, "send_sms_too_long"},
		{"bad encoding", []string{"command", "SendSMS", "Recipient", "+36301234567", "Message", "x", "Encoding", "ebcdic"}, 302, "send_sms_bad_encoding"},
		{"bad report URL", []string{"command", "SendSMS", "Recipient", "+36301234567", "Message", "x", "DeliveryReportURL", "ftp://x/"}, 302, "send_sms_bad_report_url"},
		{"unknown recipient", []string{"command", "SendSMS", "Recipient", "bob", "Message", "x"}, 501, "send_sms_no_route"},
		{"phone not registered", []string{"command", "SendSMS", "Recipient", "102", "Message", "x"}, 501, ""},
		{"too long for SIP", []string{"command", "SendSMS", "Recipient", "101", "Message", strings.Repeat("x", 1301)}, 302, ""},
	})
	if n := len(m.sim.Sent()); n != 3 {
		t.Fatalf("the modem got %d messages, want 3", n)
	}
}

// waitSent waits until the modem accepted n SMS-SUBMITs.
func (m *msgRig) waitSent(t *testing.T, n int) []pdu.Submit {
	t.Helper()
	deadline := time.Now().Add(msgWait)
	for {
		if s := m.sim.Sent(); len(s) >= n {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the modem got %d SMS, want %d", len(m.sim.Sent()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSendSMSWithoutRoutes(t *testing.T) {
	r := newRig(t, nil)
	for _, cmd := range []string{"SendSMS", "SendMessage"} {
		body := r.get(t, "/api?"+query("command", cmd, "Recipient", "+36301234567", "Message", "x", "MessageData", "x")+appAuth)
		if resp := decode(t, body); resp.Code != 501 {
			t.Fatalf("%s: %s", cmd, body)
		}
	}
}

func TestSendMessage(t *testing.T) {
	m := newMsgRig(t)
	t.Run("gateway form", func(t *testing.T) {
		body, resp := m.call(t, "command", "SendMessage", "Action", "sendmessage", "Recipient", "+441234567890",
			"MessageData", "Hi there", "Originator", "Office", "MessageType", "SMS:TEXT:UCS2")
		if resp.Code != 200 {
			t.Fatalf("answer %s", body)
		}
		checkGolden(t, "send_message_ok", normalized(body, resp.SmsId))
		sub := m.waitSent(t, 1)[0]
		if sub.To != "+441234567890" || sub.Text != "Hi there" || sub.Encoding != pdu.UCS2 {
			t.Fatalf("PDU %+v", sub)
		}
	})
	m.run(t, []msgCase{
		{"missing data", []string{"command", "SendMessage", "Recipient", "+441234567890"}, 302, "send_message_missing_data"},
		{"missing recipient", []string{"command", "SendMessage", "MessageData", "x"}, 302, ""},
		{"bad type", []string{"command", "SendMessage", "Recipient", "+441234567890", "MessageData", "x", "MessageType", "SMS:BINARY"}, 302, "send_message_bad_type"},
		{"bad action", []string{"command", "SendMessage", "Action", "receivemessage", "Recipient", "+441234567890", "MessageData", "x"}, 302, ""},
		{"several messages", []string{"command", "SendMessage", "MessageCount", "2", "Recipient", "+441234567890", "MessageData", "x"}, 302, ""},
		{"not GSM 7-bit", []string{"command", "SendMessage", "Recipient", "+441234567890", "MessageData", "€ ő", "MessageType", "SMS:TEXT:GSM7"}, 302, ""},
		{"no route", []string{"command", "SendMessage", "Recipient", "sales@example.com", "MessageData", "x"}, 501, "send_message_no_route"},
	})
}

func TestReceiveMessage(t *testing.T) {
	m := newMsgRig(t)
	if err := m.sim.Receive("+36201112222", "Hello from GSM & co <3"); err != nil {
		t.Fatal(err)
	}
	p := m.hook.next(t)
	if p.path != "/incoming" || p.form.Get("NotificationName") != "IncomingSMS" || p.form.Get("Sender") != "+36201112222" ||
		p.form.Get("Message") != "Hello from GSM & co <3" || p.form.Get("SmsId") == "" {
		t.Fatalf("IncomingSMS %+v", p)
	}
	body, resp := m.call(t, "command", "ReceiveMessage", "Folder", "inbox", "Limit", "10")
	if resp.Code != 200 || len(resp.Messages) != 1 || resp.Messages[0].MessageId != p.form.Get("SmsId") {
		t.Fatalf("answer %s", body)
	}
	received := strings.ReplaceAll(string(body), "<ReceivedTime>"+resp.Messages[0].ReceivedTime+"<", "<ReceivedTime>2019-04-09 10:35:00<")
	checkGolden(t, "receive_message_inbox", normalized([]byte(received), resp.Messages[0].MessageId))
	_, resp = m.call(t, "command", "ReceiveMessage")
	if resp.Code != 200 || len(resp.Messages) != 0 {
		t.Fatalf("downloaded message returned again: %+v", resp)
	}

	// A long UCS-2 message in three parts, reassembled; Limit and Leave.
	long := strings.Repeat("Árvíztűrő tükörfúrógép ", 7)
	if err := m.sim.ReceiveDirect("+36203334444", long); err != nil {
		t.Fatal(err)
	}
	if err := m.sim.Receive("+36205556666", "second"); err != nil {
		t.Fatal(err)
	}
	m.hook.next(t)
	m.hook.next(t)
	_, resp = m.call(t, "command", "ReceiveMessage", "Limit", "1", "AfterDownload", "leave")
	if len(resp.Messages) != 1 || resp.Messages[0].MessageData != long {
		t.Fatalf("first of two: %+v", resp.Messages)
	}
	_, resp = m.call(t, "command", "ReceiveMessage", "Action", "receivemessage", "AfterDownload", "delete")
	if len(resp.Messages) != 2 || resp.Messages[1].MessageData != "second" {
		t.Fatalf("both: %+v", resp.Messages)
	}
	if n := len(m.store.List(inbox.Inbox)); n != 1 {
		t.Fatalf("%d messages left in the inbox, want 1 (the first, downloaded)", n)
	}
	body, resp = m.call(t, "command", "ReceiveMessage")
	if len(resp.Messages) != 0 {
		t.Fatalf("answer %s", body)
	}
	checkGolden(t, "receive_message_empty", body)

	// What was sent is in the sent folder.
	_, resp = m.call(t, "command", "SendSMS", "Recipient", "101", "Sender", "200", "Message", "out")
	deadline := time.Now().Add(msgWait)
	for len(m.store.List(inbox.Sent)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("never sent")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, sent := m.call(t, "command", "ReceiveMessage", "Folder", "SENT")
	if len(sent.Messages) != 1 || sent.Messages[0].MessageId != resp.SmsId || sent.Messages[0].Recipient != "101" || sent.Messages[0].SentTime == "" {
		t.Fatalf("sent folder %+v", sent.Messages)
	}

	m.run(t, []msgCase{
		{"bad folder", []string{"command", "ReceiveMessage", "Folder", "spam"}, 302, "receive_message_bad_folder"},
		{"bad limit", []string{"command", "ReceiveMessage", "Limit", "-1"}, 302, "receive_message_bad_limit"},
		{"bad after download", []string{"command", "ReceiveMessage", "AfterDownload", "shred"}, 302, "receive_message_bad_after_download"},
		{"bad action", []string{"command", "ReceiveMessage", "Action", "sendmessage"}, 302, ""},
	})
}

func TestReceiveMessageWithoutStore(t *testing.T) {
	r := newRig(t, nil)
	body := r.get(t, "/api?command=ReceiveMessage"+appAuth)
	if resp := decode(t, body); resp.Code != 200 || !strings.Contains(string(body), "<Messages />") {
		t.Fatalf("answer %s", body)
	}
}

func TestNotifySecret(t *testing.T) {
	r := newRig(t, func(o *Options) {
		o.Users = append([]User{{Name: "signer", PasswordHash: fakeHash("x"), NotifySecret: "0123456789abcdef"}}, o.Users...)
	})
	if got := string(r.h.NotifySecret("signer")); got != "0123456789abcdef" {
		t.Fatalf("secret %q", got)
	}
	if r.h.NotifySecret("app") != nil || r.h.NotifySecret("nobody") != nil {
		t.Fatal("secret for a user without one")
	}
}

// TestSendSMSOutboxFull: with the outbox full (nothing delivers it here)
// a further message is refused with 303 and logged, never dropped.
func TestSendSMSOutboxFull(t *testing.T) {
	store, err := inbox.Open(inbox.Options{Dir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sip := &sipStub{}
	router, err := messaging.New(messaging.Options{Store: store, Directory: sip, SIP: sip, MaxQueued: 1, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, func(o *Options) { o.Messages = router })
	codes := []int{}
	for range 2 {
		body := r.get(t, "/api?"+query("command", "SendSMS", "Recipient", "101", "Message", "x")+appAuth)
		codes = append(codes, decode(t, body).Code)
		if len(codes) == 2 {
			checkGolden(t, "send_sms_outbox_full", body)
		}
	}
	if codes[0] != 200 || codes[1] != 303 || !strings.Contains(r.logs.String(), "outbox full") {
		t.Fatalf("codes %v, log %s", codes, r.logs.String())
	}
}
