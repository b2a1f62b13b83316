package trunk

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// Inbound recognises the calls providers send and routes them by DID.
// An INVITE is from trunk T when its source address is one of the
// addresses of T's registrar host and either its source port is the
// registrar's port (5060, 5061 for TLS, when none is given) or its
// Request-URI user is T's username (our registered Contact) or one of
// T's DIDs. The DID is the Request-URI user, or the To user when the
// Request-URI names our account. Safe for concurrent use: Reconfigure
// (a config reload) and Resolve (a registration refresh) swap the table
// that MatchTrunk and Route read.
type Inbound struct {
	resolve Resolver

	mu     sync.RWMutex
	trunks []inboundTrunk // replaced, never changed in place
}

type inboundTrunk struct {
	name  string
	host  string // the registrar host as configured
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
// registrar host (an address literal needs no lookup). A host that does
// not resolve leaves its trunk unrecognised (its calls are then
// challenged like a phone's) until a later Resolve succeeds, and is
// reported in the joined error; the Inbound is usable either way.
func NewInbound(ctx context.Context, cfgs []Config, resolve Resolver) (*Inbound, error) {
	in := &Inbound{resolve: resolve}
	return in, in.Reconfigure(ctx, cfgs)
}

// Reconfigure replaces the trunks, their DIDs and defaults by cfgs' (a
// config reload), resolving the registrar hosts again; a host that does
// not resolve now keeps the addresses it had under the same trunk name.
func (in *Inbound) Reconfigure(ctx context.Context, cfgs []Config) error {
	var errs []error
	trunks := make([]inboundTrunk, 0, len(cfgs))
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
		t := inboundTrunk{name: c.Name, host: host, user: c.Username, port: uint16(port), dids: make(map[string]string, len(c.Inbound)), def: c.InboundDefault}
		for _, d := range c.Inbound {
			t.dids[d.Number] = d.To
		}
		addrs, err := in.lookup(ctx, host)
		if err != nil {
			errs = append(errs, fmt.Errorf("trunk %s: %w", c.Name, err))
			if old, ok := in.find(c.Name); ok && old.host == host {
				addrs = old.addrs
			}
		}
		t.addrs = addrs
		trunks = append(trunks, t)
	}
	in.mu.Lock()
	in.trunks = trunks
	in.mu.Unlock()
	return errors.Join(errs...)
}

// Resolve looks up trunk name's registrar host again (the trunk's
// registration calls it before each REGISTER, so a provider that moves
// is followed); on failure the addresses known so far are kept.
func (in *Inbound) Resolve(ctx context.Context, name string) error {
	if in == nil {
		return nil
	}
	t, ok := in.find(name)
	if !ok {
		return nil
	}
	addrs, err := in.lookup(ctx, t.host)
	if err != nil {
		return fmt.Errorf("trunk %s: %w", name, err)
	}
	if slices.Equal(addrs, t.addrs) {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	trunks := slices.Clone(in.trunks)
	for i := range trunks {
		if trunks[i].name == name && trunks[i].host == t.host {
			trunks[i].addrs = addrs
		}
	}
	in.trunks = trunks
	return nil
}

// lookup returns host's addresses, unmapped: the literal itself, or the
// resolver's answer.
func (in *Inbound) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	if in.resolve == nil {
		return nil, fmt.Errorf("resolve %s: no resolver", host)
	}
	found, err := in.resolve(ctx, host)
	if err == nil && len(found) == 0 {
		err = errors.New("no addresses")
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	addrs := make([]netip.Addr, 0, len(found))
	for _, a := range found {
		addrs = append(addrs, a.Unmap())
	}
	return addrs, nil
}

// find returns a copy of the trunk called name.
func (in *Inbound) find(name string) (inboundTrunk, bool) {
	in.mu.RLock()
	defer in.mu.RUnlock()
	for _, t := range in.trunks {
		if t.name == name {
			return t, true
		}
	}
	return inboundTrunk{}, false
}

// MatchTrunk implements the SIP user agent's TrunkMatcher: the trunk an
// INVITE from src for requestUser (To: toUser) came in from, and its DID.
func (in *Inbound) MatchTrunk(src netip.AddrPort, requestUser, toUser string) (trunk, did string, ok bool) {
	if in == nil {
		return "", "", false
	}
	addr := src.Addr().Unmap()
	in.mu.RLock()
	defer in.mu.RUnlock()
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
	in.mu.RLock()
	defer in.mu.RUnlock()
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
