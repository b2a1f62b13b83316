package relay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/media/srtp"
	pionsrtp "github.com/pion/srtp/v2"
)

// RTCP packet types (RFC 3550 section 12.1) and sizes.
const (
	rtcpSR            = 200
	rtcpRR            = 201
	rtcpSDES          = 202
	rtcpHeaderSize    = 4
	rtcpSenderInfo    = 20 // NTP (8), RTP timestamp, packet count, octet count
	rtcpReportBlock   = 24
	sdesCNAME         = 1
	defaultRTCPPeriod = 5 * time.Second
	// publishEvery is how often the packet path copies its RTCP
	// counters where the RTCP goroutine can read them.
	publishEvery = int64(250 * time.Millisecond)
	// maxDropout is RFC 3550's MAX_DROPOUT: a sequence number jump up
	// to this counts as progress (lost packets), beyond it as noise.
	maxDropout = 3000
	// ntpEpochOffset is the seconds from 1900 (NTP) to 1970 (Unix).
	ntpEpochOffset = 2208988800
	// rtpClockRate is the timestamp rate assumed for jitter and for the
	// RTP timestamp of our sender reports: 8 kHz, as G.711 and
	// telephone-event use.
	rtpClockRate = defaultRTPClock
)

// RemoteReport is what the far phone last said, in an RTCP SR or RR, about
// the stream we send it.
type RemoteReport struct {
	// At is when the report arrived (the endpoint's clock).
	At time.Time
	// FractionLost is the share of our packets lost since its previous
	// report, in 1/256.
	FractionLost uint8
	// CumulativeLost is the number of our packets lost since the start.
	CumulativeLost int32
	// Jitter is the interarrival jitter in RTP timestamp units.
	Jitter uint32
	// RTT is the round-trip time computed from the report's LSR and DLSR
	// fields; 0 when the phone has not yet seen one of our SRs.
	RTT time.Duration
}

// reception is the RFC 3550 receiver state for the stream arriving on an
// endpoint. It is owned by the RTP reader (whoever calls prepare), which
// every publishEvery copies a snapshot into pub for the RTCP goroutine.
type reception struct {
	active      bool
	ssrc        uint32
	maxSeq      uint16
	cycles      uint32 // sequence number wraps, shifted left 16
	base        uint32 // first extended sequence number
	received    uint32
	transit     uint32
	jitter      uint32 // scaled by 16 as in RFC 3550 A.8
	nextPublish int64

	pubMu sync.Mutex
	pub   receptionSnapshot
}

// receptionSnapshot is what a receiver report needs.
type receptionSnapshot struct {
	valid                            bool
	ssrc, extMax, base, received, jt uint32
}

// update accounts one accepted RTP packet arriving at now (UnixNano).
func (r *reception) update(pkt []byte, now int64) {
	seq := binary.BigEndian.Uint16(pkt[2:])
	ts := binary.BigEndian.Uint32(pkt[4:])
	ssrc := binary.BigEndian.Uint32(pkt[8:])
	arrival := uint32(now / (int64(time.Second) / rtpClockRate))
	if !r.active || ssrc != r.ssrc {
		r.active, r.ssrc = true, ssrc
		r.maxSeq, r.cycles, r.base, r.received = seq, 0, uint32(seq), 0
		r.transit, r.jitter = arrival-ts, 0
		r.nextPublish = 0
	} else {
		if d := seq - r.maxSeq; d != 0 && d < maxDropout {
			if seq < r.maxSeq {
				r.cycles += 1 << 16
			}
			r.maxSeq = seq
		}
		transit := arrival - ts
		d := int32(transit - r.transit)
		r.transit = transit
		if d < 0 {
			d = -d
		}
		r.jitter += uint32(d) - (r.jitter+8)>>4
	}
	r.received++
	if now >= r.nextPublish {
		r.nextPublish = now + publishEvery
		r.pubMu.Lock()
		r.pub = receptionSnapshot{valid: true, ssrc: r.ssrc, extMax: r.cycles | uint32(r.maxSeq), base: r.base, received: r.received, jt: r.jitter >> 4}
		r.pubMu.Unlock()
	}
}

