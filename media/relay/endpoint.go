package relay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gatepbx/gatepbx/media/srtp"
)

const (
	// maxPacketSize is the reader's buffer: one Ethernet MTU.
	maxPacketSize = 1500
	// relatchAfter is how many consecutive packets a new source must send
	// before the endpoint follows it (hijack resistance).
	relatchAfter = 5
)

var (
	// ErrNotRTP is returned by WritePacket for a buffer that is not a
	// well-formed RTP version 2 packet.
	ErrNotRTP = errors.New("relay: not an RTP packet")
	// ErrNoRemote is returned by WritePacket before the endpoint has a
	// destination (no SetRemote and nothing latched).
	ErrNoRemote = errors.New("relay: endpoint has no remote address")
	// ErrOutboundBusy is returned by WritePacket when another goroutine
	// (a bridged peer's reader) is feeding the endpoint at that instant.
	ErrOutboundBusy = errors.New("relay: endpoint is being fed by its bridged peer")
)

// Stats are an endpoint's counters, read from atomics.
type Stats struct {
	// RxPackets and RxBytes count valid RTP accepted from the latched
	// source. Bytes are as on the wire (SRTP packets with their tag).
	RxPackets, RxBytes uint64
	// TxPackets and TxBytes count RTP sent from this endpoint's socket
	// (relayed from the peer or written with WritePacket), bytes as on
	// the wire.
	TxPackets, TxBytes uint64
	// Dropped counts packets read from the RTP socket and not forwarded:
	// not RTP, failed SRTP checks, from a source that is not latched, no
	// peer, the peer has no remote, the peer's rewriter was busy, SRTP
	// encryption for the peer failed, or the send failed.
	Dropped uint64
	// SRTPAuthFailed and SRTPReplayed count the SRTP packets (included in
	// Dropped) whose authentication tag did not verify, and that were
	// replays or too old for the replay window.
	SRTPAuthFailed, SRTPReplayed uint64
	// UnknownPT counts RTP packets (included in Dropped) whose payload
	// type the phone did not negotiate (see SetCodec), and telephone
	// events for a peer whose phone has no telephone-event type.
	UnknownPT uint64
	// RTCPReceived counts valid RTCP (compound) packets received from the
	// far phone; RTCPMalformed those that failed validation, RTCPDropped
	// those from another address, failing SRTCP checks, or arriving on
	// an SRTP leg without SRTCP keys. RTCPSent counts our own reports.
	RTCPReceived, RTCPMalformed, RTCPDropped, RTCPSent uint64
}

// counters are grouped by writer, with padding so that the goroutine
// feeding this endpoint (tx) and the endpoint's own readers (rx) do not
// share a cache line.
type counters struct {
	rxPackets, rxBytes, dropped, rtcp atomic.Uint64
	srtpAuthFailed, srtpReplayed      atomic.Uint64
	unknownPT                         atomic.Uint64
	rtcpMalformed, rtcpDropped        atomic.Uint64
	rtcpSent                          atomic.Uint64
	lastRx                            atomic.Int64 // UnixNano of the last accepted packet; 0 = none
	_                                 [64]byte
	txPackets, txBytes                atomic.Uint64
	_                                 [64]byte
}

// Endpoint is one call leg's RTP/RTCP socket pair. See the package doc for
// the per-packet path. All methods are safe for concurrent use.
type Endpoint struct {
	pool *PortPool
	port int
	rtp  *net.UDPConn
	rtcp *net.UDPConn
	// rtpRaw is rtp's raw access, for the reactor's sends out of this
	// socket; link is this endpoint's side of the reactor.
	rtpRaw syscall.RawConn
	link   reactorLink
	clock  Clock
	local  netip.AddrPort

	sdpRemote atomic.Pointer[netip.AddrPort] // from SetRemote
	latched   atomic.Pointer[netip.AddrPort] // learnt from packets; nil until the first one
	peer      atomic.Pointer[Endpoint]
	dtmf      atomic.Pointer[dtmfListener]
	tap       atomic.Pointer[AudioTapFunc]
	codec     atomic.Pointer[Codec]
	// decrypter checks and decrypts SRTP arriving on the RTP socket; nil
	// for plain RTP. The Decrypter is used only by the reader.
	decrypter atomic.Pointer[srtp.Decrypter]

	// out rewrites (and, for SRTP, encrypts) packets leaving this
	// endpoint (see outbound).
	out outbound

	// Owned by the RTP reader goroutine (or a caller of handlePacket when
	// no reader runs, as in tests and benchmarks).
	candidate      netip.AddrPort // a new source trying to take over the latch
	candidateCount int
	sniffer        dtmfSniffer
	plain          []byte // decrypted SRTP; allocated with the first SRTP packet
	sealed         []byte // SRTP for the peer's phone; allocated on first use
	rx             reception

	// rtcpState is the RTCP side (see rtcp.go); rtcpInterval the mean
	// time between our reports, 0 for none.
	rtcpState    rtcpState
	rtcpInterval time.Duration

	stats counters

	lifecycle sync.Mutex // guards started, closed
	started   bool
	closed    bool
	readers   sync.WaitGroup
	closeErr  error
}

