package relay

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/srtp"
)

// rtcpPart is one packet of a compound RTCP packet.
type rtcpPart struct {
	pt    byte
	count int
	body  []byte // after the 4-byte header
}

func parseCompound(t testing.TB, b []byte) []rtcpPart {
	t.Helper()
	if err := checkCompound(b); err != nil {
		t.Fatalf("not a valid compound RTCP packet: % x", b)
	}
	var parts []rtcpPart
	for off := 0; off < len(b); {
		n := 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
		parts = append(parts, rtcpPart{pt: b[off+1], count: int(b[off] & 0x1f), body: b[off+4 : off+n]})
		off += n
	}
	return parts
}

// reportBlock is an RFC 3550 report block, decoded.
type reportBlock struct {
	ssrc     uint32
	fraction uint8
	lost     int32
	extMax   uint32
	jitter   uint32
	lsr      uint32
	dlsr     uint32
}

func (r reportBlock) bytes() []byte {
	b := binary.BigEndian.AppendUint32(nil, r.ssrc)
	b = binary.BigEndian.AppendUint32(b, uint32(r.fraction)<<24|uint32(r.lost)&0xffffff)
	b = binary.BigEndian.AppendUint32(b, r.extMax)
	b = binary.BigEndian.AppendUint32(b, r.jitter)
	b = binary.BigEndian.AppendUint32(b, r.lsr)
	return binary.BigEndian.AppendUint32(b, r.dlsr)
}

func parseBlock(b []byte) reportBlock {
	return reportBlock{
		ssrc:     binary.BigEndian.Uint32(b),
		fraction: b[4],
		lost:     int32(binary.BigEndian.Uint32(b[4:])<<8) >> 8,
		extMax:   binary.BigEndian.Uint32(b[8:]),
		jitter:   binary.BigEndian.Uint32(b[12:]),
		lsr:      binary.BigEndian.Uint32(b[16:]),
		dlsr:     binary.BigEndian.Uint32(b[20:]),
	}
}

// receiverReport builds an RR from ssrc with the given blocks, as a phone
// would send it.
func receiverReport(ssrc uint32, blocks ...reportBlock) []byte {
	b := appendRTCPHeader(nil, len(blocks), rtcpRR, 1+6*len(blocks))
	b = binary.BigEndian.AppendUint32(b, ssrc)
	for _, r := range blocks {
		b = append(b, r.bytes()...)
	}
	return b
}

// senderReport builds a bare SR from ssrc sent at ntp.
func senderReport(ssrc uint32, ntp uint64) []byte {
	b := appendRTCPHeader(nil, 0, rtcpSR, 6)
	b = binary.BigEndian.AppendUint32(b, ssrc)
	b = binary.BigEndian.AppendUint64(b, ntp)
	return append(b, make([]byte, 12)...)
}

var compoundCases = []struct {
	name string
	pkt  []byte
	ok   bool
}{
	{"RR", receiverReport(1), true},
	{"RR with a block", receiverReport(1, reportBlock{ssrc: 2}), true},
	{"SR and RR", append(senderReport(1, 5), receiverReport(1)...), true},
	{"padding on the last", []byte{0xa1, 201, 0, 1, 0, 0, 0, 1}, true},
	{"empty", nil, false},
	{"header only", []byte{0x80, 201, 0, 0}, false},
	{"version 1", []byte{0x41, 201, 0, 1, 0, 0, 0, 1}, false},
	{"RTP payload type", []byte{0x80, 0, 0, 1, 0, 0, 0, 1}, false},
	{"length overrun", []byte{0x81, 201, 0, 7, 0, 0, 0, 1}, false},
	{"trailing bytes", []byte{0x80, 201, 0, 1, 0, 0, 0, 1, 0x80}, false},
	{"padding not last", append([]byte{0xa0, 201, 0, 1, 0, 0, 0, 1}, receiverReport(1)...), false},
}