func (r *reception) snapshot() receptionSnapshot {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	return r.pub
}

// sending is the sender-report state of the stream leaving an endpoint:
// kept by whoever holds the outbound's busy flag and published every
// publishEvery for the RTCP goroutine.
type sending struct {
	packets, octets uint32
	nextPublish     int64

	pubMu sync.Mutex
	pub   sendingSnapshot
}

type sendingSnapshot struct {
	valid           bool
	packets, octets uint32
	ts              uint32 // RTP timestamp of the last packet sent
	at              int64  // when it was sent, UnixNano
}

// sent accounts one packet sent with RTP timestamp ts and payload size n.
func (s *sending) sent(ts uint32, n int, now int64) {
	s.packets++
	s.octets += uint32(n)
	if now >= s.nextPublish {
		s.nextPublish = now + publishEvery
		s.pubMu.Lock()
		s.pub = sendingSnapshot{valid: true, packets: s.packets, octets: s.octets, ts: ts, at: now}
		s.pubMu.Unlock()
	}
}

func (s *sending) snapshot() sendingSnapshot {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	return s.pub
}

// rtcpState is everything the endpoint's RTCP side owns: reports received
// and sent, the RTCP destination and the SRTCP contexts. It is guarded by
// mu, because RTCP reaches it from the RTCP reader and, with rtcp-mux,
// from the RTP reader. RTCP is a few packets per second per leg, so a
// lock is cheap here.
type rtcpState struct {
	mu      sync.Mutex
	mux     bool
	latched netip.AddrPort // where the phone's RTCP comes from; our reports go there
	in, out *pionsrtp.Context
	// Receiver-report bookkeeping (RFC 3550 A.3).
	priorSSRC                    uint32
	expectedPrior, receivedPrior uint32
	lastSR                       uint32 // middle 32 bits of the NTP time in the last SR received
	lastSRAt                     int64  // when it arrived, UnixNano
	remote                       RemoteReport
	haveRemote                   bool
	cname                        []byte
	buf, sealed, plain           []byte
}

// SetRTCPMux sets whether the far phone multiplexes RTCP on the RTP port
// (RFC 5761, a=rtcp-mux): then RTCP arriving on the RTP port is taken as
// RTCP instead of being dropped, and our reports go to the RTP port.
func (e *Endpoint) SetRTCPMux(on bool) {
	e.rtcpState.mu.Lock()
	defer e.rtcpState.mu.Unlock()
	e.rtcpState.mux = on
}

// SetSRTCP protects e's RTCP with SRTCP (RFC 3711): remote checks and
// decrypts the far phone's reports (with replay protection), local
// protects ours. Use the keys of the SDES exchange (Negotiated.Remote.Key,
// Negotiated.Local.Key), alongside SetSRTP. Without SetSRTCP, an endpoint
// with an SRTP decrypter drops the phone's RTCP (it cannot authenticate
// it) and sends no reports (the phone would reject plain RTCP).
func (e *Endpoint) SetSRTCP(remote, local srtp.Key) error {
	in, err := newSRTCPContext(remote, pionsrtp.SRTCPReplayProtection(64))
	if err != nil {
		return fmt.Errorf("relay: SRTCP context for the remote key: %w", err)
	}
	out, err := newSRTCPContext(local)
	if err != nil {
		return fmt.Errorf("relay: SRTCP context for the local key: %w", err)
	}
	e.rtcpState.mu.Lock()
	defer e.rtcpState.mu.Unlock()
	e.rtcpState.in, e.rtcpState.out = in, out
	return nil
}

// srtcpProfiles maps our suites to pion's profiles.
var srtcpProfiles = map[srtp.Suite]pionsrtp.ProtectionProfile{
	srtp.AESCM128HMACSHA1_80: pionsrtp.ProtectionProfileAes128CmHmacSha1_80,
	srtp.AESCM128HMACSHA1_32: pionsrtp.ProtectionProfileAes128CmHmacSha1_32,
}

