package ua

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/sip/registrar"
)

func (s *Server) handleRegister(req *sip.Request, tx sip.ServerTransaction) {
	to := req.To()
	if to == nil || req.CallID() == nil || req.CSeq() == nil {
		s.respond(req, tx, 400, "Bad Request")
		return
	}
	user, ok := s.authenticate(req, tx, authRegistrar)
	if !ok {
		return
	}
	if to.Address.User != user {
		// Digest user may only register its own address of record.
		s.respond(req, tx, 403, "Forbidden")
		return
	}
	rr, status, reason := s.parseRegister(req, user)
	if status != 0 {
		res := sip.NewResponseFromRequest(req, status, reason, nil)
		if status == 423 {
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(s.opts.MinExpires)))
		}
		s.send(tx, res)
		return
	}
	var bindings []registrar.Binding
	var err error
	if len(rr.Contacts) > 0 || rr.Wildcard {
		bindings, err = s.reg.Apply(rr)
	} else {
		bindings = s.reg.Lookup(user) // a query: list current bindings
	}
	switch {
	case errors.Is(err, registrar.ErrOutOfOrder):
		s.respond(req, tx, 500, "Out Of Order CSeq")
		return
	case errors.Is(err, registrar.ErrBadWildcard):
		s.respond(req, tx, 400, "Invalid Contact *")
		return
	case errors.Is(err, registrar.ErrTooManyContacts):
		s.respond(req, tx, 403, "Too Many Contacts")
		return
	case err != nil:
		s.log.Error("registrar failed", "err", err)
		s.respond(req, tx, 500, "Server Internal Error")
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	now := s.opts.Now()
	for _, b := range bindings {
		secs := int(b.Expires.Sub(now).Round(time.Second) / time.Second)
		res.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<%s>;expires=%d", b.Contact, secs)))
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	s.send(tx, res)
	s.log.Debug("registered", "ext", user, "contacts", len(bindings), "source", rr.Source.String(), "transport", rr.Transport)
}

// parseRegister turns a REGISTER into a registrar request; a non-zero
// status means it must be refused with that status.
func (s *Server) parseRegister(req *sip.Request, aor string) (registrar.Request, int, string) {
	rr := registrar.Request{
		AOR: aor, CallID: string(*req.CallID()), CSeq: req.CSeq().SeqNo,
		Source: sourceAddr(req), Transport: transportOf(req),
	}
	if ua := req.GetHeader("User-Agent"); ua != nil {
		rr.UserAgent = ua.Value()
	}
	defExp := s.opts.DefExpires
	if e, ok := headerInt(req, "Expires"); ok {
		defExp = e
	}
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return rr, 400, "Bad Contact"
		}
		if c.Address.Wildcard {
			rr.Wildcard = true
			rr.Contacts = append(rr.Contacts, registrar.Update{Contact: "*", Expires: time.Duration(defExp) * time.Second})
			continue
		}
		exp := defExp
		if v, ok := c.Params.Get("expires"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return rr, 400, "Bad Contact Expires"
			}
			exp = n
		}
		if exp > 0 && exp < s.opts.MinExpires {
			return rr, 423, "Interval Too Brief"
		}
		if exp > s.opts.MaxExpires {
			exp = s.opts.MaxExpires
		}
		rr.Contacts = append(rr.Contacts, registrar.Update{Contact: c.Address.String(), Expires: time.Duration(exp) * time.Second})
	}
	return rr, 0, ""
}
