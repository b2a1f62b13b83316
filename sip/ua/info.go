package ua

import (
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// SIP INFO carrying DTMF: answered 200 and reported as EventDTMF (with
// Signalled set); an empty INFO is a keepalive (200); other bodies get
// 415 with the types we accept.

// infoKeys are the keys an INFO may carry, by RFC 4733 event code.
const infoKeys = "0123456789*#ABCD"

// infoDigit reads a DTMF digit from an INFO body: application/dtmf-relay
// ("Signal=5", one key or its event code 0-15, then optional
// "Duration=160") or application/dtmf ("5"). Media type parameters are
// ignored; letters are returned upper case.
func infoDigit(req *sip.Request) (byte, bool) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct, _, _ = strings.Cut(h.Value(), ";")
		ct = strings.ToLower(strings.TrimSpace(ct))
	}
	body := strings.TrimSpace(string(req.Body()))
	var sig string
	switch ct {
	case "application/dtmf-relay":
		for line := range strings.Lines(body) {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				sig = strings.TrimSpace(v)
				break
			}
		}
	case "application/dtmf":
		sig = body
	default:
		return 0, false
	}
	return signalKey(sig)
}

// signalKey is the key a Signal value names: the key itself, or its
// RFC 4733 event code (some phones send 10 for * and 11 for #).
func signalKey(sig string) (byte, bool) {
	if len(sig) == 1 {
		if i := strings.IndexByte(infoKeys, strings.ToUpper(sig)[0]); i >= 0 {
			return infoKeys[i], true
		}
		return 0, false
	}
	if n, err := strconv.Atoi(sig); err == nil && len(sig) == 2 && n >= 10 && n < len(infoKeys) {
		return infoKeys[n], true
	}
	return 0, false
}

func (l *legBase) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	if d, ok := infoDigit(req); ok {
		l.srv.respond(req, tx, 200, "OK")
		l.emit(Event{Kind: EventDTMF, Digit: d, Signalled: true})
		return
	}
	if len(req.Body()) == 0 {
		l.srv.respond(req, tx, 200, "OK") // keepalive INFO
		return
	}
	l.srv.respond(req, tx, 415, "Unsupported Media Type", sip.NewHeader("Accept", acceptTypes))
}