func newSRTCPContext(k srtp.Key, opts ...pionsrtp.ContextOption) (*pionsrtp.Context, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	profile, ok := srtcpProfiles[k.Suite]
	if !ok {
		return nil, fmt.Errorf("%w %v", srtp.ErrUnsupportedSuite, k.Suite)
	}
	if len(k.MKI) > 0 {
		opts = append(opts, pionsrtp.MasterKeyIndicator(k.MKI))
	}
	return pionsrtp.CreateContext(k.Master, k.Salt, profile, opts...)
}

// RemoteReport returns the far phone's last report about our stream, and
// false before one arrived.
func (e *Endpoint) RemoteReport() (RemoteReport, bool) {
	e.rtcpState.mu.Lock()
	defer e.rtcpState.mu.Unlock()
	return e.rtcpState.remote, e.rtcpState.haveRemote
}

// errMalformedRTCP marks a compound packet that fails RFC 3550 A.2's checks.
var errMalformedRTCP = errors.New("relay: malformed RTCP")

// checkCompound validates a compound RTCP packet: every packet version 2
// with a type in 192-223, lengths that tile the datagram exactly, and
// padding only on the last packet.
func checkCompound(b []byte) error {
	if len(b) < rtcpHeaderSize+4 {
		return errMalformedRTCP
	}
	for off := 0; off < len(b); {
		if len(b)-off < rtcpHeaderSize || b[off]>>6 != 2 || b[off+1] < 192 || b[off+1] > 223 {
			return errMalformedRTCP
		}
		n := 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
		if n > len(b)-off {
			return errMalformedRTCP
		}
		if b[off]&0x20 != 0 && off+n != len(b) {
			return errMalformedRTCP
		}
		off += n
	}
	return nil
}

// receiveRTCP takes one datagram from the far phone's RTCP path (the RTCP
// socket, or the RTP socket with rtcp-mux): it authenticates SRTCP,
// validates, checks the source and records what the phone reports.
// Whatever fails is dropped and counted.
func (e *Endpoint) receiveRTCP(pkt []byte, src netip.AddrPort, now time.Time) {
	e.rtcpState.mu.Lock()
	defer e.rtcpState.mu.Unlock()
	e.receiveRTCPLocked(pkt, src, now)
}

// receiveRTCPLocked is receiveRTCP for a caller holding rtcpState.mu.
func (e *Endpoint) receiveRTCPLocked(pkt []byte, src netip.AddrPort, now time.Time) {
	s := &e.rtcpState
	switch {
	case s.in != nil:
		if s.plain == nil {
			s.plain = make([]byte, maxPacketSize)
		}
		plain, err := s.in.DecryptRTCP(s.plain[:0], pkt, nil)
		if err != nil {
			e.stats.rtcpDropped.Add(1)
			return
		}
		pkt = plain
	case e.decrypter.Load() != nil:
		e.stats.rtcpDropped.Add(1) // SRTP leg without SRTCP keys
		return
	}
	if checkCompound(pkt) != nil {
		e.stats.rtcpMalformed.Add(1)
		return
	}
	src = unmap(src)
	if r := e.Remote(); r.IsValid() && r.Addr() != src.Addr() {
		e.stats.rtcpDropped.Add(1)
		return
	}
	s.latched = src
	e.stats.rtcp.Add(1)
	for off := 0; off < len(pkt); {
		n := 4 + 4*int(binary.BigEndian.Uint16(pkt[off+2:]))
		e.readReport(pkt[off:off+n], now)
		off += n
	}
}

