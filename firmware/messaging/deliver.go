package messaging

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/inbox"
	"github.com/gatepbx/gatepbx/hal/gsm"
)

// Run delivers the outbox until ctx ends, waking when a message is
// accepted, a modem is attached, or a retry is due.
func (r *Router) Run(ctx context.Context) error {
	for {
		r.DeliverDue(ctx)
		var timer <-chan time.Time
		if next, ok := r.nextAttempt(); ok {
			timer = r.opts.Clock.After(max(0, next.Sub(r.opts.Clock.Now())))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-timer:
		}
	}
}

func (r *Router) nextAttempt() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var next time.Time
	for _, rt := range r.retries {
		if next.IsZero() || rt.next.Before(next) {
			next = rt.next
		}
	}
	return next, !next.IsZero()
}

// DeliverDue makes one attempt at every outbox message whose time has
// come, oldest first, and returns how many went out.
func (r *Router) DeliverDue(ctx context.Context) (sent int) {
	now := r.opts.Clock.Now()
	r.mu.Lock()
	var due []string
	for id, rt := range r.retries {
		if !rt.next.After(now) {
			due = append(due, id)
		}
	}
	r.mu.Unlock()
	var msgs []inbox.Message
	for _, id := range due {
		m, err := r.opts.Store.Get(id)
		if err != nil || m.Folder != inbox.Outbox {
			r.forget(id)
			continue
		}
		msgs = append(msgs, m)
	}
	slices.SortFunc(msgs, func(a, b inbox.Message) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, m := range msgs {
		if ctx.Err() != nil {
			return sent
		}
		if r.attempt(ctx, m) {
			sent++
		}
	}
	return sent
}

func (r *Router) forget(id string) {
	r.mu.Lock()
	delete(r.retries, id)
	r.mu.Unlock()
}

// attempt tries one message once and records the outcome.
func (r *Router) attempt(ctx context.Context, m inbox.Message) bool {
	ctx, cancel := context.WithTimeout(ctx, r.opts.SendTimeout)
	defer cancel()
	var refs []uint8
	var err error
	switch m.Route {
	case RouteSIP:
		if r.opts.SIP == nil {
			err = ErrNoRoute
		} else {
			err = r.opts.SIP.SendMessage(ctx, m.Recipient, m.Originator, m.Data)
		}
	default:
		modem := r.currentModem()
		if modem == nil {
			err = ErrNoRoute
		} else {
			refs, err = modem.Send(ctx, m.Recipient, m.Data, gsm.SendOptions{Encoding: encodingOf(m.Type), Report: m.ReportURL != ""})
		}
	}
	if err != nil {
		r.failedAttempt(m, err)
		return false
	}
	status := StatusSent
	if m.Route == RouteSIP {
		status = StatusDelivered // the phone took it
	}
	sentAt := r.opts.Clock.Now()
	r.forget(m.ID)
	updated, uerr := r.opts.Store.Update(m.ID, func(s *inbox.Message) {
		s.Folder, s.Status, s.Reason, s.SentTime = inbox.Sent, status, "", sentAt
	})
	if uerr != nil {
		r.log.Error("cannot record a sent message", "id", m.ID, "err", uerr)
	} else {
		m = updated
	}
	r.log.Info("message sent", "id", m.ID, "route", m.Route, "to", m.Recipient, "parts", len(refs))
	switch {
	case m.Route == RouteSIP:
		r.report(m, true, "")
	case m.ReportURL != "" && len(refs) > 0:
		r.track(m.ID, refs)
	}
	return true
}

// failedAttempt schedules the next try, or fails the message after the
// last one.
func (r *Router) failedAttempt(m inbox.Message, err error) {
	r.mu.Lock()
	rt := r.retries[m.ID]
	rt.attempts++
	last := rt.attempts >= r.opts.Attempts
	if !last {
		rt.next = r.opts.Clock.Now().Add(r.backoff(rt.attempts))
		r.retries[m.ID] = rt
	} else {
		delete(r.retries, m.ID)
	}
	r.mu.Unlock()
	if !last {
		r.log.Warn("message not sent, will retry", "id", m.ID, "route", m.Route, "attempt", rt.attempts, "next", rt.next, "err", err)
		if _, uerr := r.opts.Store.Update(m.ID, func(s *inbox.Message) { s.Reason = err.Error() }); uerr != nil {
			r.log.Error("cannot record a failed attempt", "id", m.ID, "err", uerr)
		}
		return
	}
	r.log.Error("message failed", "id", m.ID, "route", m.Route, "attempts", rt.attempts, "err", err)
	updated, uerr := r.opts.Store.Update(m.ID, func(s *inbox.Message) {
		s.Folder, s.Status, s.Reason = inbox.Sent, StatusFailed, err.Error()
	})
	if uerr != nil {
		r.log.Error("cannot record a failed message", "id", m.ID, "err", uerr)
	} else {
		m = updated
	}
	r.report(m, false, err.Error())
}

func (r *Router) backoff(attempts int) time.Duration {
	d := r.opts.MinBackoff
	for i := 1; i < attempts && d < r.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.opts.MaxBackoff)
}

