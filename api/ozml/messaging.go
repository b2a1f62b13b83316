package ozml

import (
	"context"
	"fmt"
	"strings"
)

// messaging runs SendSMS, SendEmail, SendAlarmNotification and
// ReceiveAlarmNotification through the Env's optional senders; without
// one the verb fails with a logged ErrNotAvailable and the script goes on.
func (r *run) messaging(ctx context.Context, n *Node) error {
	switch n.Name {
	case "sendemail":
		s, ok := r.in.env.(EmailSender)
		if !ok {
			break
		}
		m := Email{Recipient: r.str(n, "recipient"), Sender: r.str(n, "sender"), Subject: r.str(n, "subject"), Message: r.str(n, "message")}
		for a := range strings.SplitSeq(r.str(n, "attachments"), ";") {
			if a = strings.TrimSpace(a); a == "" {
				continue
			}
			rel, err := r.dataPath(a)
			if err != nil {
				return r.skip(n, "Attachments: %v", err)
			}
			m.Attachments = append(m.Attachments, rel)
		}
		return r.callErr(ctx, n, s.SendEmail(ctx, m))
	case "sendsms":
		if s, ok := r.in.env.(SMSSender); ok {
			report := r.str(n, "deliveryreporturl")
			if report == "" {
				report = r.str(n, "delivaryreporturl") // the reference's spelling
			}
			return r.callErr(ctx, n, s.SendSMS(ctx, SMS{Recipient: r.str(n, "recipient"), Sender: r.str(n, "sender"),
				Message: r.str(n, "message"), DeliveryReportURL: report}))
		}
	case "sendalarmnotification":
		return r.sendAlarm(ctx, n) // alarm.go
	case "receivealarmnotification":
		return r.receiveAlarm(ctx, n)
	}
	return r.callErr(ctx, n, fmt.Errorf("%s: %w (no sender for it is configured)", n.DisplayName(), ErrNotAvailable))
}

// sendMsg runs <SendMsg ToConnection="name">text</SendMsg> on the bus.
func (r *run) sendMsg(n *Node) error {
	to := strings.TrimSpace(r.str(n, "toconnection"))
	if to == "" {
		return r.skip(n, "no ToConnection")
	}
	if r.in.opts.Bus == nil {
		return r.skip(n, "%v: no message bus", ErrNotAvailable)
	}
	if err := r.in.opts.Bus.Send(to, r.str(n, "message")); err != nil {
		return r.skip(n, "%v", err)
	}
	return nil
}

// waitForMsg runs <WaitForMsg Connection="name" Id="var" Timeout="s"/>:
// it takes the oldest message for the connection into $var, waiting up to
// Timeout (default Options.MsgTimeout). Decisions: the connection
// defaults to this call's ApiExtension (else its CallId); the variable
// defaults to "message"; on timeout the variable is set empty and the
// script goes on.
func (r *run) waitForMsg(ctx context.Context, n *Node) error {
	if r.in.opts.Bus == nil {
		return r.skip(n, "%v: no message bus", ErrNotAvailable)
	}
	name := strings.TrimSpace(r.str(n, "connection"))
	if name == "" && r.call != nil {
		info := r.call.Info()
		if name = info["ApiExtension"]; name == "" {
			name = info["CallId"]
		}
	}
	if name == "" {
		return r.skip(n, "no Connection")
	}
	id := strings.TrimSpace(r.str(n, "id"))
	if id == "" {
		id = "message"
	}
	timeout, ok, err := r.seconds(n, "timeout")
	if err != nil {
		return r.skip(n, "%v", err)
	}
	if !ok || timeout == 0 {
		timeout = r.in.opts.MsgTimeout
	}
	ended, end := context.WithCancel(ctx)
	end() // first look without waiting: Receive still returns a queued message
	if msg, err := r.in.opts.Bus.Receive(ended, name); err == nil {
		return r.vars.set(id, msg)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := r.in.opts.Clock.After(min(timeout, r.remaining()))
	go func() {
		select {
		case <-timer:
			cancel()
		case <-wctx.Done():
		}
	}()
	msg, err := r.in.opts.Bus.Receive(wctx, name)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.log.Info("ozml: WaitForMsg timed out", "connection", name, "line", n.Line)
		msg = ""
	}
	return r.vars.set(id, msg)
}