// readReport records an SR's timing and any report block about our stream.
// p is one validated RTCP packet.
func (e *Endpoint) readReport(p []byte, now time.Time) {
	s := &e.rtcpState
	count := int(p[0] & 0x1f)
	blocks := rtcpHeaderSize + 4
	switch p[1] {
	case rtcpSR:
		if len(p) < blocks+rtcpSenderInfo {
			return
		}
		s.lastSR = binary.BigEndian.Uint32(p[blocks+2:])
		s.lastSRAt = now.UnixNano()
		blocks += rtcpSenderInfo
	case rtcpRR:
	default:
		return
	}
	for i := 0; i < count && blocks+rtcpReportBlock <= len(p); i, blocks = i+1, blocks+rtcpReportBlock {
		b := p[blocks:]
		if binary.BigEndian.Uint32(b) != e.out.ssrc {
			continue
		}
		lost := int32(binary.BigEndian.Uint32(b[4:])<<8) >> 8
		r := RemoteReport{At: now, FractionLost: b[4], CumulativeLost: lost, Jitter: binary.BigEndian.Uint32(b[12:])}
		if lsr, dlsr := binary.BigEndian.Uint32(b[16:]), binary.BigEndian.Uint32(b[20:]); lsr != 0 {
			if rtt := int32(ntpMiddle(now) - lsr - dlsr); rtt > 0 {
				r.RTT = time.Duration(int64(rtt) * int64(time.Second) >> 16)
			}
		}
		s.remote, s.haveRemote = r, true
	}
}

// ntpTime converts t to a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// ntpMiddle is the middle 32 bits of t's NTP timestamp, the unit of LSR,
// DLSR and round-trip times (1/65536 s).
func ntpMiddle(t time.Time) uint32 { return uint32(ntpTime(t) >> 16) }

// sendReport sends our compound report to the far phone: an SR when we
// have sent media, else an RR, with a report block about the stream we
// receive (if any) and an SDES CNAME. It sends nothing before media
// flowed either way, before the phone sent RTCP of its own (its RTCP
// address is latched like its RTP address: behind a NAT, RTP port+1 is a
// guess that is usually wrong, and a phone with RTCP off wants none), and
// on an SRTP leg without SRTCP keys.
func (e *Endpoint) sendReport(now time.Time) {
	s := &e.rtcpState
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil && e.out.encrypter.Load() != nil {
		return
	}
	dst := s.latched
	if !dst.IsValid() {
		return
	}
	if pkt := e.buildReport(now); pkt != nil {
		e.sendRTCPLocked(pkt, dst)
	}
}

// sendRTCPLocked sends our compound packet pkt to dst, as SRTCP when the
// leg has SRTCP keys, from the RTCP socket (the RTP socket with
// rtcp-mux), and counts it. The caller holds rtcpState.mu.
func (e *Endpoint) sendRTCPLocked(pkt []byte, dst netip.AddrPort) {
	s := &e.rtcpState
	if s.out != nil {
		if s.sealed == nil {
			s.sealed = make([]byte, 0, maxPacketSize+srtp.MaxOverhead+4)
		}
		sealed, err := s.out.EncryptRTCP(s.sealed[:0], pkt, nil)
		if err != nil {
			return
		}
		pkt = sealed
	}
	conn := e.rtcp
	if s.mux {
		conn = e.rtp
	}
	if _, err := conn.WriteToUDPAddrPort(pkt, dst); err == nil {
		e.stats.rtcpSent.Add(1)
	}
}

