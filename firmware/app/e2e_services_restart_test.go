package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/hal/gsm/gsmsim"
)

// TestMessagingSurvivesRestart: nothing accepted is lost when the
// firmware restarts. While the relay defers every mail (451) and the
// modem refuses the recipient (+CMS ERROR), a SendEmail and a SendSMS
// are accepted and tried once each, and an SMS arrives from the network
// (posted as IncomingSMS). The firmware stops and starts again on the
// same data dir, now with a relay that takes mail and a modem that
// sends: the mail reaches the relay, the SMS the modem, its delivery
// report the DeliveryReportURL, and ReceiveMessage returns the SMS that
// arrived before the restart and lists the sent one.
func TestMessagingSurvivesRestart(t *testing.T) {
	t.Parallel()
	const recipient = "+36301234567"
	relay := startTestRelay(t)
	relay.refuse.Store(true)
	hook, posts := signingApp(t)
	cfg := apiTestConfig(t)
	cfg.SMTP = config.SMTP{Host: "127.0.0.1", Port: relay.port, Security: config.SecurityPlain, From: "pbx@example.com"}
	cfg.GSM = config.GSM{Device: config.GSMSimulated, Baud: 115200, HealthInterval: time.Minute, CommandTimeout: 5 * time.Second}
	cfg.SMS.IncomingURL = hook.URL + "/incoming"

	a := startTestApp(t, cfg)
	sim := a.svc.attachedModem().Sim
	sim.Reject(recipient, gsmsim.CMSUnknown)
	sendEmail(t, a, "kept across the restart")
	sms := apiDo(t, a, "command", "SendSMS", "Recipient", recipient, "Message", "kept too", "DeliveryReportURL", hook.URL+"/report")
	if sms.Code != 200 || sms.SmsID == "" {
		t.Fatalf("SendSMS: %+v", sms)
	}
	waitFor(t, "a deferred mail and a refused SMS", func() bool {
		tried := slices.ContainsFunc(sim.Commands(), func(c string) bool { return strings.HasPrefix(c, "AT+CMGS") })
		return tried && relay.refused.Load() > 0
	})
	if err := sim.Receive("+36209998888", "before the restart"); err != nil {
		t.Fatal(err)
	}
	in := nextSigned(t, posts)
	if in.path != "/incoming" || in.form.Get("NotificationName") != "IncomingSMS" || in.form.Get("Message") != "before the restart" {
		t.Fatalf("IncomingSMS %s %v", in.path, in.form)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	relay.refuse.Store(false)
	b := startTestApp(t, cfg)
	if m := relay.next(t, "kept across the restart"); m.from != "pbx@example.com" {
		t.Fatalf("mail from %q", m.from)
	}
	waitFor(t, "the SMS sent after the restart", func() bool {
		m := b.svc.attachedModem()
		return m != nil && len(m.Sim.Sent()) == 1
	})
	if sub := b.svc.attachedModem().Sim.Sent()[0]; sub.To != recipient || sub.Text != "kept too" || !sub.RequestReport {
		t.Fatalf("modem got %+v", sub)
	}
	rep := nextSigned(t, posts)
	if f := rep.form; rep.path != "/report" || f.Get("NotificationName") != "SMSDeliveryReport" || f.Get("SmsId") != sms.SmsID ||
		f.Get("DeliveryStatus") != "Delivered" {
		t.Fatalf("report %s %v", rep.path, f)
	}
	got := apiDo(t, b, "command", "ReceiveMessage", "Folder", "inbox")
	if got.Code != 200 || len(got.Messages) != 1 || got.Messages[0].MessageId != in.form.Get("SmsId") ||
		got.Messages[0].MessageData != "before the restart" || got.Messages[0].Originator != "+36209998888" {
		t.Fatalf("inbox after the restart: %+v", got)
	}
	sent := apiDo(t, b, "command", "ReceiveMessage", "Folder", "sent")
	if sent.Code != 200 || len(sent.Messages) != 1 || sent.Messages[0].MessageId != sms.SmsID {
		t.Fatalf("sent folder after the restart: %+v", sent)
	}
}
