package app

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// messagingOzML sends an e-mail with an attachment from the data dir and
// two messages, one to a registered phone (SIP MESSAGE), one to a phone
// number (the GSM modem); the beep answers the call first.
const messagingOzML = `<Response>
  <Beep/>
  <Var id="who">101</Var>
  <SendEmail Recipient="boss@example.com" Subject="Call from $who" Attachments="notes/call.txt">$who called the IVR</SendEmail>
  <SendSMS Recipient="102" Sender="200">IVR call from $who</SendSMS>
  <SendSms Recipient="+36201234567">Mobile note about $who</SendSms>
  <SendSMS Recipient="front desk">no route takes this</SendSMS>
</Response>`

// TestOzmlSendEmailSMS: an API extension's script sends e-mail through
// the real mail queue to an SMTP server on loopback, and text messages
// through the message router to a SIPp phone and the simulated GSM
// modem; a message no route takes is logged and the script goes on to
// its end (the caller gets the BYE).
func TestOzmlSendEmailSMS(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	relayPort, got := startTestSMTP(t)
	cfg := apiExtConfig(t, map[string]string{"200": "messaging.ozml"})
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.Security, cfg.SMTP.From = "127.0.0.1", relayPort, "plain", "pbx@example.com"
	cfg.GSM.Device = config.GSMSimulated
	for name, body := range map[string]string{"scripts/messaging.ozml": messagingOzML, "notes/call.txt": "attached note"} {
		p := filepath.Join(cfg.DataDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := startTestApp(t, cfg)
	phone102 := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uas_message.xml", map[string]string{"TEXT": "IVR call from 101", "FROM": "200"}, ""),
		Service: "102", User: "102", Password: testPasswords["102"], Target: a.SIPUDPAddr()})
	registerPhone(t, a, "102", phone102.Port())

	c := mediaCaller(t, a, newRTPPhone(t), "hangup_wait.part", "200", map[string]string{})
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	select {
	case m := <-got:
		if m.from != "pbx@example.com" || len(m.to) != 1 || m.to[0] != "boss@example.com" || !strings.Contains(m.data, "Subject: Call from 101") ||
			!strings.Contains(m.data, "101 called the IVR") || !strings.Contains(m.data, "call.txt") {
			t.Fatalf("relay got %+v", m)
		}
	case <-time.After(30 * time.Second): // guards against a hang only
		t.Fatal("no mail reached the relay")
	}
	if err := phone102.Wait(); err != nil {
		t.Fatalf("phone 102: %v", err)
	}
	waitFor(t, "both messages in the sent folder", func() bool {
		sent := apiDo(t, a, "command", "ReceiveMessage", "Folder", "sent", "AfterDownload", "leave")
		texts := map[string]string{}
		for _, m := range sent.Messages {
			texts[m.Recipient] = m.MessageData
		}
		return len(sent.Messages) == 2 && texts["102"] == "IVR call from 101" && texts["+36201234567"] == "Mobile note about 101"
	})
}

// startTestSMTP runs an SMTP server (go-smtp) on a loopback port; what it
// receives arrives on the channel.
func startTestSMTP(t *testing.T) (int, <-chan mail) {
	t.Helper()
	got := make(chan mail, 1)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{got: got}, nil }))
	srv.Domain = "localhost"
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-served })
	return ln.Addr().(*net.TCPAddr).Port, got
}
