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
//
// Media negotiation is per leg: each endpoint is told its phone's
// negotiated codec (relay SetCodec) and a=rtcp-mux, and offers to a callee
// list the other party's codecs followed by the other G.711 law, which the
// relay transcodes. A re-INVITE that offers only the other G.711 law
// (PCMU↔PCMA) is answered with it and the leg's relay codec is switched;
// the other leg keeps its codec and the relay transcodes. SRTP is SDES (a=crypto on RTP/SAVP) under each
// extension's SRTPPolicy: offers are answered with SRTP when they ask for
// it, SRTP is offered to phones that require it, and the contexts go to
// the relay endpoint for RTP and RTCP, so SRTP and plain legs bridge.
//
// Every request handler counts its transaction in an overload guard
// (package overload) that, as sipgo's UDP read filter, answers new
// requests 503 while too many transactions are live.
//
// Text messages (MESSAGE, RFC 3428): a registered, authenticated phone's
// text/plain MESSAGE goes to the MessageSink; SendMessage sends one to a
// registered extension's contact.
package ua