func TestCheckCompound(t *testing.T) {
	for _, c := range compoundCases {
		t.Run(c.name, func(t *testing.T) {
			if err := checkCompound(c.pkt); (err == nil) != c.ok {
				t.Fatalf("checkCompound = %v, want ok %v", err, c.ok)
			}
		})
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestReportsFromCounters drives the packet path on a fake clock and checks
// the reports both endpoints would send: A received a stream with one
// packet missing (an RR with that loss), B sent it on (an SR with B's
// counters and the stream's timestamp).
func TestReportsFromCounters(t *testing.T) {
	clock := &fakeClock{now: t0}
	pool := newTestPool(t, 2, clock)
	a, b := newLeg(t, pool), newLeg(t, pool)
	Bridge(a.ep, b.ep)
	for i, seq := range []uint16{1, 2, 3, 5, 6} {
		// Past publishEvery each time, so every packet is published.
		clock.set(t0.Add(time.Duration(i) * 300 * time.Millisecond))
		a.ep.handlePacket(rtpPacket{seq: seq, ts: 160 * uint32(seq), ssrc: 0xa, payload: make([]byte, 160)}.bytes(), a.phone.addr)
	}
	now := t0.Add(2 * time.Second)
	build := func(e *Endpoint) []rtcpPart {
		e.rtcpState.mu.Lock()
		defer e.rtcpState.mu.Unlock()
		return parseCompound(t, e.buildReport(now))
	}

	rr := build(a.ep)
	if len(rr) != 2 || rr[0].pt != rtcpRR || rr[0].count != 1 || rr[1].pt != rtcpSDES {
		t.Fatalf("A's report: %+v, want RR with one block, SDES", rr)
	}
	if ssrc := binary.BigEndian.Uint32(rr[0].body); ssrc != a.ep.SSRC() {
		t.Fatalf("RR sender SSRC %#x, want %#x", ssrc, a.ep.SSRC())
	}
	block := parseBlock(rr[0].body[4:])
	want := reportBlock{ssrc: 0xa, fraction: 256 / 6, lost: 1, extMax: 6}
	if block.jitter == 0 {
		t.Error("jitter 0 with 300 ms arrival gaps for 20 ms of media")
	}
	block.jitter = 0
	if block != want {
		t.Fatalf("report block %+v, want %+v", block, want)
	}
	if cname := rr[1].body[4:]; cname[0] != sdesCNAME || int(cname[1]) > len(cname)-2 {
		t.Fatalf("SDES chunk % x has no CNAME", cname)
	}
	// The next report covers a new interval: nothing lost in it.
	rr = build(a.ep)
	if block = parseBlock(rr[0].body[4:]); block.fraction != 0 || block.lost != 1 {
		t.Fatalf("second report block %+v, want fraction 0, lost 1", block)
	}

	sr := build(b.ep)
	if len(sr) != 2 || sr[0].pt != rtcpSR || sr[0].count != 0 {
		t.Fatalf("B's report: %+v, want SR without blocks, SDES", sr)
	}
	info := sr[0].body
	if ssrc := binary.BigEndian.Uint32(info); ssrc != b.ep.SSRC() {
		t.Fatalf("SR SSRC %#x, want %#x", ssrc, b.ep.SSRC())
	}
	if ntp := binary.BigEndian.Uint64(info[4:]); ntp != ntpTime(now) {
		t.Fatalf("SR NTP %#x, want %#x", ntp, ntpTime(now))
	}
	// The last packet (ts 960) went out at t0+1.2s; 0.8 s later the
	// stream's clock is 6400 ticks further.
	if ts := binary.BigEndian.Uint32(info[12:]); ts != 960+6400 {
		t.Fatalf("SR RTP timestamp %d, want %d", ts, 960+6400)
	}
	if pkts, octets := binary.BigEndian.Uint32(info[16:]), binary.BigEndian.Uint32(info[20:]); pkts != 5 || octets != 5*160 {
		t.Fatalf("SR counts %d packets %d octets, want 5 and 800", pkts, octets)
	}
}

// TestRemoteReport feeds the far phone's reports into an endpoint: a report
// block about our stream is recorded with its round-trip time; malformed
// reports and reports from another address are dropped and counted.
func TestRemoteReport(t *testing.T) {
	clock := &fakeClock{now: t0}
	pool := newTestPool(t, 1, clock)
	a := newLeg(t, pool)
	if _, ok := a.ep.RemoteReport(); ok {
		t.Fatal("RemoteReport before any report")
	}
	// Our SR left at t0 (LSR); the phone held it 250 ms (DLSR) and its
	// RR arrives 500 ms after t0: RTT 250 ms.
	rr := receiverReport(0xa, reportBlock{ssrc: 0x1234}, reportBlock{
		ssrc: a.ep.SSRC(), fraction: 64, lost: 7, extMax: 99, jitter: 33,
		lsr: ntpMiddle(t0), dlsr: 1 << 16 / 4,
	})
	at := t0.Add(500 * time.Millisecond)
	a.ep.receiveRTCP(rr, a.phone.addr, at)
	got, ok := a.ep.RemoteReport()
	want := RemoteReport{At: at, FractionLost: 64, CumulativeLost: 7, Jitter: 33, RTT: 250 * time.Millisecond}
	if d := got.RTT - want.RTT; d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("RTT %v, want %v", got.RTT, want.RTT)
	}
	got.RTT = want.RTT
	if !ok || got != want {
		t.Fatalf("RemoteReport = %+v, %v; want %+v", got, ok, want)
	}

	a.ep.receiveRTCP([]byte{0x81, 201, 0, 9}, a.phone.addr, at)
	a.ep.receiveRTCP(rr, netip.MustParseAddrPort("127.0.0.2:5005"), at)
	// An SR is remembered for our next report's LSR/DLSR.
	sent := ntpTime(t0)
	a.ep.receiveRTCP(senderReport(0xa, sent), a.phone.addr, t0)
	if s := a.ep.Stats(); s.RTCPReceived != 2 || s.RTCPMalformed != 1 || s.RTCPDropped != 1 {
		t.Fatalf("stats %+v, want 2 received, 1 malformed, 1 dropped", s)
	}
	a.ep.handlePacket(rtpPacket{seq: 1, ssrc: 0xa}.bytes(), a.phone.addr)
	a.ep.rtcpState.mu.Lock()
	parts := parseCompound(t, a.ep.buildReport(t0.Add(time.Second)))
	a.ep.rtcpState.mu.Unlock()
	if block := parseBlock(parts[0].body[4:]); block.lsr != uint32(sent>>16) || block.dlsr != 1<<16 {
		t.Fatalf("block %+v, want LSR %#x DLSR %#x", block, uint32(sent>>16), 1<<16)
	}
}

// rtcpPhone is a phone's RTCP socket.
type rtcpPhone struct {
	*phone
	ep *Endpoint
}

func (p rtcpPhone) endpointRTCP() netip.AddrPort {
	return netip.AddrPortFrom(p.ep.LocalAddr().Addr(), uint16(p.ep.LocalPort()+1))
}

// nextReport waits for a report from the endpoint's RTCP port whose first
// packet is of type pt.
func (p rtcpPhone) nextReport(t *testing.T, pt byte, open func([]byte) []byte) []rtcpPart {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		b, src := p.recv()
		if src != p.endpointRTCP() {
			t.Fatalf("report from %v, want %v", src, p.endpointRTCP())
		}
		parts := parseCompound(t, open(b))
		if parts[0].pt == pt {
			return parts
		}
	}
	t.Fatalf("no report of type %d", pt)
	return nil
}

