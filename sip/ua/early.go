package ua

import "strings"

// Early dialogs and pickups: an INVITE with Replaces may name the early
// dialog of a call the appliance is ringing (RFC 3891 allows replacing
// early dialogs the UA itself initiated); the core finds the ringing leg
// by its Call-ID.

// CallID is the Call-ID of the leg's INVITE (its dialog, early or
// confirmed).
func (l *OutboundLeg) CallID() string {
	if l.b == nil || l.b.InviteRequest == nil {
		return ""
	}
	if h := l.b.InviteRequest.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// replacesCallID is the Call-ID of a Replaces value (call-id;to-tag=...;
// from-tag=...), "" when it has none or no tags.
func replacesCallID(replaces string) string {
	callID, params, _ := strings.Cut(replaces, ";")
	if !strings.Contains(params, "tag=") {
		return ""
	}
	return strings.TrimSpace(callID)
}
