package api

import (
	"errors"
	"io/fs"
	"net/mail"
	"strconv"
	"strings"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/inbox"
	"github.com/gatepbx/gatepbx/firmware/mailq"
	"github.com/gatepbx/gatepbx/firmware/messaging"
	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
)

// Messaging: SendEmail, SendSMS, SendMessage and ReceiveMessage. The
// queues and the router do the work; these functions check parameters and
// turn outcomes into codes (api/API.md, section Messaging).

// Mailer queues e-mail (*mailq.Queue).
type Mailer interface {
	Enqueue(e mailq.Email) (string, error)
}

// MessageSender routes and sends text messages (*messaging.Router).
type MessageSender interface {
	Send(req messaging.Request) (string, error)
}

// MessageStore serves ReceiveMessage (*inbox.Store).
type MessageStore interface {
	Receive(q inbox.Query) ([]inbox.Message, error)
}

// maxReceiveLimit bounds one ReceiveMessage answer; larger Limits are
// clamped.
const maxReceiveLimit = 1000

// NotifySecret returns the notify_secret of an API user (nil when it has
// none or there is no such user): what signs the notifications caused by
// that user's commands, such as SMS delivery reports.
func (h *Handler) NotifySecret(user string) []byte {
	if u := h.users.Load().byName[user]; u != nil && u.NotifySecret != "" {
		return []byte(u.NotifySecret)
	}
	return nil
}

// recipientAndText reads the two mandatory parameters of the sending
// commands: Recipient and the text (textParam); bad is the 302 answer
// when one is missing.
func recipientAndText(req *request, textParam string) (recipient, text string, bad *reply) {
	for _, p := range []struct {
		name string
		to   *string
	}{{"Recipient", &recipient}, {textParam, &text}} {
		v, ok := req.required(p.name)
		if !ok {
			r := req.invalid(p.name)
			return "", "", &r
		}
		*p.to = v
	}
	return recipient, text, nil
}

// sendEmail: Recipient, Message, Sender, Subject, Attachments → EmailId;
// 501 when no relay is configured; 302.
func (h *Handler) sendEmail(req *request) reply {
	recipient, message, bad := recipientAndText(req, "Message")
	if bad != nil {
		return *bad
	}
	sender := strings.TrimSpace(req.params.value("Sender"))
	if sender != "" {
		if _, err := mail.ParseAddress(sender); err != nil {
			return req.invalid("Sender")
		}
	}
	var attachments []string
	for a := range strings.SplitSeq(req.params.value("Attachments"), ";") {
		if a = strings.TrimSpace(a); a != "" {
			attachments = append(attachments, a)
		}
	}
	if h.opts.Mail == nil {
		return reply{code: CodeSMSDestinationNotFound}
	}
	id, err := h.opts.Mail.Enqueue(mailq.Email{
		Recipient: recipient, Sender: sender, Subject: req.params.value("Subject"), Message: message, Attachments: attachments,
	})
	_, pathErr := errors.AsType[*fs.PathError](err)
	switch {
	case err == nil:
		return reply{code: CodeOK, body: func(w *xmlWriter) { w.leaf("EmailId", id) }}
	case errors.Is(err, mailq.ErrNoRelay):
		return reply{code: CodeSMSDestinationNotFound}
	case errors.Is(err, mailq.ErrInvalid):
		return req.invalid("Recipient")
	case errors.Is(err, mailq.ErrTooLarge) && len(attachments) == 0:
		return req.invalid("Message")
	case errors.Is(err, mailq.ErrTooLarge), errors.Is(err, mailq.ErrAttachment), pathErr:
		return req.invalid("Attachments")
	}
	h.log.Error("api: SendEmail: e-mail not queued", "user", req.user.Name, "err", err)
	return reply{code: CodeInappropriateCommand, args: []string{req.name}}
}

// parseEncoding reads the optional Encoding parameter of SendSMS and
// SendMessage.
func parseEncoding(v string) (pdu.Encoding, bool) {
	switch asciiLower(strings.TrimSpace(v)) {
	case "", "auto":
		return pdu.Auto, true
	case "gsm7", "gsm", "7bit", "default":
		return pdu.GSM7, true
	case "ucs2", "ucs-2", "unicode":
		return pdu.UCS2, true
	}
	return 0, false
}

// deliveryReportURL reads DeliveryReportURL (alias DelivaryReportURL);
// ok is false for a URL notifications cannot be sent to.
func deliveryReportURL(req *request) (string, bool) {
	u := strings.TrimSpace(req.params.value("DeliveryReportURL"))
	return u, u == "" || notify.CheckURL(u) == nil
}

// sendSMS: Recipient, Message, Sender, DeliveryReportURL (alias
// DelivaryReportURL), Encoding → SmsId; 501 when no route takes the
// recipient; 302.
func (h *Handler) sendSMS(req *request) reply {
	recipient, text, bad := recipientAndText(req, "Message")
	if bad != nil {
		return *bad
	}
	enc, ok := parseEncoding(req.params.value("Encoding"))
	if !ok {
		return req.invalid("Encoding")
	}
	report, ok := deliveryReportURL(req)
	if !ok {
		return req.invalid("DeliveryReportURL")
	}
	return h.sendText(req, "Message", messaging.Request{
		Recipient: recipient, Sender: req.params.value("Sender"), Text: text, Encoding: enc, ReportURL: report,
	})
}