// buildReport writes our compound report into s.buf and returns it, or
// nil when there is nothing to report. The caller holds s.mu.
func (e *Endpoint) buildReport(now time.Time) []byte {
	s := &e.rtcpState
	tx := e.out.sending.snapshot()
	rx := e.rx.snapshot()
	if !tx.valid && !rx.valid {
		return nil
	}
	if s.cname == nil {
		s.cname = []byte(fmt.Sprintf("gatepbx-%08x@%v", e.out.ssrc, e.local.Addr()))
	}
	if s.buf == nil {
		s.buf = make([]byte, 0, maxPacketSize)
	}
	b := s.buf[:0]
	blocks := 0
	if rx.valid {
		blocks = 1
	}
	if tx.valid {
		b = appendRTCPHeader(b, blocks, rtcpSR, 6+6*blocks)
		b = binary.BigEndian.AppendUint32(b, e.out.ssrc)
		b = binary.BigEndian.AppendUint64(b, ntpTime(now))
		elapsed := now.UnixNano() - tx.at
		b = binary.BigEndian.AppendUint32(b, tx.ts+uint32(elapsed/(int64(time.Second)/rtpClockRate)))
		b = binary.BigEndian.AppendUint32(b, tx.packets)
		b = binary.BigEndian.AppendUint32(b, tx.octets)
	} else {
		b = appendRTCPHeader(b, blocks, rtcpRR, 1+6*blocks)
		b = binary.BigEndian.AppendUint32(b, e.out.ssrc)
	}
	if rx.valid {
		b = e.appendReportBlock(b, rx, now)
	}
	// SDES: one chunk with the CNAME, null-terminated and padded to 32 bits.
	chunk := 4 + 2 + len(s.cname)
	pad := 4 - chunk%4
	b = appendRTCPHeader(b, 1, rtcpSDES, (chunk+pad)/4)
	b = binary.BigEndian.AppendUint32(b, e.out.ssrc)
	b = append(b, sdesCNAME, byte(len(s.cname)))
	b = append(b, s.cname...)
	for range pad {
		b = append(b, 0)
	}
	s.buf = b
	return b
}

func appendRTCPHeader(b []byte, count int, pt byte, words int) []byte {
	b = append(b, 0x80|byte(count), pt)
	return binary.BigEndian.AppendUint16(b, uint16(words))
}

// appendReportBlock appends the RFC 3550 report block about the stream
// whose snapshot is rx. The caller holds s.mu.
func (e *Endpoint) appendReportBlock(b []byte, rx receptionSnapshot, now time.Time) []byte {
	s := &e.rtcpState
	if rx.ssrc != s.priorSSRC {
		s.priorSSRC, s.expectedPrior, s.receivedPrior = rx.ssrc, 0, 0
	}
	expected := rx.extMax - rx.base + 1
	lost := int64(expected) - int64(rx.received)
	lost = max(min(lost, 0x7fffff), -0x800000)
	expInterval := expected - s.expectedPrior
	lostInterval := int64(expInterval) - int64(rx.received-s.receivedPrior)
	s.expectedPrior, s.receivedPrior = expected, rx.received
	var fraction uint32
	if expInterval != 0 && lostInterval > 0 {
		fraction = uint32(min(lostInterval<<8/int64(expInterval), 255))
	}
	var dlsr uint32
	if s.lastSR != 0 {
		dlsr = uint32((now.UnixNano() - s.lastSRAt) << 16 / int64(time.Second))
	}
	b = binary.BigEndian.AppendUint32(b, rx.ssrc)
	b = binary.BigEndian.AppendUint32(b, fraction<<24|uint32(lost)&0xffffff)
	b = binary.BigEndian.AppendUint32(b, rx.extMax)
	b = binary.BigEndian.AppendUint32(b, rx.jt)
	b = binary.BigEndian.AppendUint32(b, s.lastSR)
	return binary.BigEndian.AppendUint32(b, dlsr)
}

// rtcpPeriod picks the time until the next report: the pool's interval
// scaled by a random factor in [0.5, 1.5) (RFC 3550 6.3.1), so that many
// legs started together do not report in step.
func rtcpPeriod(interval time.Duration) time.Duration {
	return time.Duration(float64(interval) * (0.5 + rand.Float64()))
}

// muxedRTCP takes an RTCP packet that arrived on the RTP socket when the
// phone multiplexes RTCP there, and reports whether it did (else the
// caller drops the packet as not RTP).
func (e *Endpoint) muxedRTCP(pkt []byte, src netip.AddrPort) bool {
	s := &e.rtcpState
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.mux {
		return false
	}
	e.receiveRTCPLocked(pkt, src, e.clock.Now())
	return true
}