// TestReportsOverLoopback runs the RTCP goroutines on a short interval:
// once media flowed, each endpoint sends its reports to the phone's RTCP
// address. The packets are dated publishEvery apart on a fake clock so
// that the packet path publishes each one to the RTCP goroutine.
func TestReportsOverLoopback(t *testing.T) {
	lo, hi := freeRange(t, 4)
	clock := &fakeClock{now: t0}
	pool, err := NewPortPool(PortPoolOptions{BindAddr: loopback, Min: lo, Max: hi, Clock: clock, RTCPInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a, b := newLeg(t, pool), newLeg(t, pool)
	Bridge(a.ep, b.ep)
	started(t, a.ep, b.ep)
	rtcpA := rtcpPhone{newPhone(t), a.ep}
	// The phone's first RR tells the endpoint where its RTCP lives.
	rtcpA.send(rtcpA.endpointRTCP(), receiverReport(0xa))
	waitFor(t, "the phone's RR", func() bool { return a.ep.Stats().RTCPReceived == 1 })
	for seq := range uint16(3) {
		clock.set(t0.Add(time.Duration(seq) * time.Second))
		a.say(rtpPacket{seq: seq, ts: 160 * uint32(seq), ssrc: 0xa, payload: make([]byte, 160)})
		b.hear()
		b.say(rtpPacket{seq: seq, ts: 160 * uint32(seq), ssrc: 0xb, payload: make([]byte, 160)})
		a.hear()
	}
	parts := rtcpA.nextReport(t, rtcpSR, func(b []byte) []byte { return b })
	if ssrc := binary.BigEndian.Uint32(parts[0].body); ssrc != a.ep.SSRC() || parts[0].count != 1 {
		t.Fatalf("SR from SSRC %#x with %d blocks, want %#x with 1", ssrc, parts[0].count, a.ep.SSRC())
	}
	if block := parseBlock(parts[0].body[4+rtcpSenderInfo:]); block.ssrc != 0xa || block.extMax != 2 {
		t.Fatalf("report block %+v, want about SSRC 0xa up to seq 2", block)
	}
	waitFor(t, "reports counted", func() bool { return a.ep.Stats().RTCPSent > 0 })
}

// TestSRTCP protects one leg's RTCP: the phone's SRTCP reports are
// authenticated (forgeries, plain RTCP and replays dropped and counted),
// and ours reach the phone as SRTCP it can open.
func TestSRTCP(t *testing.T) {
	lo, hi := freeRange(t, 2)
	pool, err := NewPortPool(PortPoolOptions{BindAddr: loopback, Min: lo, Max: hi, RTCPInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	l := makeSRTP(t, newLeg(t, pool), srtp.AESCM128HMACSHA1_32)
	endpointKey := newSRTPKey(t, srtp.AESCM128HMACSHA1_32)
	if err := l.ep.SetSRTCP(l.phoneKey, endpointKey); err != nil {
		t.Fatal(err)
	}
	phoneOut, err := newSRTCPContext(l.phoneKey)
	if err != nil {
		t.Fatal(err)
	}
	phoneIn, err := newSRTCPContext(endpointKey)
	if err != nil {
		t.Fatal(err)
	}
	l.ep.Start()
	p := rtcpPhone{newPhone(t), l.ep}
	sealed, err := phoneOut.EncryptRTCP(nil, receiverReport(0xa), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.send(p.endpointRTCP(), sealed)
	waitFor(t, "the SRTCP report", func() bool { return l.ep.Stats().RTCPReceived == 1 })
	forged := append([]byte(nil), sealed...)
	forged[len(forged)-1] ^= 1
	for i, b := range [][]byte{sealed, forged, receiverReport(0xa)} {
		p.send(p.endpointRTCP(), b)
		waitFor(t, "drop count", func() bool { return l.ep.Stats().RTCPDropped == uint64(i+1) })
	}
	l.saySRTP(t, rtpPacket{seq: 1, ssrc: 0xa, payload: make([]byte, 160)})
	parts := p.nextReport(t, rtcpRR, func(b []byte) []byte {
		plain, err := phoneIn.DecryptRTCP(nil, b, nil)
		if err != nil {
			t.Fatalf("phone cannot open our SRTCP: %v", err)
		}
		return plain
	})
	if block := parseBlock(parts[0].body[4:]); block.ssrc != 0xa {
		t.Fatalf("report block %+v, want about SSRC 0xa", block)
	}
	if s := l.ep.Stats(); s.RTCPReceived != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestRTCPMux takes RTCP on the RTP port once the phone negotiated
// rtcp-mux, and sends our reports there.
func TestRTCPMux(t *testing.T) {
	_, a, _ := bridged(t)
	rr := receiverReport(0xa)
	a.phone.send(a.ep.LocalAddr(), rr)
	waitDropped(t, a.ep, 1) // without mux it is not RTP
	a.ep.SetRTCPMux(true)
	a.phone.send(a.ep.LocalAddr(), rr)
	waitFor(t, "muxed RTCP", func() bool { return a.ep.Stats().RTCPReceived == 1 })
	a.say(rtpPacket{seq: 1, ssrc: 0xa})
	waitFor(t, "RTP", func() bool { return a.ep.Stats().RxPackets == 1 })
	a.ep.sendReport(time.Now())
	b, src := a.phone.recv()
	if src != a.ep.LocalAddr() {
		t.Fatalf("report from %v, want the RTP port %v", src, a.ep.LocalAddr())
	}
	if parts := parseCompound(t, b); parts[0].pt != rtcpRR {
		t.Fatalf("got %+v, want an RR", parts)
	}
	if s := a.ep.Stats(); s.Dropped != 1 {
		t.Fatalf("Dropped = %d, want 1", s.Dropped)
	}
}

// FuzzReceiveRTCP feeds arbitrary datagrams to the RTCP path of a plain
// and an SRTCP endpoint, then has both build a report: never a panic, and
// whatever is accepted was a valid compound packet.
func FuzzReceiveRTCP(f *testing.F) {
	for _, c := range compoundCases {
		f.Add(c.pkt)
	}
	pool := newTestPool(f, 2, nil)
	plain := allocate(f, pool)
	secure := allocate(f, pool)
	key := newSRTPKey(f, srtp.AESCM128HMACSHA1_80)
	if err := secure.SetSRTCP(key, key); err != nil {
		f.Fatal(err)
	}
	sealer, err := newSRTCPContext(key)
	if err != nil {
		f.Fatal(err)
	}
	if b, err := sealer.EncryptRTCP(nil, receiverReport(1, reportBlock{ssrc: secure.SSRC(), lsr: 1}), nil); err == nil {
		f.Add(b)
	}
	src := newPhone(f).addr // our reports to the "phone" go to a socket of ours
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, e := range []*Endpoint{plain, secure} {
			before := e.Stats().RTCPReceived
			e.receiveRTCP(pkt, src, time.Now())
			if e == plain && e.Stats().RTCPReceived != before && checkCompound(pkt) != nil {
				t.Fatal("accepted an invalid compound packet")
			}
			e.sendReport(time.Now())
		}
	})
}
