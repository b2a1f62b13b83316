package app

import (
	"context"
	"encoding/xml"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/gatepbx/gatepbx/hal/sim/simctl"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// servicesResponse is the part of the API envelope the services use.
type servicesResponse struct {
	Code      int      `xml:"Code"`
	Message   string   `xml:"Message"`
	SmsID     string   `xml:"SmsId"`
	EmailID   string   `xml:"EmailId"`
	BookNames []string `xml:"AddressbookNames>Name"`
	Messages  []struct {
		MessageId, Originator, Recipient, MessageData string
	} `xml:"Messages>Message"`
}

// apiDo runs an API command as the test user and decodes the services'
// part of the answer.
func apiDo(t *testing.T, a *App, pairs ...string) servicesResponse {
	t.Helper()
	v := url.Values{"Username": {apiTestUser}, "Password": {apiTestPassword}}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	res := httpGet(t, "http://"+a.APIAddr()+"/api?"+v.Encode())
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r servicesResponse
	if err := xml.Unmarshal(body, &r); err != nil {
		t.Fatalf("not XML: %v\n%s", err, body)
	}
	return r
}

// TestSIPMessageFromPhone: a registered phone's MESSAGE is authenticated
// and lands in the message store, where ReceiveMessage finds it; an
// unregistered phone's is refused, and so is a body that is not text.
func TestSIPMessageFromPhone(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "register.xml", nil, ""), Service: "101", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
	tests := []struct {
		name, user, ctype, code string
	}{
		{"registered phone", "101", "text/plain;charset=UTF-8", "200"},
		{"unregistered phone", "103", "text/plain", "403"},
		{"not text", "101", "application/im-iscomposing+xml", "415"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"USER": tc.user, "CONTENTTYPE": tc.ctype, "CODE": tc.code, "TEXT": "Lunch at 12? (" + tc.name + ")"}
			sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "uac_message.xml", vars, ""), Service: "102", User: tc.user, Password: testPasswords[tc.user], Target: a.SIPUDPAddr()})
		})
	}
	r := apiDo(t, a, "command", "ReceiveMessage")
	if r.Code != 200 || len(r.Messages) != 1 {
		t.Fatalf("ReceiveMessage: %+v, want the registered phone's message only", r)
	}
	if m := r.Messages[0]; m.Originator != "101" || m.Recipient != "102" || m.MessageData != "Lunch at 12? (registered phone)" {
		t.Fatalf("message %+v", m)
	}
}

// TestSendMessageToPhone: SendMessage to a registered SIP extension
// reaches the phone (a SIPp UAS) as a MESSAGE, and the message moves to
// the sent folder.
func TestSendMessageToPhone(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	const text = "Meeting moved to room 2"
	p := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uas_message.xml", map[string]string{"TEXT": text, "FROM": "101"}, ""),
		Service: "102", User: "102", Password: testPasswords["102"], Target: a.SIPUDPAddr()})
	registerPhone(t, a, "102", p.Port())
	r := apiDo(t, a, "command", "SendMessage", "Recipient", "102", "MessageData", text, "Originator", "101")
	if r.Code != 200 || r.SmsID == "" {
		t.Fatalf("SendMessage: %+v", r)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("phone: %v", err)
	}
	waitFor(t, "the message in the sent folder", func() bool {
		sent := apiDo(t, a, "command", "ReceiveMessage", "Folder", "sent", "AfterDownload", "leave")
		return len(sent.Messages) == 1 && sent.Messages[0].MessageId == r.SmsID && sent.Messages[0].MessageData == text
	})
	if r := apiDo(t, a, "command", "SendMessage", "Recipient", "103", "MessageData", text); r.Code != 501 {
		t.Fatalf("SendMessage to an unregistered extension: %+v, want 501", r)
	}
}

// TestSendEmailThroughRelay: SendEmail goes through the real firmware's
// mail queue to an SMTP server (go-smtp) on loopback.
func TestSendEmailThroughRelay(t *testing.T) {
	t.Parallel()
	relayPort, got := startTestSMTP(t) // e2e_ozml_messaging_test.go

	cfg := apiTestConfig(t)
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.Security, cfg.SMTP.From = "127.0.0.1", relayPort, "plain", "pbx@example.com"
	a := startTestApp(t, cfg)
	r := apiDo(t, a, "command", "SendEmail", "Recipient", "boss@example.com", "Subject", "Missed call", "Message", "101 called at noon")
	if r.Code != 200 || r.EmailID == "" {
		t.Fatalf("SendEmail: %+v", r)
	}
	select {
	case m := <-got:
		if m.from != "pbx@example.com" || len(m.to) != 1 || m.to[0] != "boss@example.com" ||
			!strings.Contains(m.data, "Subject: Missed call") || !strings.Contains(m.data, "101 called at noon") {
			t.Fatalf("relay got %+v", m)
		}
	case <-time.After(30 * time.Second): // guards against a hang only
		t.Fatal("no mail reached the relay")
	}
}

// mail is what the test relay received.
type mail struct {
	from string
	to   []string
	data string
}

type mailSession struct {
	got     chan mail
	cur     mail
	refuse  *atomic.Bool  // when set and true, MAIL FROM gets 451 (a relay that defers)
	refused *atomic.Int32 // counts the 451s
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.refuse != nil && s.refuse.Load() {
		s.refused.Add(1)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.cur.from = from
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	select {
	case s.got <- s.cur:
	default:
	}
	return nil
}
func (s *mailSession) Reset()        { s.cur = mail{} }
func (s *mailSession) Logout() error { return nil }

// TestAddressbooksFromDataDir: a CSV in data_dir/addressbooks is a book
// at start; one dropped there later appears after a reload (SIGHUP).
func TestAddressbooksFromDataDir(t *testing.T) {
	t.Parallel()
	cfg := apiTestConfig(t)
	dir := cfg.AddressbookDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	csv := "Name,Phone,Email\nAlice,+3611112222,alice@example.com\n"
	if err := os.WriteFile(filepath.Join(dir, "Office.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startTestApp(t, cfg)
	if r := apiDo(t, a, "command", "ListAddressbookNames"); r.Code != 200 || strings.Join(r.BookNames, ",") != "Office" {
		t.Fatalf("ListAddressbookNames: %+v", r)
	}
	if err := os.WriteFile(filepath.Join(dir, "Customers.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if r := apiDo(t, a, "command", "ListAddressbookNames"); strings.Join(r.BookNames, ",") != "Customers,Office" {
		t.Fatalf("after reload: %+v", r)
	}
}

// TestSimBoardControl: with the sim board the appliance serves the
// control socket and writes its address to the data dir; taking a
// virtual phone off hook shows in its status.
func TestSimBoardControl(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.Board = "sim"
	a := startTestApp(t, cfg)
	addr, err := ReadSimControlAddr(cfg.DataDir)
	if err != nil || addr == "" || addr != a.SimControlAddr() {
		t.Fatalf("control address %q (%v), app says %q", addr, err, a.SimControlAddr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, args := range [][]string{{"offhook", "fxs0"}, {"status", "fxs0"}} {
		req, err := simctl.ParseArgs(args)
		if err != nil {
			t.Fatal(err)
		}
		res, err := simctl.Do(ctx, addr, req)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if args[0] == "status" && !res.OffHook {
			t.Fatalf("status %+v, want off hook", res)
		}
	}
	if _, err := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:]); err != nil {
		t.Fatalf("address %q", addr)
	}
}
