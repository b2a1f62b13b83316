package trunk

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Inbound recognises the calls providers send and routes them by DID.
// An INVITE is from trunk T when its source address is one of the
// addresses of T's registrar host and either its source port is the
// registrar's port (5060, 5061 for TLS, when none is given) or its
// Request-URI user is T's username (our registered Contact) or one of
// T's DIDs. The DID is the Request-URI user, or the To user when the
// Request-URI names our account. Immutable; safe for concurrent use.
type Inbound struct {
	trunks []inboundTrunk
}

type inboundTrunk struct {
	name  string
	user  string
	addrs []netip.Addr
	port  uint16
	dids  map[string]string
	def   string
}

// Resolver looks up a host's addresses (net.DefaultResolver.LookupNetIP
// with network "ip" fits).
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// NewInbound builds the recogniser of cfgs' calls, resolving each
// registrar host once (an address literal needs no lookup). A host that
// does not resolve leaves its trunk unrecognised (its calls are then
// challenged like a phone's) and is reported in the joined error; the
// Inbound is usable either way.
func NewInbound(ctx context.Context, cfgs []Config, resolve Resolver) (*Inbound, error) {
	in := &Inbound{}
	var errs []error
	for _, c := range cfgs {
		host, port, err := splitHostPort(c.Registrar)
		if err != nil {
			errs = append(errs, fmt.Errorf("trunk %s: registrar: %w", c.Name, err))
			continue
		}
		if port == 0 {
			port = 5060
			if c.transport() == "tls" {
				port = 5061
			}
		}
		t := inboundTrunk{name: c.Name, user: c.Username, port: uint16(port), dids: make(map[string]string, len(c.Inbound)), def: c.InboundDefault}
		for _, d := range c.Inbound {
			t.dids[d.Number] = d.To
		}
		if a, err := netip.ParseAddr(host); err == nil {
			t.addrs = []netip.Addr{a.Unmap()}
		} else if resolve != nil {
			addrs, err := resolve(ctx, host)
			if err != nil {
				errs = append(errs, fmt.Errorf("trunk %s: resolve %s: %w", c.Name, host, err))
			}
			for _, a := range addrs {
				t.addrs = append(t.addrs, a.Unmap())
			}
		}
		in.trunks = append(in.trunks, t)
	}
	return in, errors.Join(errs...)
}

// MatchTrunk implements the SIP user agent's TrunkMatcher: the trunk an
// INVITE from src for requestUser (To: toUser) came in from, and its DID.
func (in *Inbound) MatchTrunk(src netip.AddrPort, requestUser, toUser string) (trunk, did string, ok bool) {
	if in == nil {
		return "", "", false
	}
	addr := src.Addr().Unmap()
	for i := range in.trunks {
		t := &in.trunks[i]
		if !t.hasAddr(addr) {
			continue
		}
		_, isDID := t.dids[requestUser]
		if src.Port() != t.port && requestUser != t.user && !isDID {
			continue
		}
		did = requestUser
		if did == "" || did == t.user {
			did = toUser
		}
		return t.name, strings.TrimSpace(did), true
	}
	return "", "", false
}

func (t *inboundTrunk) hasAddr(a netip.Addr) bool { return slices.Contains(t.addrs, a) }

// Route returns the local number a trunk's DID rings: the DID's own
// entry, else the trunk's default; ok is false when neither is set.
func (in *Inbound) Route(trunk, did string) (target string, ok bool) {
	if in == nil {
		return "", false
	}
	for i := range in.trunks {
		t := &in.trunks[i]
		if t.name != trunk {
			continue
		}
		if to, ok := t.dids[did]; ok {
			return to, true
		}
		return t.def, t.def != ""
	}
	return "", false
}