// messageTypes are the MessageType values of SendMessage (the Ozeki
// gateway's SMS:TEXT, and a forced encoding as our own suffix).
var messageTypes = map[string]pdu.Encoding{
	"sms:text":      pdu.Auto,
	"sms:text:gsm7": pdu.GSM7,
	"sms:text:ucs2": pdu.UCS2,
}

// sendMessage, the Ozeki SMS gateway's form: Action (sendmessage),
// Recipient, MessageData, Originator, MessageType, DeliveryReportURL →
// SmsId; 501; 302.
func (h *Handler) sendMessage(req *request) reply {
	if a := req.params.value("Action"); a != "" && !asciiEqualFold(strings.TrimSpace(a), "sendmessage") {
		return req.invalid("Action")
	}
	if c := strings.TrimSpace(req.params.value("MessageCount")); c != "" && c != "1" {
		return req.invalid("MessageCount")
	}
	recipient, text, bad := recipientAndText(req, "MessageData")
	if bad != nil {
		return *bad
	}
	enc := pdu.Auto
	var ok bool
	if t := strings.TrimSpace(req.params.value("MessageType")); t != "" {
		if enc, ok = messageTypes[asciiLower(t)]; !ok {
			return req.invalid("MessageType")
		}
	}
	if v := req.params.value("Encoding"); v != "" {
		if enc, ok = parseEncoding(v); !ok {
			return req.invalid("Encoding")
		}
	}
	report, ok := deliveryReportURL(req)
	if !ok {
		return req.invalid("DeliveryReportURL")
	}
	return h.sendText(req, "MessageData", messaging.Request{
		Recipient: recipient, Sender: req.params.value("Originator"), Text: text, Encoding: enc, ReportURL: report,
	})
}

// sendText hands a checked message to the router; textParam names the
// text's parameter in 302 answers.
func (h *Handler) sendText(req *request, textParam string, m messaging.Request) reply {
	if h.opts.Messages == nil {
		return reply{code: CodeSMSDestinationNotFound}
	}
	m.User = req.user.Name
	id, err := h.opts.Messages.Send(m)
	switch {
	case err == nil:
		return reply{code: CodeOK, body: func(w *xmlWriter) { w.leaf("SmsId", id) }}
	case errors.Is(err, messaging.ErrNoRoute):
		return reply{code: CodeSMSDestinationNotFound}
	case errors.Is(err, messaging.ErrCharset), errors.Is(err, messaging.ErrTooLong), errors.Is(err, messaging.ErrInvalid):
		return req.invalid(textParam)
	}
	h.log.Error("api: message not accepted", "command", req.name, "user", req.user.Name, "err", err)
	return reply{code: CodeInappropriateCommand, args: []string{req.name}}
}

// receiveMessage: Action (receivemessage), Folder, Limit, AfterDownload →
// the oldest messages of the folder not yet downloaded; 302.
func (h *Handler) receiveMessage(req *request) reply {
	if a := req.params.value("Action"); a != "" && !asciiEqualFold(strings.TrimSpace(a), "receivemessage") {
		return req.invalid("Action")
	}
	folder, err := inbox.ParseFolder(req.params.value("Folder"))
	if err != nil {
		return req.invalid("Folder")
	}
	limit := 0
	if v := strings.TrimSpace(req.params.value("Limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return req.invalid("Limit")
		}
		limit = min(n, maxReceiveLimit)
	}
	if limit == 0 {
		limit = maxReceiveLimit
	}
	after, err := inbox.ParseAfterDownload(req.params.value("AfterDownload"))
	if err != nil {
		return req.invalid("AfterDownload")
	}
	var msgs []inbox.Message
	if h.opts.Inbox != nil {
		msgs, err = h.opts.Inbox.Receive(inbox.Query{Folder: folder, Limit: limit, AfterDownload: after})
		if err != nil {
			h.log.Error("api: ReceiveMessage failed", "user", req.user.Name, "err", err)
			return reply{code: CodeInappropriateCommand, args: []string{req.name}}
		}
	}
	return reply{code: CodeOK, body: func(w *xmlWriter) { h.writeMessages(w, msgs) }}
}

func (h *Handler) writeMessages(w *xmlWriter, msgs []inbox.Message) {
	if len(msgs) == 0 {
		w.empty("Messages")
		return
	}
	w.open("Messages")
	for _, m := range msgs {
		w.open("Message")
		w.leaf("MessageId", m.ID)
		w.leaf("Originator", m.Originator)
		w.leaf("Recipient", m.Recipient)
		w.leaf("MessageType", m.Type)
		w.leaf("MessageData", m.Data)
		w.leafTime("SentTime", m.SentTime, h.loc)
		w.leafTime("ReceivedTime", m.ReceivedTime, h.loc)
		w.close("Message")
	}
	w.close("Messages")
}
