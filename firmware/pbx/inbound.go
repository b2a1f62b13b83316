package pbx

import (
	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Calls from SIP trunks: the provider's INVITE is not a phone's (sip/ua
// lets it in unchallenged by its source), and its dialled number is a DID
// that the trunk's inbound map turns into a local number.

// TrunkCaller is a caller leg that came in from a SIP trunk
// (ua.InboundLeg); Trunk is the trunk's name, "" for a phone's call.
type TrunkCaller interface {
	Trunk() string
}

// InboundRoutes maps a trunk's dialled numbers (DIDs) to local numbers:
// the target for did on trunk, ok false when neither the DID nor a
// default is mapped.
type InboundRoutes func(trunk, did string) (target string, ok bool)

// inboundKey stores the InboundRoutes in Core.kinds.
type inboundKey struct{}

// SetInboundRoutes installs (or, on reload, replaces) the DID maps of the
// trunks; without them every trunk call is unknown (404).
func (c *Core) SetInboundRoutes(r InboundRoutes) { c.kinds.Store(inboundKey{}, r) }

// trunkOf is the trunk a caller leg came in from, "" for none.
func trunkOf(l CallerLeg) string {
	if t, ok := l.(TrunkCaller); ok {
		return t.Trunk()
	}
	return ""
}

// inbound fills a trunk call's record: direction inbound, callee the
// local number its DID maps to ("" when none: the call gets 404).
func (c *Core) inbound(leg CallerLeg, rec *history.Record) {
	trunk := trunkOf(leg)
	if trunk == "" {
		return
	}
	rec.Direction, rec.Callee = "inbound", ""
	if r, ok := c.kinds.Load(inboundKey{}); ok {
		if target, ok := r.(InboundRoutes)(trunk, leg.Dialed()); ok {
			rec.Callee = target
		}
	}
}

// routeFirst makes the first callee leg of a call from a to number (the
// dialled number, or for a trunk call the DID's local number).
func (c *Core) routeFirst(a CallerLeg, number string) (CalleeLeg, *ConnectError) {
	if number == "" && trunkOf(a) != "" {
		return nil, notFound(a.Dialed())
	}
	return c.route(number, a.Caller(), a.Offered())
}

var _ TrunkCaller = (*ua.InboundLeg)(nil)