// track waits for the status reports of a sent SMS's parts.
func (r *Router) track(id string, refs []uint8) {
	t := &tracked{id: id, pending: len(refs)}
	r.mu.Lock()
	for _, ref := range refs {
		r.reports[ref] = t
	}
	early := r.early
	r.early = nil
	r.mu.Unlock()
	for _, rep := range early {
		r.ModemReport(rep)
	}
}

// ModemReport takes a status report from the modem (its OnReport).
func (r *Router) ModemReport(rep gsm.Report) {
	if !rep.Final {
		return // the service centre is still trying
	}
	r.mu.Lock()
	t, ok := r.reports[rep.Ref]
	if !ok {
		if len(r.early) == maxEarlyReports {
			r.early = r.early[1:]
		}
		r.early = append(r.early, rep)
		r.mu.Unlock()
		return
	}
	delete(r.reports, rep.Ref)
	t.pending--
	t.failed = t.failed || !rep.Delivered
	done := t.pending == 0
	r.mu.Unlock()
	if !done {
		return
	}
	status, reason := StatusDelivered, ""
	if t.failed {
		status, reason = StatusFailed, "the network could not deliver it"
	}
	m, err := r.opts.Store.Update(t.id, func(s *inbox.Message) { s.Status, s.Reason = status, reason })
	if err != nil {
		r.log.Error("cannot record a delivery report", "id", t.id, "err", err)
		return
	}
	r.report(m, !t.failed, reason)
}

// report posts m's SMSDeliveryReport to its ReportURL.
func (r *Router) report(m inbox.Message, delivered bool, reason string) {
	if m.ReportURL == "" || r.opts.Notifier == nil {
		return
	}
	n := notify.Notification{
		Name: notify.SMSDeliveryReport, URL: m.ReportURL,
		SmsID: m.ID, Sender: m.Originator, Recipient: m.Recipient, DeliveryStatus: "Delivered", ErrorMessage: reason,
	}
	if !delivered {
		n.DeliveryStatus = "Failed"
	}
	if r.opts.Secret != nil && m.User != "" {
		n.Secret = r.opts.Secret(m.User)
	}
	if err := r.opts.Notifier.Send(n); err != nil {
		r.log.Warn("delivery report not sent", "id", m.ID, "err", err)
	}
}

// ModemMessage takes an SMS the modem received (its OnMessage).
func (r *Router) ModemMessage(msg gsm.Message) {
	reason := ""
	if msg.Incomplete {
		reason = "parts missing"
	}
	r.receive(inbox.Message{
		Type: TypeText, Originator: msg.From, Data: msg.Text, SentTime: msg.Time, Route: RouteGSM, Reason: reason,
	})
}

// SIPMessage takes a SIP MESSAGE from a phone (for the SIP stack to call)
// and stores it like an SMS.
func (r *Router) SIPMessage(from, to, text string) error {
	_, err := r.receive(inbox.Message{Type: TypeText, Originator: from, Recipient: to, Data: text, Route: RouteSIP})
	return err
}

// receive stores an incoming message and posts IncomingSMS.
func (r *Router) receive(m inbox.Message) (inbox.Message, error) {
	m.Folder, m.ReceivedTime = inbox.Inbox, r.opts.Clock.Now()
	m, err := r.opts.Store.Add(m)
	if err != nil {
		r.log.Error("incoming message not stored", "from", m.Originator, "route", m.Route, "err", err)
		return m, err
	}
	r.log.Info("message received", "id", m.ID, "from", m.Originator, "route", m.Route)
	if r.opts.Notifier == nil {
		return m, nil
	}
	hooks := [2]IncomingHook{{URL: r.opts.IncomingURL}}
	if r.opts.IncomingExtension != nil {
		hooks[1] = r.opts.IncomingExtension()
	}
	for _, hook := range hooks {
		if hook.URL == "" {
			continue
		}
		err := r.opts.Notifier.Send(notify.Notification{
			Name: notify.IncomingSMS, URL: hook.URL, Secret: hook.Secret,
			SmsID: m.ID, Sender: m.Originator, Recipient: m.Recipient, Text: m.Data,
		})
		if err != nil {
			r.log.Warn("IncomingSMS not sent", "id", m.ID, "url", notify.SafeURL(hook.URL), "err", err)
		}
	}
	return m, nil
}