func newEndpoint(p *PortPool, port int, rtp, rtcp *net.UDPConn) *Endpoint {
	e := &Endpoint{
		pool:  p,
		port:  port,
		rtp:   rtp,
		rtcp:  rtcp,
		clock: p.clock,
		local: rtp.LocalAddr().(*net.UDPAddr).AddrPort(),

		rtcpInterval: p.rtcpInterval,
	}
	e.out.ssrc = newSSRC()
	if raw, err := rtp.SyscallConn(); err == nil {
		e.rtpRaw = raw
	}
	e.link.init(e.rtpRaw)
	return e
}

// LocalPort returns the RTP port (RTCP is LocalPort()+1).
func (e *Endpoint) LocalPort() int { return e.port }

// LocalAddr returns the RTP socket's bound address.
func (e *Endpoint) LocalAddr() netip.AddrPort { return e.local }

// SSRC returns the fixed SSRC of the stream this endpoint sends.
func (e *Endpoint) SSRC() uint32 { return e.out.ssrc }

// SetRemote sets the far side's address from its SDP (c= and m=). It is the
// destination until the first packet latches the real source; it does not
// override an existing latch (call ResetLatch for that).
func (e *Endpoint) SetRemote(ap netip.AddrPort) {
	ap = unmap(ap)
	e.sdpRemote.Store(&ap)
}

// Remote returns the current destination: the latched source if any, else
// the SDP address, else the zero AddrPort.
func (e *Endpoint) Remote() netip.AddrPort {
	if p := e.latched.Load(); p != nil {
		return *p
	}
	if p := e.sdpRemote.Load(); p != nil {
		return *p
	}
	return netip.AddrPort{}
}

// ResetLatch forgets the latched source, after a re-INVITE moved the far
// side: the destination is the SDP remote again and the next valid packet,
// from any source, latches immediately.
func (e *Endpoint) ResetLatch() {
	e.latched.Store(nil)
	e.rtcpState.mu.Lock()
	e.rtcpState.latched = netip.AddrPort{}
	e.rtcpState.mu.Unlock()
}

