package relay

import (
	"net/netip"
	"testing"

	"github.com/gatepbx/gatepbx/media/srtp"
)

// fuzzLeg is a bridged pair for FuzzPacketPath whose A side takes the
// fuzzer's datagrams, and a way to make a genuine packet from A's phone.
type fuzzLeg struct {
	a, b  *Endpoint
	phone *srtp.Encrypter // A's phone's SRTP context; nil on the plain pair
	gen   *packetSource
	buf   []byte
}

// genuine returns the next packet A's phone would send.
func (l *fuzzLeg) genuine(t testing.TB) []byte {
	pkt := l.gen.next()
	if l.phone == nil {
		return pkt
	}
	out, err := l.phone.Encrypt(l.buf[:0], pkt)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzPacketPath feeds arbitrary datagrams, from one of three sources,
// into the per-packet path of a plain pair with transcoding (a PCMU phone
// bridged to a PCMA phone) or of an SRTP pair (SRTP phone to SRTP phone).
// Whatever the datagram, the path must not panic, must either forward it
// or count exactly one drop, and must not stall: a genuine packet from the
// phone's latched address is still forwarded afterwards. The seed corpus
// (here and under testdata/fuzz) covers truncated and malformed RTP, wrong
// versions, RTCP on the RTP port, unknown payload types, forged and
// replayed SRTP.
func FuzzPacketPath(f *testing.F) {
	pool := newTestPool(f, 4, nil)
	sink := newPhone(f)
	newPair := func() (a, b *Endpoint) {
		var eps [2]*Endpoint
		for i := range eps {
			e := allocate(f, pool)
			e.SetRemote(sink.addr)
			eps[i] = e
		}
		Bridge(eps[0], eps[1])
		return eps[0], eps[1]
	}
	plain := &fuzzLeg{gen: newPacketSource(rtpPacket{seq: 1000, ssrc: 0xa, payload: ulawFrame()})}
	plain.a, plain.b = newPair()
	plain.a.SetCodec(pcmuLeg)
	plain.b.SetCodec(pcmaLeg)

	secure := &fuzzLeg{gen: newPacketSource(rtpPacket{seq: 1000, ssrc: 0xa, payload: make([]byte, 160)}), buf: make([]byte, 0, sealedBufferSize)}
	secure.a, secure.b = newPair()
	secure.phone = makeSRTP(f, leg{ep: secure.a}, srtp.AESCM128HMACSHA1_80).phoneEnc
	makeSRTP(f, leg{ep: secure.b}, srtp.AESCM128HMACSHA1_32)

	for _, c := range rtpPayloadCases {
		f.Add(c.pkt, uint8(0), false)
		f.Add(c.pkt, uint8(1), true)
	}
	for _, p := range []rtpPacket{
		{pt: 0, seq: 1, ts: 160, ssrc: 0xa, payload: ulawFrame()},
		{pt: 101, seq: 2, ts: 320, ssrc: 0xa, payload: []byte{5, 0x8a, 1, 0}},
		{pt: 18, seq: 3, ts: 480, ssrc: 0xa, payload: []byte{1, 2}}, // not negotiated
		{pt: 8, seq: 4, ts: 640, ssrc: 0xb, marker: true, payload: alawFrame()},
	} {
		f.Add(p.bytes(), uint8(2), false)
		// Genuine SRTP made now: the first use passes, later uses are
		// replays.
		sealed := append([]byte(nil), secure.genuine(f)...)
		f.Add(sealed, uint8(0), true)
		f.Add(sealed[:len(sealed)-1], uint8(0), true)
	}
	f.Add(receiverReport(1), uint8(0), false)

	srcs := [3]netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:5004"),
		netip.MustParseAddrPort("[::ffff:127.0.0.1]:5006"),
		netip.MustParseAddrPort("127.0.0.2:5004"),
	}
	f.Fuzz(func(t *testing.T, pkt []byte, src uint8, isSecure bool) {
		l := plain
		if isSecure {
			l = secure
		}
		if len(pkt) > maxPacketSize {
			pkt = pkt[:maxPacketSize]
		}
		pkt = append([]byte(nil), pkt...) // the path rewrites in place
		before := l.a.Stats()
		_, _, _, ok := l.a.prepare(pkt, srcs[int(src)%len(srcs)])
		after := l.a.Stats()
		if ok == (after.Dropped == before.Dropped+1) || after.Dropped > before.Dropped+1 {
			t.Fatalf("forwarded %v, Dropped %d → %d", ok, before.Dropped, after.Dropped)
		}
		// Not stalled: a genuine packet from the latched address passes.
		from := srcs[0]
		if p := l.a.latched.Load(); p != nil {
			from = *p
		}
		if _, _, _, ok := l.a.prepare(l.genuine(t), from); !ok {
			t.Fatalf("a genuine packet from %v was dropped after the input (stats %+v)", from, l.a.Stats())
		}
	})
}
