// Package relay owns the appliance's RTP endpoints and relays media between
// two bridged endpoints without allocating per packet.
//
// An Endpoint is one call leg's media socket pair (RTP on an even port from a
// configured range, RTCP on the next port), handed out by a PortPool. Once
// started, each endpoint runs one reader goroutine on its RTP socket and
// one RTCP goroutine (see RTCP below). A packet received on endpoint A is
// checked (RTP version 2, sane header, a negotiated payload type),
// accepted only from A's latched source (symmetric RTP with hijack
// resistance), counted, sniffed for RFC 4733 telephone events if asked,
// transcoded if B's phone uses the other G.711 law, then rewritten in
// place (SSRC, sequence number, timestamp) and sent out of the
// bridged peer B's socket to B's remote. The far phone therefore sees one
// continuous RTP stream coming from the port it was told about in SDP, even
// when the core re-bridges B to a different endpoint (transfer, hold music).
//
// # Concurrency
//
// The peer link, the latched remote, the activity time, the codecs and all
// counters are atomics; nothing on the per-packet path allocates (SRTP legs
// excepted, see below) or takes a lock, except an uncontended mutex every
// 250 ms to publish the RTCP counters (see RTCP). The outbound rewriter (the SSRC/seq/timestamp
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
// # Codecs and transcoding
//
// SetCodec records the codec a far phone negotiated (audio payload type
// and encoding, telephone-event payload type). With it, packets of payload
// types the phone did not negotiate are dropped and counted (UnknownPT),
// and packets leaving an endpoint are mapped to its phone's codec: a PCMU
// phone bridged to a PCMA phone hears A-law converted from µ-law in place
// by table (media/g711), with the payload type rewritten, and telephone
// events are renumbered between the two legs' event payload types. This
// costs one table lookup per payload byte and no allocation.
//
// # RTCP
//
// The relay terminates RTCP and regenerates it per leg; it never forwards
// a phone's RTCP. Forwarding would need every SSRC, extended sequence
// number, packet count and RTP/NTP timestamp pair in SR and RR rewritten
// consistently with the RTP rewrite, and that mapping breaks whenever the
// source behind a leg changes (transfer, hold music, prompts, a local
// player, which has no RTCP at all): the reports would describe a stream
// the far phone never saw. Each endpoint is instead an RTP end system
// towards its phone (which is what the phone sees, since it talks to our
// SSRC from our port), so its reports are true by construction.
//
// Each endpoint's RTCP goroutine reads the phone's reports from port+1
// (or from the RTP port when SetRTCPMux is on): compound packets are
// validated (RFC 3550 A.2) and must come from the phone's address;
// malformed ones are dropped and counted in RTCPMalformed, others in
// RTCPDropped. An SR's time is kept for our LSR/DLSR; a report block about
// our stream is exposed by RemoteReport (loss, jitter, round-trip time).
// Between reads, with the read deadline as its timer, the goroutine sends
// our own compound report every RTCPInterval (5 s by default, randomised
// by ±50%): an SR with our packet and octet counts and the RTP timestamp
// extrapolated to the NTP time, once we have sent media, else an RR; a
// report block about the stream we receive (loss since the previous
// report, cumulative loss, extended highest sequence number, jitter,
// LSR/DLSR); and an SDES CNAME. Reports go to the address the phone's RTCP
// comes from, once it sent some: the RTCP address is latched like the RTP
// one, because behind a NAT the RTP port+1 is a guess that is usually
// wrong, and a phone with RTCP turned off wants none of ours.
//
// The per-packet path keeps the counters behind those reports in plain
// fields owned by the goroutine that already owns the packet (the reader
// for reception statistics, the holder of the rewriter for the sending
// side) and copies them under a mutex every 250 ms, so RTCP adds no atomic
// operation per packet and a report lags the stream by at most that much.
//
// On an SRTP leg, RTCP is SRTCP: SetSRTCP gives the keys (from the same
// SDES exchange); the phone's reports are authenticated and checked for
// replays, ours are protected. Without SetSRTCP such a leg drops the
// phone's RTCP and sends none, since the phone would reject plain RTCP.
package relay
