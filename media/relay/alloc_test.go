package relay

import (
	"encoding/binary"
	"net/netip"
	"testing"
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
	a, err := pool.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := pool.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
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
