// Package relay owns the appliance's RTP endpoints and relays media between
// two bridged endpoints without allocating per packet.
//
// An Endpoint is one call leg's media socket pair (RTP on an even port from a
// configured range, RTCP on the next port), handed out by a PortPool. Once
// started, an endpoint's RTP socket is read by one of the pool's reactors
// (or by its own reader goroutine, see Reading the sockets) and it runs one
// RTCP goroutine (see RTCP below). A packet received on endpoint A is
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
// # Reading the sockets
//
// Issue 3 asks for one reader goroutine per direction. That mode is kept
// (PortPoolOptions.IO = IOGoroutines): each endpoint's goroutine blocks in
// ReadFromUDPAddrPort and sends with WriteToUDPAddrPort. Per packet it
// costs a recvfrom, the sendto, a second recvfrom that fails with EAGAIN
// before the goroutine parks, and a park/unpark through Go's netpoller and
// scheduler (waking a spinning M), per packet because at 50 packets/s per
// socket nothing ever waits in a queue.
//
// The default, where the platform has it (Linux on amd64, arm, arm64,
// riscv64, loong64), is a deliberate, measured deviation: IOReactor. A
// pool has up to N reactors (PortPoolOptions.Reactors, default
// GOMAXPROCS). Start registers the RTP socket, level-triggered, in the
// epoll set of the first reactor with room: fewer than 512 sockets (256
// calls, 25600 packets/s, well within one core of a Raspberry Pi class
// board even when all calls start at once) and busy less than half the
// time; only when none has room does the socket go to the reactor with
// the fewest. Few reactors wake up less often, with
// bigger batches (one reactor cost 5-10% less per packet than two at
// 250-500 streams on 2 cores); more reactors use more cores (a single one
// lost packets at 1000 streams). A reactor is one goroutine parked in Go's
// netpoller on its epoll descriptor (nested epoll, so it holds no thread
// while idle and the scheduler treats it as any goroutine); woken, it
// takes every ready socket with epoll_wait(0), does one recvfrom per
// ready socket into the reactor's own buffer (no EAGAIN probe: a socket
// with more queued is reported again), runs the same per-packet path as
// the goroutine mode and sendto's from that buffer out of the peer's
// socket, and parks only when epoll_wait finds nothing. A busy reactor
// therefore pays one park and two epoll_wait calls per batch of packets
// rather than per packet (under the benchmark, about 6 packets per park at
// 250 streams and 18 at 500), and needs one 1500-byte buffer instead of
// one per endpoint. Sends go through the peer's RawConn (its descriptor lock,
// so a peer closing at that moment is safe) and never wait: a full socket
// buffer drops the packet (counted) instead of stalling the reactor's
// other sockets. recvmmsg/sendmmsg are not used: with one socket per leg
// and 50 packets/s a socket almost never holds two datagrams.
//
// Close deregisters the socket under the reactor's mutex, which the
// reactor holds while it handles a batch, so when Close closes the socket
// the reactor is done with it and with the endpoint's buffers; a stale
// event from the same batch finds an empty slot or a new generation. A
// reactor with no socket left stops, so an idle pool holds no goroutine
// and no descriptor. Because taps, DTMF listeners and the peer's sends run
// on the reactor, they must not block and must not start or close
// endpoints (that would deadlock on the reactor's mutex).
//
// A variant blocking in epoll_wait(-1) on its own thread was measured and
// dropped: the runtime hands the thread's P to others while it sleeps and
// taking one back on every wake-up cost more than the netpoller's park
// (1.34-1.64% vs 1.13-1.18% of a core per 1000 packets/s at 250
// streams).
//
// epoll_wait(0) is made as a raw system call. Through unix.EpollWait it
// went through the scheduler's entersyscall, which wakes the runtime's
// sysmon thread whenever every P was idle; sysmon then polled every 20 µs,
// and a profile put 10% of the relay's CPU in sysmon's sleeps and
// wake-ups. A zero timeout never blocks, so nothing needs entersyscall.
//
// Measured with bench/rtpload (make bench-media) on the 2-core amd64
// development VM, all forwarders in the same run (README's Benchmarks has
// the table): per 1000 packets/s the reactors cost 0.80-0.95% of a core at
// 250 streams and 0.73-0.84% at 500, against 1.10-1.42% and 1.20-1.38%
// for rtpengine and 1.64-1.88% and 1.47-1.64% for the bare Go
// recvmmsg/sendmmsg forwarder, 0 loss for all. A CPU profile of the
// reactor puts about 80% in recvfrom and sendto (sendto alone about 56%,
// since on loopback it also delivers to the receiver) and 11% in parking
// and waking through the netpoller, so what is left to save lies in the
// kernel. Tried and dropped: a raw sendto on the peer's descriptor
// without RawConn.Write's descriptor lock (Close waiting for a per-socket
// count of senders in flight instead) measured no difference beyond the
// noise, neither in a send micro-benchmark (6.3 against 6.4 µs per send,
// ±20% between repeats) nor in three interleaved bench-media runs against
// the unchanged relay (1.05 against 1.04% of a core per 1000 packets/s at
// 250 streams, 0.90 against 0.91% at 500), so the lock stays. Also
// dropped: sleeping 0.5 or 1 ms after each batch so that batches grow
// cost more, not less (1.2-1.3% at 250 streams, timer wake-ups instead of
// netpoller ones) and pushed p99 above 2 ms. Not done:
// sending from a connected socket saves the route lookup, about 0.8 µs of
// 8 µs per send in a micro-benchmark, but a connect()ed SO_REUSEPORT twin
// of the RTP socket would also take the phone's packets from the RTP
// socket (the kernel prefers a connected socket), and connecting the RTP
// socket itself would hide a new source from the latch, so either needs
// a second read path and a re-connect on every relatch.
//
// Trade-off: a reactor's work cannot be stolen by another thread. When
// other processes starve the machine and the OS deschedules a reactor's
// thread, all its sockets wait, where in the goroutine mode the other P
// runs the remaining readers; the benchmark's p99 under such contention
// was accordingly worse for the reactor in some runs (tens to hundreds of
// ms, with the generator itself that late).
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
// When the call ends, Close sends a last compound packet, our SR (or RR)
// and SDES followed by a BYE for our SSRC (RFC 3550 6.6), to the latched
// RTCP address, or before the phone sent any RTCP to its RTP port+1 (the
// RTP port with rtcp-mux); a leg that never sent RTP or RTCP says no BYE.
//
// On an SRTP leg, RTCP is SRTCP: SetSRTCP gives the keys (from the same
// SDES exchange); the phone's reports are authenticated and checked for
// replays, ours are protected. Without SetSRTCP such a leg drops the
// phone's RTCP and sends none, since the phone would reject plain RTCP.
package relay