// LastReceived returns when the last valid RTP packet was accepted, or the
// zero Time if none was. The caller uses it for media timeouts.
func (e *Endpoint) LastReceived() time.Time {
	n := e.stats.lastRx.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Stats returns a snapshot of the counters.
func (e *Endpoint) Stats() Stats {
	return Stats{
		RxPackets:      e.stats.rxPackets.Load(),
		RxBytes:        e.stats.rxBytes.Load(),
		TxPackets:      e.stats.txPackets.Load(),
		TxBytes:        e.stats.txBytes.Load(),
		Dropped:        e.stats.dropped.Load(),
		SRTPAuthFailed: e.stats.srtpAuthFailed.Load(),
		SRTPReplayed:   e.stats.srtpReplayed.Load(),
		UnknownPT:      e.stats.unknownPT.Load(),
		RTCPReceived:   e.stats.rtcp.Load(),
		RTCPMalformed:  e.stats.rtcpMalformed.Load(),
		RTCPDropped:    e.stats.rtcpDropped.Load(),
		RTCPSent:       e.stats.rtcpSent.Load(),
	}
}

// SetDTMFListener sniffs RFC 4733 telephone-event packets of payload type pt
// received on e and calls fn when an event starts and when it ends (once,
// although the end is sent three times). fn runs on the reader goroutine and
// must be cheap. pt 0 or a nil fn disables sniffing. The packets are relayed
// as usual either way.
func (e *Endpoint) SetDTMFListener(pt uint8, fn func(event uint8, end bool, duration uint16)) {
	if pt == 0 || fn == nil {
		e.dtmf.Store(nil)
		return
	}
	e.dtmf.Store(&dtmfListener{pt: pt & 0x7f, fn: fn})
}

// AudioTapFunc receives a copy-free view of every RTP packet accepted on an
// endpoint (after SRTP decryption): its payload type, RTP timestamp and
// payload. It runs on the endpoint's reader (its reactor or reader
// goroutine) for bridged and unbridged endpoints alike, so it must be
// cheap, must not block, must not retain payload after it returns and must
// not start or close endpoints.
// Recorders, in-band DTMF detectors and analog-port bridges use it.
type AudioTapFunc func(pt uint8, ts uint32, payload []byte)

// SetAudioTap installs fn as e's audio tap; nil removes it. Safe at any
// time; the next packet sees the new tap.
func (e *Endpoint) SetAudioTap(fn AudioTapFunc) {
	if fn == nil {
		e.tap.Store(nil)
		return
	}
	e.tap.Store(&fn)
}

// SetSRTP sets how e's far phone protects its media: in checks and
// decrypts the SRTP packets arriving on e's socket, out encrypts the
// packets leaving it (relayed ones and WritePacket's). A nil context leaves
// that direction plain RTP, so SRTP↔RTP, SRTP↔SRTP and RTP↔RTP bridges all
// work. Build the contexts from the SDES exchange: in from the remote key,
// out from the local one (srtp.Negotiated.Contexts).
//
// SetSRTP is safe at any time, before or after Start and while packets
// flow: each packet uses the contexts it finds, so a packet already in
// hand finishes with the previous ones. e takes ownership of in and out:
// the caller must not use them afterwards, nor give them to another
// endpoint (passing e's current ones again is fine).
func (e *Endpoint) SetSRTP(in *srtp.Decrypter, out *srtp.Encrypter) {
	e.decrypter.Store(in)
	e.out.encrypter.Store(out)
}

// Bridge links a and b: packets received on a leave b's socket towards b's
// remote, and packets received on b leave a's socket. A previous peer of a
// or b is unbridged (its packets are dropped until it is bridged again).
// Re-bridging while packets flow is safe; the far phones see a marker bit
// and continuous numbering. Callers serialise bridge changes that involve
// the same endpoints (the call core does).
func Bridge(a, b *Endpoint) {
	if a == nil || b == nil {
		Unbridge(a)
		Unbridge(b)
		return
	}
	if old := a.peer.Swap(b); old != nil && old != b && old != a {
		old.peer.CompareAndSwap(a, nil)
	}
	if old := b.peer.Swap(a); old != nil && old != a && old != b {
		old.peer.CompareAndSwap(b, nil)
	}
}

// Unbridge drops a's link: a's packets are dropped, and so are the packets
// of a's former peer.
func Unbridge(a *Endpoint) {
	if a == nil {
		return
	}
	if old := a.peer.Swap(nil); old != nil {
		old.peer.CompareAndSwap(a, nil)
	}
}

// Peer returns the endpoint a is bridged to, or nil.
func (e *Endpoint) Peer() *Endpoint { return e.peer.Load() }

// Start starts reading: the RTP socket joins the pool's reactor (or gets
// its own reader goroutine in IOGoroutines mode, or if the reactor cannot
// take it) and the RTCP goroutine starts. It is idempotent and does
// nothing after Close.
func (e *Endpoint) Start() {
	e.lifecycle.Lock()
	defer e.lifecycle.Unlock()
	if e.started || e.closed {
		return
	}
	e.started = true
	if e.pool.reactors == nil || e.pool.reactors.register(e) != nil {
		e.readers.Add(1)
		go e.readRTP()
	}
	e.readers.Add(1)
	go e.readRTCP()
}

// Close unbridges the endpoint, sends the far phone an RTCP BYE (see
// sendBye), closes both sockets, waits for the reader
// goroutines to exit and gives the ports back to the pool. It is
// idempotent; later calls return the first call's result.
func (e *Endpoint) Close() error {
	e.lifecycle.Lock()
	defer e.lifecycle.Unlock()
	if e.closed {
		return e.closeErr
	}
	e.closed = true
	Unbridge(e)
	e.sendBye(e.clock.Now())
	if e.pool.reactors != nil {
		// Before the socket closes: its descriptor must not be read
		// (or reused) under the reactor.
		e.pool.reactors.deregister(e)
	}
	err := errors.Join(e.rtp.Close(), e.rtcp.Close())
	e.readers.Wait()
	e.pool.release(e.port)
	if err != nil {
		e.closeErr = fmt.Errorf("relay: close endpoint on port %d: %w", e.port, err)
	}
	return e.closeErr
}

// WritePacket sends a locally generated RTP packet (a player, a tone) to
// the remote through the same rewriter (and SRTP context, if any) as
// relayed packets, so the far phone sees it as part of the one stream. b's
// header is rewritten in place. Meant for an endpoint that is not bridged;
// while a peer feeds the endpoint, WritePacket may return ErrOutboundBusy.
func (e *Endpoint) WritePacket(b []byte) error {
	if _, ok := rtpPayload(b); !ok {
		return ErrNotRTP
	}
	dst := e.Remote()
	if !dst.IsValid() {
		return ErrNoRemote
	}
	if !e.out.busy.CompareAndSwap(false, true) {
		return ErrOutboundBusy
	}
	// Held until the send: an SRTP packet lives in the outbound's own
	// buffer.
	defer e.out.busy.Store(false)
	out, err := e.out.seal(b, nil, &e.out.writeBuf, e.clock.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("relay: SRTP-protect packet for %v: %w", dst, err)
	}
	if _, err := e.rtp.WriteToUDPAddrPort(out, dst); err != nil {
		return fmt.Errorf("relay: write RTP to %v: %w", dst, err)
	}
	e.stats.txPackets.Add(1)
	e.stats.txBytes.Add(uint64(len(out)))
	return nil
}

// readRTP is the endpoint's one RTP reader goroutine. buf is owned by it.
func (e *Endpoint) readRTP() {
	defer e.readers.Done()
	buf := make([]byte, maxPacketSize)
	for {
		n, src, err := e.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. a truncated or refused datagram; keep reading
		}
		e.handlePacket(buf[:n], src)
	}
}

