// Package relay owns the appliance's RTP endpoints and relays media between
// two bridged endpoints without allocating per packet.
//
// An Endpoint is one call leg's media socket pair (RTP on an even port from a
// configured range, RTCP on the next port), handed out by a PortPool. Once
// started, each endpoint runs one reader goroutine on its RTP socket. A
// packet received on endpoint A is checked (RTP version 2, sane header),
// accepted only from A's latched source (symmetric RTP with hijack
// resistance), counted, sniffed for RFC 4733 telephone events if asked, then
// rewritten in place (SSRC, sequence number, timestamp) and sent out of the
// bridged peer B's socket to B's remote. The far phone therefore sees one
// continuous RTP stream coming from the port it was told about in SDP, even
// when the core re-bridges B to a different endpoint (transfer, hold music).
//
// # Concurrency
//
// The peer link, the latched remote, the activity time and all counters are
// atomics; nothing on the per-packet path takes a lock or allocates (SRTP
// legs excepted, see below). The outbound rewriter (the SSRC/seq/timestamp
// state of packets leaving an endpoint, and their SRTP context) lives on
// the destination endpoint, because that is what the far phone sees, and it
// must survive a change of source. In steady state only
// one goroutine feeds a destination: the reader of its bridged peer. During
// a re-bridge, or when a local player calls WritePacket while a peer is still
// bridged, two goroutines may briefly feed the same destination; the
// rewriter is therefore guarded by a non-blocking compare-and-swap flag. The
// uncontended cost is one CAS and one store; the loser of a (rare) collision
// drops its packet, counted in Dropped, instead of waiting.
//
// # SRTP
//
// Each endpoint may speak SRTP to its far phone, independently per
// direction (SetSRTP with contexts from package srtp), so SRTP↔RTP,
// SRTP↔SRTP and RTP↔RTP bridges all work. An SRTP packet read on A is
// authenticated, checked against the replay window and decrypted by the
// reader into a second reader-owned buffer before anything else looks at
// it: forged and replayed packets are dropped and counted (Dropped,
// SRTPAuthFailed, SRTPReplayed) and never reach the latch. The plaintext
// is then rewritten as usual and, if B's phone speaks SRTP, encrypted into
// a third buffer owned by A's reader and sent from it. B's Encrypter, like
// B's rewriter, belongs to the stream B's phone sees and is fed by
// whichever goroutine feeds B, so it is used only under the rewriter's
// busy flag. Plain legs keep their zero allocations; each SRTP operation
// costs what pion/srtp/v2 allocates inside (see the benchmarks).
//
// # RTCP
//
// RTCP arriving on port+1 is read and dropped (counted in
// Stats.RTCPReceived). Because SSRCs and sequence numbers are rewritten, the
// peer's RTCP cannot simply be forwarded; terminating it and generating our
// own SR/RR (and SRTCP on SRTP legs) per leg is a later piece of work.
package relay
