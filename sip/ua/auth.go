package ua

import (
	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/sip/digest"
)

// authKind selects registrar (401/WWW-Authenticate) or proxy-style
// (407/Proxy-Authenticate) challenges.
type authKind struct {
	code      int
	reason    string
	challenge string
	answer    string
}

var (
	authRegistrar = authKind{401, "Unauthorized", "WWW-Authenticate", "Authorization"}
	authProxy     = authKind{407, "Proxy Authentication Required", "Proxy-Authenticate", "Proxy-Authorization"}
)

// authenticate checks the request's digest credentials. On success it
// returns the authenticated extension number. Otherwise it has already
// answered the request (challenge, 403, or nothing for a blocked source)
// and returns ok=false. Unknown users and wrong passwords get the same
// answer so extensions cannot be enumerated.
func (s *Server) authenticate(req *sip.Request, tx sip.ServerTransaction, k authKind) (user string, ok bool) {
	src := sourceAddr(req)
	if s.limiter.Blocked(src.Addr()) {
		s.respond(req, tx, 403, "Forbidden")
		return "", false
	}
	h := req.GetHeader(k.answer)
	if h == nil {
		s.challenge(req, tx, k, false)
		return "", false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil {
		s.respond(req, tx, 400, "Bad Authorization Header")
		return "", false
	}
	password, known := s.dir().SIPPassword(cred.Username)
	switch s.auth.Verify(string(req.Method), cred, src.Addr(), password, known) {
	case digest.OK:
		s.limiter.Succeed(src.Addr())
		return cred.Username, true
	case digest.Stale:
		s.challenge(req, tx, k, true)
		return "", false
	default:
		if s.limiter.Fail(src.Addr()) {
			s.log.Warn("sip auth: source blocked after repeated failures", "source", src.Addr().String(), "method", string(req.Method))
		}
		s.respond(req, tx, 403, "Forbidden")
		return "", false
	}
}

func (s *Server) challenge(req *sip.Request, tx sip.ServerTransaction, k authKind, stale bool) {
	res := sip.NewResponseFromRequest(req, k.code, k.reason, nil)
	for _, c := range s.auth.Challenges(sourceAddr(req).Addr(), stale) {
		res.AppendHeader(sip.NewHeader(k.challenge, c))
	}
	s.send(tx, res)
}