// readRTCP is the endpoint's RTCP goroutine: it takes the far phone's
// reports from the RTCP socket and, between them, sends ours every
// rtcpInterval on average (the read deadline is the report timer).
func (e *Endpoint) readRTCP() {
	defer e.readers.Done()
	buf := make([]byte, maxPacketSize)
	var next time.Time
	if e.rtcpInterval > 0 {
		next = time.Now().Add(rtcpPeriod(e.rtcpInterval))
	}
	for {
		if !next.IsZero() {
			e.rtcp.SetReadDeadline(next)
		}
		n, src, err := e.rtcp.ReadFromUDPAddrPort(buf)
		switch {
		case err == nil:
			e.receiveRTCP(buf[:n], src, e.clock.Now())
		case errors.Is(err, net.ErrClosed):
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
			e.sendReport(e.clock.Now())
			next = time.Now().Add(rtcpPeriod(e.rtcpInterval))
		}
	}
}

// handlePacket is the whole per-packet path for one datagram read from e's
// RTP socket: prepare it, then send it out of the peer's socket.
func (e *Endpoint) handlePacket(pkt []byte, src netip.AddrPort) {
	peer, dst, out, ok := e.prepare(pkt, src)
	if !ok {
		return
	}
	if _, err := peer.rtp.WriteToUDPAddrPort(out, dst); err != nil {
		e.stats.dropped.Add(1)
		return
	}
	peer.stats.txPackets.Add(1)
	peer.stats.txBytes.Add(uint64(len(out)))
}

