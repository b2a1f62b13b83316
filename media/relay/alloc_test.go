package relay

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/gatepbx/gatepbx/media/srtp"
)

// hotPath is a bridged pair whose readers are not started, so tests and
// benchmarks can drive A's per-packet function directly. B's remote is a
// sink socket nobody reads (the kernel drops what overflows it).
type hotPath struct {
	a, b *Endpoint
	src  netip.AddrPort // A's phone
	sink *phone
}

func newHotPath(t testing.TB) *hotPath {
	t.Helper()
	pool := newTestPool(t, 2, nil)
	a := allocate(t, pool)
	b := allocate(t, pool)
	sink := newPhone(t)
	a.SetRemote(sink.addr)
	b.SetRemote(sink.addr)
	Bridge(a, b)
	return &hotPath{a: a, b: b, src: netip.MustParseAddrPort("127.0.0.1:40000"), sink: sink}
}

// packetSource turns a template into a stream: each next() copies it into
// the reusable buf and advances seq and ts, as a phone would.
type packetSource struct {
	tmpl []byte
	buf  []byte
	seq  uint16
	ts   uint32
}

func newPacketSource(p rtpPacket) *packetSource {
	t := p.bytes()
	return &packetSource{tmpl: t, buf: make([]byte, len(t)), seq: p.seq, ts: p.ts}
}

func (s *packetSource) next() []byte {
	copy(s.buf, s.tmpl)
	s.seq++
	s.ts += 160
	binary.BigEndian.PutUint16(s.buf[2:], s.seq)
	binary.BigEndian.PutUint32(s.buf[4:], s.ts)
	return s.buf
}

func TestPerPacketPathDoesNotAllocate(t *testing.T) {
	audio := rtpPacket{pt: 0, seq: 1, ts: 0, ssrc: 0xa, payload: make([]byte, 160)}
	dtmf := rtpPacket{pt: 101, seq: 1, ts: 0, ssrc: 0xa, payload: []byte{5, 0x8a, 0, 160}}
	cases := []struct {
		name     string
		pkt      rtpPacket
		listener bool
		wantTx   bool // B's socket sent every packet
		run      func(h *hotPath, pkt []byte)
	}{
		{"handlePacket audio", audio, false, true, func(h *hotPath, pkt []byte) { h.a.handlePacket(pkt, h.src) }},
		{"handlePacket audio, DTMF listener on", audio, true, true, func(h *hotPath, pkt []byte) { h.a.handlePacket(pkt, h.src) }},
		{"handlePacket telephone-event", dtmf, true, true, func(h *hotPath, pkt []byte) { h.a.handlePacket(pkt, h.src) }},
		{"handlePacket junk", rtpPacket{}, false, false, func(h *hotPath, pkt []byte) { h.a.handlePacket(pkt[:5], h.src) }},
		{"handlePacket IPv4-mapped source", audio, false, true, func(h *hotPath, pkt []byte) {
			h.a.handlePacket(pkt, netip.AddrPortFrom(netip.AddrFrom16(h.src.Addr().As16()), h.src.Port()))
		}},
		{"prepare", audio, false, false, func(h *hotPath, pkt []byte) { h.a.prepare(pkt, h.src) }},
		{"WritePacket", audio, false, false, func(h *hotPath, pkt []byte) { h.a.WritePacket(pkt) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHotPath(t)
			if c.listener {
				h.a.SetDTMFListener(101, func(uint8, bool, uint16) {})
			}
			src := newPacketSource(c.pkt)
			// The first packet latches the source (one allocation, once
			// per source); AllocsPerRun's warm-up run covers it.
			allocs := testing.AllocsPerRun(500, func() { c.run(h, src.next()) })
			if allocs != 0 {
				t.Fatalf("%v allocations per packet, want 0", allocs)
			}
			if got := h.b.Stats().TxPackets; c.wantTx && got != 501 {
				t.Fatalf("B sent %d packets, want 501", got)
			}
		})
	}
}

// srtpHotPath is a hotPath whose phones may speak SRTP: A's phone sends
// SRTP when in is set (A decrypts), B's phone receives SRTP when out is set
// (B encrypts what A's reader relays).
type srtpHotPath struct {
	*hotPath
	gen      *packetSource
	phoneEnc *srtp.Encrypter // A's phone; nil when A's leg is plain
	sealed   [][]byte
}

func newSRTPHotPath(t testing.TB, in, out bool) *srtpHotPath {
	t.Helper()
	h := &srtpHotPath{hotPath: newHotPath(t), gen: newPacketSource(rtpPacket{seq: 1, ssrc: 0xa, payload: make([]byte, 160)})}
	if in {
		h.phoneEnc = makeSRTP(t, leg{ep: h.a}, srtp.AESCM128HMACSHA1_80).phoneEnc
	}
	if out {
		makeSRTP(t, leg{ep: h.b}, srtp.AESCM128HMACSHA1_80)
	}
	return h
}

// packets returns the next n packets of A's phone, each in its own buffer
// (SRTP packets cannot be regenerated in place: each needs a fresh
// sequence number and its own encryption, done here, outside any
// measurement).
func (h *srtpHotPath) packets(t testing.TB, n int) [][]byte {
	t.Helper()
	if len(h.sealed) < n {
		h.sealed = make([][]byte, n)
		for i := range h.sealed {
			h.sealed[i] = make([]byte, 0, maxPacketSize+srtp.MaxOverhead)
		}
	}
	for i := range n {
		plain := h.gen.next()
		if h.phoneEnc == nil {
			h.sealed[i] = append(h.sealed[i][:0], plain...)
			continue
		}
		b, err := h.phoneEnc.Encrypt(h.sealed[i][:0], plain)
		if err != nil {
			t.Fatal(err)
		}
		h.sealed[i] = b
	}
	return h.sealed[:n]
}

// TestSRTPPathAllocations pins the allocations of SRTP legs: plain RTP
// legs allocate nothing, and each SRTP operation costs what pion/srtp/v2
// allocates inside (4 small objects for AES-CM/HMAC-SHA1: two 16-byte
// counter blocks, the HMAC sum and the rollover-counter bytes), nothing
// of ours.
func TestSRTPPathAllocations(t *testing.T) {
	const perOperation = 4
	cases := []struct {
		name    string
		in, out bool
		want    float64
	}{
		{"RTP to RTP", false, false, 0},
		{"SRTP to RTP", true, false, perOperation},
		{"RTP to SRTP", false, true, perOperation},
		{"SRTP to SRTP", true, true, 2 * perOperation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newSRTPHotPath(t, c.in, c.out)
			h.a.handlePacket(h.packets(t, 1)[0], h.src) // latch and first SSRC outside the measurement
			const runs = 500
			pkts := h.packets(t, runs+1)
			next := 0
			allocs := testing.AllocsPerRun(runs, func() {
				h.a.handlePacket(pkts[next], h.src)
				next++
			})
			if allocs > c.want {
				t.Fatalf("%v allocations per packet, want at most %v", allocs, c.want)
			}
			t.Logf("%v allocations per packet", allocs)
			if s := h.b.Stats(); s.TxPackets != runs+2 {
				t.Fatalf("B sent %d packets, want %d (stats %+v, A %+v)", s.TxPackets, runs+2, s, h.a.Stats())
			}
		})
	}
}
