package ua

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"
)

// MessageSink takes the text messages (SIP MESSAGE, RFC 3428) that
// registered phones send (*messaging.Router).
type MessageSink interface {
	SIPMessage(from, to, text string) error
}

// maxMessageBody bounds the text of a MESSAGE we accept or send (RFC
// 3428 section 8: 1300 bytes unless the path is congestion-controlled).
const maxMessageBody = 1300

// SetMessageSink replaces where incoming MESSAGEs go (nil: refused).
func (s *Server) SetMessageSink(m MessageSink) { s.messages.Store(&m) }

func (s *Server) messageSink() MessageSink {
	if m := s.messages.Load(); m != nil {
		return *m
	}
	return nil
}

// handleMessage takes a MESSAGE from a phone: authenticated like an
// INVITE (407), only from an extension that is registered, only
// text/plain in UTF-8; the text goes to the MessageSink.
func (s *Server) handleMessage(req *sip.Request, tx sip.ServerTransaction) {
	sink := s.messageSink()
	if sink == nil {
		s.respond(req, tx, 405, "Method Not Allowed", sip.NewHeader("Allow", allowMethods))
		return
	}
	user, ok := s.authenticate(req, tx, authProxy)
	if !ok {
		return
	}
	if len(s.reg.Lookup(user)) == 0 {
		s.respond(req, tx, 403, "Not Registered")
		return
	}
	text, status := messageText(req)
	if status != 0 {
		s.respond(req, tx, status, statusText(status), sip.NewHeader("Accept", "text/plain"))
		return
	}
	if err := sink.SIPMessage(user, req.Recipient.User, text); err != nil {
		s.log.Warn("sip message not stored", "from", user, "err", err)
		s.respond(req, tx, 500, "Server Internal Error")
		return
	}
	s.respond(req, tx, 200, "OK")
}

// messageText reads a MESSAGE body: text/plain (charset UTF-8 or none),
// valid UTF-8, at most maxMessageBody bytes; status != 0 refuses it.
func messageText(req *sip.Request) (string, int) {
	ct := req.ContentType()
	if ct == nil {
		return "", 415
	}
	mediaType, params, _ := strings.Cut(ct.Value(), ";")
	if !strings.EqualFold(strings.TrimSpace(mediaType), "text/plain") {
		return "", 415
	}
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		v = strings.Trim(strings.TrimSpace(v), `"`)
		if strings.EqualFold(k, "charset") && !strings.EqualFold(v, "utf-8") && !strings.EqualFold(v, "us-ascii") {
			return "", 415
		}
	}
	body := req.Body()
	switch {
	case len(body) > maxMessageBody:
		return "", 413
	case !utf8.Valid(body):
		return "", 400
	}
	return string(body), 0
}

// SendMessage sends text to the registered phone of extension to as a
// SIP MESSAGE from the number from; it returns once the phone accepted
// it (2xx), with an error otherwise. It implements messaging.SIPMessenger.
func (s *Server) SendMessage(ctx context.Context, to, from, text string) error {
	if len(text) > maxMessageBody {
		return fmt.Errorf("ua: message of %d bytes, at most %d", len(text), maxMessageBody)
	}
	bindings := s.reg.Lookup(to)
	if len(bindings) == 0 {
		return ErrNotRegistered
	}
	b := bindings[0]
	dua := s.dialogUAs[b.Transport]
	if dua == nil {
		return fmt.Errorf("ua: no %s transport for binding of %s", b.Transport, to)
	}
	var target sip.Uri
	if err := sip.ParseUri(b.Contact, &target); err != nil {
		return fmt.Errorf("ua: bad contact %q of %s: %w", b.Contact, to, err)
	}
	host := s.opts.Advertise.String()
	req := sip.NewRequest(sip.MESSAGE, target)
	req.SetTransport(b.Transport)
	req.SetDestination(destination(b, target).String())
	fromHdr := &sip.FromHeader{DisplayName: s.dir().DisplayName(from), Address: sip.Uri{Scheme: "sip", User: from, Host: host}, Params: sip.NewParams()}
	fromHdr.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(fromHdr)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: to, Host: host}, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Content-Type", "text/plain;charset=UTF-8"))
	req.SetBody([]byte(text))
	res, err := dua.Client.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("ua: message to %s: %w", to, err)
	}
	if res == nil { // sipgo: the transaction ended without an answer and without an error
		return fmt.Errorf("ua: message to %s: transaction ended unanswered", to)
	}
	if !res.IsSuccess() {
		return &MessageError{Code: res.StatusCode, Reason: res.Reason}
	}
	return nil
}

// MessageError is a phone's refusal of a MESSAGE.
type MessageError struct {
	Code   int
	Reason string
}

func (e *MessageError) Error() string {
	return fmt.Sprintf("ua: message refused: %d %s", e.Code, e.Reason)
}
