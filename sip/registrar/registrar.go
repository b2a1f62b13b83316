package registrar

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"
)

// Binding is one registered contact of an address of record.
type Binding struct {
	AOR       string         // the extension number
	Contact   string         // the Contact URI as the phone sent it
	Source    netip.AddrPort // where the REGISTER came from (NAT latching)
	Transport string         // "UDP", "TCP", "TLS"
	CallID    string
	CSeq      uint32
	Expires   time.Time
	UserAgent string
}

// Update is one contact of a REGISTER request.
type Update struct {
	Contact string
	Expires time.Duration // 0 removes the binding
}

// Request is a parsed REGISTER.
type Request struct {
	AOR       string
	CallID    string
	CSeq      uint32
	Source    netip.AddrPort
	Transport string
	UserAgent string
	Wildcard  bool // Contact: * (only valid with Expires: 0)
	Contacts  []Update
}

// Errors returned by Apply; the SIP layer maps them to status codes.
var (
	ErrOutOfOrder      = errors.New("registrar: CSeq not higher than the last REGISTER of this Call-ID")
	ErrBadWildcard     = errors.New("registrar: Contact * needs Expires: 0 and no other contact")
	ErrTooManyContacts = errors.New("registrar: too many contacts for one address of record")
)

// Options bound the registrar.
type Options struct {
	MaxContactsPerAOR int // default 10
	Now               func() time.Time
}

// Registrar is the goroutine-safe location service.
type Registrar struct {
	mu       sync.Mutex
	bindings map[string][]Binding
	maxPer   int
	now      func() time.Time
}

// New makes an empty registrar.
func New(o Options) *Registrar {
	if o.MaxContactsPerAOR <= 0 {
		o.MaxContactsPerAOR = 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Registrar{bindings: map[string][]Binding{}, maxPer: o.MaxContactsPerAOR, now: o.Now}
}

// Apply performs a REGISTER and returns the AOR's bindings afterwards.
func (r *Registrar) Apply(req Request) ([]Binding, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	current := live(r.bindings[req.AOR], now)

	if req.Wildcard {
		if len(req.Contacts) != 1 || req.Contacts[0].Expires != 0 {
			return nil, ErrBadWildcard
		}
		for _, b := range current {
			if b.CallID == req.CallID && req.CSeq <= b.CSeq {
				return nil, ErrOutOfOrder
			}
		}
		delete(r.bindings, req.AOR)
		return nil, nil
	}

	next := append([]Binding(nil), current...)
	for _, u := range req.Contacts {
		i := indexOf(next, u.Contact)
		if i >= 0 && next[i].CallID == req.CallID && req.CSeq <= next[i].CSeq {
			return nil, fmt.Errorf("%w (contact %s)", ErrOutOfOrder, u.Contact)
		}
		if u.Expires <= 0 {
			if i >= 0 {
				next = append(next[:i], next[i+1:]...)
			}
			continue
		}
		b := Binding{
			AOR: req.AOR, Contact: u.Contact, Source: req.Source, Transport: req.Transport,
			CallID: req.CallID, CSeq: req.CSeq, Expires: now.Add(u.Expires), UserAgent: req.UserAgent,
		}
		if i >= 0 {
			next[i] = b
		} else {
			next = append(next, b)
		}
	}
	if len(next) > r.maxPer {
		return nil, ErrTooManyContacts
	}
	if len(next) == 0 {
		delete(r.bindings, req.AOR)
	} else {
		r.bindings[req.AOR] = next
	}
	return append([]Binding(nil), next...), nil
}

// Lookup returns the live bindings of aor, the most recently refreshed first.
func (r *Registrar) Lookup(aor string) []Binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	bs := live(r.bindings[aor], now)
	if len(bs) == 0 {
		delete(r.bindings, aor)
		return nil
	}
	r.bindings[aor] = bs
	out := append([]Binding(nil), bs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Expires.After(out[j].Expires) })
	return out
}

// Remove drops every binding of aor (used when an extension is deleted).
func (r *Registrar) Remove(aor string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.bindings, aor)
}

// Count returns the number of live bindings over all AORs.
func (r *Registrar) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	n := 0
	for aor, bs := range r.bindings {
		bs = live(bs, now)
		if len(bs) == 0 {
			delete(r.bindings, aor)
			continue
		}
		r.bindings[aor] = bs
		n += len(bs)
	}
	return n
}

func live(bs []Binding, now time.Time) []Binding {
	out := bs[:0:0]
	for _, b := range bs {
		if b.Expires.After(now) {
			out = append(out, b)
		}
	}
	return out
}

func indexOf(bs []Binding, contact string) int {
	for i, b := range bs {
		if b.Contact == contact {
			return i
		}
	}
	return -1
}
