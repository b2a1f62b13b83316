package relay

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/gatepbx/gatepbx/media/srtp"
)

var rtpPayloadCases = []struct {
	name    string
	pkt     []byte
	ok      bool
	payload []byte
}{
	{"minimal", []byte{0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, true, []byte{}},
	{"with payload", []byte{0x80, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xde, 0xad}, true, []byte{0xde, 0xad}},
	{"one CSRC", []byte{0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 0xaa}, true, []byte{0xaa}},
	{"extension", []byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 0xbb}, true, []byte{0xbb}},
	{"padding", []byte{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xcc, 0, 0, 3}, true, []byte{0xcc}},
	{"empty", nil, false, nil},
	{"11 bytes", []byte{0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, false, nil},
	{"version 1", []byte{0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, false, nil},
	{"RTCP SR", []byte{0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0}, false, nil},
	{"payload type 72 without marker", []byte{0x80, 72, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, false, nil},
	{"RTCP APP", []byte{0x80, 204, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0}, false, nil},
	{"CSRC overrun", []byte{0x82, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9}, false, nil},
	{"extension header cut", []byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde}, false, nil},
	{"extension overrun", []byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 2, 1, 2, 3, 4}, false, nil},
	{"zero padding", []byte{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xcc, 0}, false, nil},
	{"padding overrun", []byte{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xcc, 9}, false, nil},
	{"padding in header", []byte{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, false, nil},
}

func TestRTPPayload(t *testing.T) {
	for _, c := range rtpPayloadCases {
		t.Run(c.name, func(t *testing.T) {
			payload, ok := rtpPayload(c.pkt)
			if ok != c.ok || !bytes.Equal(payload, c.payload) {
				t.Fatalf("rtpPayload = %x, %v; want %x, %v", payload, ok, c.payload, c.ok)
			}
		})
	}
}

func FuzzRTPPayload(f *testing.F) {
	for _, c := range rtpPayloadCases {
		f.Add(c.pkt)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		payload, ok := rtpPayload(pkt)
		if !ok {
			return
		}
		if len(pkt) < rtpHeaderSize || len(payload) > len(pkt)-rtpHeaderSize {
			t.Fatalf("payload of %d bytes from a %d-byte packet", len(payload), len(pkt))
		}
	})
}

// FuzzHandlePacket feeds arbitrary datagrams, from two alternating sources,
// through the whole per-packet path except the send, with a DTMF listener
// on. It must never panic, and whatever it forwards is valid RTP carrying
// the destination's SSRC.
func FuzzHandlePacket(f *testing.F) {
	for _, c := range rtpPayloadCases {
		f.Add(c.pkt, false)
	}
	f.Add(rtpPacket{pt: 101, seq: 1, ts: 1, ssrc: 2, payload: []byte{5, 0x8a, 1, 0}}.bytes(), true)
	f.Add(rtpPacket{pt: 101, seq: 1, ts: 1, ssrc: 2, payload: []byte{5}}.bytes(), false)
	pool := newTestPool(f, 2, nil)
	a := allocate(f, pool)
	b := allocate(f, pool)
	Bridge(a, b)
	b.SetRemote(netip.MustParseAddrPort("127.0.0.1:9"))
	a.SetDTMFListener(101, func(uint8, bool, uint16) {})
	srcs := [2]netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:5004"),
		netip.MustParseAddrPort("[::ffff:127.0.0.1]:5006"),
	}
	f.Fuzz(func(t *testing.T, pkt []byte, other bool) {
		src := srcs[0]
		if other {
			src = srcs[1]
		}
		peer, _, out, ok := a.prepare(pkt, src)
		if !ok {
			return
		}
		if peer != b {
			t.Fatalf("forwarded to %p, want b", peer)
		}
		got := parseRTP(t, out)
		if got.ssrc != b.SSRC() {
			t.Fatalf("SSRC %#x, want %#x", got.ssrc, b.SSRC())
		}
	})
}

// FuzzHandleSRTP feeds arbitrary datagrams through the SRTP per-packet
// path: A's phone speaks SRTP (A decrypts), and so does B's (B
// encrypts). It must never panic, and whatever it forwards must
// authenticate at B's phone as RTP with B's SSRC. Each input gets fresh
// SRTP contexts and latch, so the target stays deterministic.
func FuzzHandleSRTP(f *testing.F) {
	pool := newTestPool(f, 2, nil)
	a, b := allocate(f, pool), allocate(f, pool)
	Bridge(a, b)
	b.SetRemote(netip.MustParseAddrPort("127.0.0.1:9"))
	phoneKey := newSRTPKey(f, srtp.AESCM128HMACSHA1_80) // A's phone encrypts, A decrypts
	bKey := newSRTPKey(f, srtp.AESCM128HMACSHA1_32)     // B encrypts, B's phone decrypts
	phoneEnc, err := srtp.NewEncrypter(phoneKey)
	if err != nil {
		f.Fatal(err)
	}
	for i, p := range []rtpPacket{
		{seq: 1, ts: 160, ssrc: 0xa, payload: make([]byte, 160)},
		{pt: 101, seq: 2, ts: 320, ssrc: 0xa, payload: []byte{5, 0x8a, 1, 0}},
		{seq: 3, ts: 480, ssrc: 0xb, marker: true},
		{seq: 4, ts: 640, ssrc: 0xb, payload: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 3}},
	} {
		b := p.bytes()
		if i == 3 {
			b[0] |= 0x20 // padding
		}
		sealed, err := phoneEnc.Encrypt(make([]byte, 0, maxPacketSize), b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sealed, i == 2)
		f.Add(sealed[:len(sealed)-3], false)
	}
	for _, c := range rtpPayloadCases {
		f.Add(c.pkt, false)
	}
	srcs := [2]netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:5004"),
		netip.MustParseAddrPort("127.0.0.1:5006"),
	}
	plain := make([]byte, maxPacketSize)
	f.Fuzz(func(t *testing.T, pkt []byte, other bool) {
		if len(pkt) > maxPacketSize {
			return
		}
		in, err := srtp.NewDecrypter(phoneKey)
		if err != nil {
			t.Fatal(err)
		}
		out, err := srtp.NewEncrypter(bKey)
		if err != nil {
			t.Fatal(err)
		}
		phoneDec, err := srtp.NewDecrypter(bKey)
		if err != nil {
			t.Fatal(err)
		}
		a.SetSRTP(in, nil)
		b.SetSRTP(nil, out)
		a.ResetLatch()
		src := srcs[0]
		if other {
			src = srcs[1]
		}
		peer, _, sent, ok := a.prepare(pkt, src)
		if !ok {
			return
		}
		if peer != b {
			t.Fatalf("forwarded to %p, want b", peer)
		}
		got, err := phoneDec.Decrypt(plain, sent)
		if err != nil {
			t.Fatalf("B's phone cannot decrypt what B sent: %v", err)
		}
		if p := parseRTP(t, got); p.ssrc != b.SSRC() {
			t.Fatalf("SSRC %#x, want %#x", p.ssrc, b.SSRC())
		}
	})
}