// prepare does everything for one received packet except the send: it
// decrypts SRTP, validates, applies the latch, counts, sniffs DTMF,
// rewrites the header for the peer and encrypts it if the peer's phone
// speaks SRTP. It returns the peer, the destination and the bytes to send
// (pkt itself, or one of e's reader-owned buffers), or ok == false when
// the packet is dropped (already counted).
//
// With SRTP the packet is authenticated before the latch sees it, so
// forged or replayed packets can neither take over the latch nor count
// towards it.
func (e *Endpoint) prepare(pkt []byte, src netip.AddrPort) (peer *Endpoint, dst netip.AddrPort, out []byte, ok bool) {
	wireLen := len(pkt)
	if len(pkt) >= 2 && isRTCPType(pkt[1]) && e.muxedRTCP(pkt, src) {
		return nil, dst, nil, false
	}
	if dec := e.decrypter.Load(); dec != nil {
		if pkt, ok = e.decrypt(dec, pkt); !ok {
			return nil, dst, nil, false
		}
	}
	payload, valid := rtpPayload(pkt)
	if !valid || !e.admit(unmap(src)) {
		e.stats.dropped.Add(1)
		return nil, dst, nil, false
	}
	in := e.codec.Load()
	if in != nil {
		if kind, _ := classify(in, pkt[1]&0x7f); kind == kindUnknown {
			e.stats.unknownPT.Add(1)
			e.stats.dropped.Add(1)
			return nil, dst, nil, false
		}
	}
	now := e.clock.Now().UnixNano()
	e.stats.rxPackets.Add(1)
	e.stats.rxBytes.Add(uint64(wireLen))
	e.stats.lastRx.Store(now)
	e.rx.update(pkt, now)
	if l := e.dtmf.Load(); l != nil {
		e.sniffer.sniff(l, pkt, payload)
	}
	if tap := e.tap.Load(); tap != nil {
		(*tap)(pkt[1]&0x7f, binary.BigEndian.Uint32(pkt[4:]), payload)
	}
	peer = e.peer.Load()
	if peer == nil {
		e.stats.dropped.Add(1)
		return nil, dst, nil, false
	}
	dst = peer.Remote()
	if !dst.IsValid() {
		e.stats.dropped.Add(1)
		return nil, dst, nil, false
	}
	if !transcode(in, peer.codec.Load(), pkt, payload) {
		e.stats.unknownPT.Add(1)
		e.stats.dropped.Add(1)
		return nil, dst, nil, false
	}
	if out, ok = peer.out.forward(pkt, e, &e.sealed, now); !ok {
		e.stats.dropped.Add(1)
		return nil, dst, nil, false
	}
	return peer, dst, out, true
}

// decrypt turns an SRTP packet into RTP in e's reader-owned plain buffer.
// Failures are dropped and counted.
func (e *Endpoint) decrypt(dec *srtp.Decrypter, pkt []byte) ([]byte, bool) {
	// RTCP on the RTP port is not SRTP; do not count it as an
	// authentication failure.
	if len(pkt) < 2 || isRTCPType(pkt[1]) {
		e.stats.dropped.Add(1)
		return nil, false
	}
	if e.plain == nil {
		e.plain = make([]byte, maxPacketSize)
	}
	plain, err := dec.Decrypt(e.plain, pkt)
	if err != nil {
		switch err {
		case srtp.ErrAuthFailed:
			e.stats.srtpAuthFailed.Add(1)
		case srtp.ErrReplayed:
			e.stats.srtpReplayed.Add(1)
		}
		e.stats.dropped.Add(1)
		return nil, false
	}
	return plain, true
}

// admit applies symmetric latching with hijack resistance and reports
// whether a packet from src may be used. The first packet latches its
// source; afterwards a different source takes over only after relatchAfter
// consecutive packets from it (a packet from the latched source resets the
// count).
func (e *Endpoint) admit(src netip.AddrPort) bool {
	cur := e.latched.Load()
	if cur == nil {
		e.latch(src)
		return true
	}
	if *cur == src {
		e.candidateCount = 0
		return true
	}
	if src == e.candidate {
		e.candidateCount++
	} else {
		e.candidate, e.candidateCount = src, 1
	}
	if e.candidateCount < relatchAfter {
		return false
	}
	e.latch(src)
	return true
}

// latch makes src the destination. It allocates, but only when the source
// changes.
func (e *Endpoint) latch(src netip.AddrPort) {
	p := new(netip.AddrPort)
	*p = src
	e.latched.Store(p)
	e.candidate, e.candidateCount = netip.AddrPort{}, 0
}

// unmap turns an IPv4-mapped IPv6 address (from a dual-stack socket) into
// plain IPv4 so addresses compare equal however they were learnt.
func unmap(ap netip.AddrPort) netip.AddrPort {
	if ap.Addr().Is4In6() {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return ap
}
