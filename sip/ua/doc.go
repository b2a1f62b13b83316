// Package ua is the appliance's SIP user agent on sipgo: it listens on UDP,
// TCP and TLS, runs the registrar (REGISTER with digest auth, rate-limited
// failures, NAT source latching), answers OPTIONS, authenticates INVITEs and
// turns SIP dialogs into legs: InboundLeg for a call a phone makes to us and
// OutboundLeg for a call we make to a phone. Each leg anchors its media on
// an RTP endpoint of package relay and rewrites SDP so the phone sends RTP
// to the appliance. What to do with a call is decided by the CallHandler the
// caller of New supplies (the call core); this package never joins legs.
// In-dialog requests that ask for call control become leg events: a hold
// or resume re-INVITE (EventHold, EventUnhold; the far phone of the other
// leg is never re-INVITEd) and REFER (EventRefer, with a Refer that sends
// the message/sipfrag NOTIFYs and, for Replaces, the leg it names). An
// INVITE with Replaces names the leg it takes over (InboundLeg.Replaces).
package ua
