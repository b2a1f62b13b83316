package ua

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// Refer is a transfer request (REFER, RFC 3515) a phone sent in one of its
// dialogs: the number to call and the implicit subscription on which the
// core reports the transfer's progress. The user agent has answered 202
// Accepted and sent the first NOTIFY (100 Trying) before the core sees it.
//
// NOTIFYs are sent in order by the Refer's own goroutine, so Progress and
// Finish never block the caller.
type Refer struct {
	// Target is the user part of the Refer-To URI (the number to call).
	Target string
	// Replaces is the Refer-To's Replaces header (RFC 3891) unescaped,
	// "" for a blind transfer.
	Replaces string

	leg   *legBase
	id    uint32 // CSeq of the REFER: the Event header's id
	queue chan referNotify
	done  chan struct{}
	once  sync.Once // guards the final NOTIFY
}

type referNotify struct {
	code   int
	reason string
	final  bool
}

// referQueue bounds the NOTIFYs waiting to be sent for one REFER; a
// transfer reports at most three (Trying, Ringing, final).
const referQueue = 8

func newRefer(l *legBase, target, replaces string, id uint32) *Refer {
	r := &Refer{Target: target, Replaces: replaces, leg: l, id: id, queue: make(chan referNotify, referQueue), done: make(chan struct{})}
	go r.run()
	return r
}

// Progress reports a provisional status of the call to the target (100
// Trying, 180 Ringing, 183). It is dropped after Finish.
func (r *Refer) Progress(code int, reason string) {
	select {
	case <-r.done:
		return
	default:
	}
	select {
	case r.queue <- referNotify{code: code, reason: reason}:
	default: // a flood of provisional statuses: the final one matters
	}
}

// Finish reports the transfer's final status (200 OK or the failure) and
// ends the subscription. Only the first call counts.
func (r *Refer) Finish(code int, reason string) {
	r.once.Do(func() {
		select {
		case r.queue <- referNotify{code: code, reason: reason, final: true}:
		case <-r.done:
		}
	})
}

// Done is closed once the final NOTIFY has been answered (or has failed),
// or when the transferor's leg ended first.
func (r *Refer) Done() <-chan struct{} { return r.done }

// run sends the queued NOTIFYs one after the other.
func (r *Refer) run() {
	defer close(r.done)
	for {
		select {
		case <-r.leg.done:
			return
		case n := <-r.queue:
			r.send(n)
			if n.final {
				return
			}
		}
	}
}

// send sends one NOTIFY with a message/sipfrag body in the REFER's dialog.
func (r *Refer) send(n referNotify) {
	req := sip.NewRequest(sip.NOTIFY, r.leg.remoteTarget())
	req.AppendHeader(sip.NewHeader("Event", "refer;id="+strconv.FormatUint(uint64(r.id), 10)))
	state := "active;expires=60"
	if n.final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody(fmt.Appendf(nil, "SIP/2.0 %d %s\r\n", n.code, n.reason))
	ctx, cancel := context.WithTimeout(context.Background(), 32*sip.T1)
	defer cancel()
	res, err := r.leg.dlg.Do(ctx, req)
	switch {
	case err != nil:
		r.leg.srv.log.Debug("refer notify failed", "leg", r.leg.id, "status", n.code, "err", err)
	case res == nil: // sipgo: the transaction ended without an answer and without an error
		r.leg.srv.log.Debug("refer notify unanswered", "leg", r.leg.id, "status", n.code)
	case res.StatusCode >= 300:
		r.leg.srv.log.Debug("refer notify refused", "leg", r.leg.id, "status", n.code, "answer", res.StatusCode)
	}
}

// onRefer answers a REFER: 202 and the first NOTIFY, then the core is told.
func (l *legBase) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	if !l.answered.Load() {
		l.srv.respond(req, tx, 403, "Forbidden")
		return
	}
	if err := l.dlg.ReadRequest(req, tx); err != nil {
		l.srv.respond(req, tx, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		l.srv.respond(req, tx, 400, "Missing Refer-To")
		return
	}
	target, replaces, ok := parseReferTo(h.Value())
	if !ok {
		l.srv.respond(req, tx, 400, "Bad Refer-To")
		return
	}
	r := newRefer(l, target, replaces, req.CSeq().SeqNo)
	ev := Event{Kind: EventRefer, Reason: "REFER", Target: target, Refer: r, Replaces: replaces}
	if replaces != "" {
		// Attended transfer: the dialog to replace is one of ours.
		if d := l.srv.findReplaced(replaces); d != nil {
			ev.ReplacesLeg = d
		}
	}
	res := sip.NewResponseFromRequest(req, 202, "Accepted", nil)
	res.AppendHeader(sip.HeaderClone(&l.dua.ContactHDR))
	l.srv.send(tx, res)
	r.Progress(100, "Trying")
	l.emit(ev)
}

// findReplaced finds the leg of the confirmed dialog a Replaces value
// (RFC 3891: call-id;to-tag=...;from-tag=...) names, whichever side wrote
// the tags; nil when there is none.
func (s *Server) findReplaced(replaces string) Replaced {
	callID, params, _ := strings.Cut(replaces, ";")
	var toTag, fromTag string
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "to-tag":
			toTag = v
		case "from-tag":
			fromTag = v
		}
	}
	callID = strings.TrimSpace(callID)
	if callID == "" || toTag == "" || fromTag == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range []string{sip.DialogIDMake(callID, toTag, fromTag), sip.DialogIDMake(callID, fromTag, toTag)} {
		if l, ok := s.dialogs[id]; ok && l.confirmed() {
			if r, ok := l.(Replaced); ok {
				return r
			}
		}
	}
	return nil
}

// onNotify accepts a NOTIFY in a dialog (phones report their own
// subscriptions' states); the appliance subscribes to nothing, so the
// content is ignored.
func (l *legBase) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	l.srv.respond(req, tx, 200, "OK")
}

// maxReferTo bounds the Refer-To value we look at.
const maxReferTo = 2048

// parseReferTo reads a Refer-To value: name-addr (`"x" <sip:103@host?Replaces=...>`)
// or addr-spec (`sip:103@host`). It returns the URI's user part and the
// unescaped Replaces header, if any.
func parseReferTo(v string) (target, replaces string, ok bool) {
	if len(v) > maxReferTo {
		return "", "", false
	}
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return "", "", false
		}
		v = v[i+1 : i+j]
	} else if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i] // addr-spec: header parameters follow
	}
	uri, headers, _ := strings.Cut(v, "?")
	scheme, rest, found := strings.Cut(uri, ":")
	if !found || (!strings.EqualFold(scheme, "sip") && !strings.EqualFold(scheme, "sips")) {
		return "", "", false
	}
	user, _, found := strings.Cut(rest, "@")
	if !found {
		return "", "", false
	}
	user, _, _ = strings.Cut(user, ";") // user parameters
	user, _, _ = strings.Cut(user, ":") // a password, never used
	user, err := url.PathUnescape(user)
	if err != nil || user == "" || !validNumber(user) {
		return "", "", false
	}
	for _, kv := range strings.Split(headers, "&") {
		k, val, _ := strings.Cut(kv, "=")
		if strings.EqualFold(k, "Replaces") {
			if replaces, err = url.QueryUnescape(val); err != nil {
				return "", "", false
			}
		}
	}
	return user, replaces, true
}

// validNumber accepts what a dial plan can route: digits, * # + and
// letters for named extensions, up to 64 characters.
func validNumber(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '*' || c == '#' || c == '+' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}
