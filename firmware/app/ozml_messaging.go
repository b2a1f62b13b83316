package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/firmware/mailq"
	"github.com/gatepbx/gatepbx/firmware/messaging"
	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
)

// OzML's SendEmail and SendSMS go through the same mail queue and
// message router as the HTTP API's commands: a script's message is
// queued durably and delivered (and retried) like any other.

// SendEmail implements ozml.EmailSender. Attachments arrive relative to
// the data dir, the mail queue's attachment root.
func (e ozmlEnv) SendEmail(_ context.Context, m ozml.Email) error {
	q := e.a.svc.mail
	if q == nil {
		return fmt.Errorf("SendEmail: %w: no smtp.host configured", ozml.ErrNotAvailable)
	}
	id, err := q.Enqueue(mailq.Email{
		Recipient: m.Recipient, Sender: strings.TrimSpace(m.Sender), Subject: m.Subject, Message: m.Message, Attachments: m.Attachments,
	})
	if err != nil {
		return fmt.Errorf("SendEmail to %q: %w", m.Recipient, err)
	}
	e.a.log.Info("OzML e-mail queued", "email", id, "recipient", m.Recipient)
	return nil
}

// SendSMS implements ozml.SMSSender: the router picks SIP MESSAGE or the
// GSM modem by recipient, as for the HTTP API's SendSMS.
func (e ozmlEnv) SendSMS(_ context.Context, m ozml.SMS) error {
	r := e.a.svc.router
	if r == nil {
		return fmt.Errorf("SendSMS: %w: no message router", ozml.ErrNotAvailable)
	}
	report := strings.TrimSpace(m.DeliveryReportURL)
	if report != "" {
		if err := notify.CheckURL(report); err != nil {
			return fmt.Errorf("SendSMS DeliveryReportURL: %w", err)
		}
	}
	id, err := r.Send(messaging.Request{
		Recipient: strings.TrimSpace(m.Recipient), Sender: m.Sender, Text: m.Message, Encoding: pdu.Auto, ReportURL: report,
	})
	if err != nil {
		return fmt.Errorf("SendSMS to %q: %w", m.Recipient, err)
	}
	e.a.log.Info("OzML message queued", "sms", id, "recipient", m.Recipient)
	return nil
}

var (
	_ ozml.EmailSender = ozmlEnv{}
	_ ozml.SMSSender   = ozmlEnv{}
)
