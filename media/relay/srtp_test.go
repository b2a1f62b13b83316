package relay

import (
	"bytes"
	"testing"

	"github.com/gatepbx/gatepbx/media/srtp"
)

// srtpLeg is a leg whose phone speaks SRTP. The phone encrypts with
// phoneKey, which the endpoint decrypts with; the endpoint encrypts with
// its own key, which the phone decrypts with (as after an SDES exchange).
type srtpLeg struct {
	leg
	phoneEnc *srtp.Encrypter // the phone's sending context
	phoneDec *srtp.Decrypter // the phone's receiving context
	phoneKey srtp.Key
}

func newSRTPKey(t testing.TB, s srtp.Suite) srtp.Key {
	t.Helper()
	k, err := srtp.NewKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// makeSRTP turns l into an SRTP leg: fresh keys, contexts on both ends.
func makeSRTP(t testing.TB, l leg, s srtp.Suite) srtpLeg {
	t.Helper()
	phoneKey, endpointKey := newSRTPKey(t, s), newSRTPKey(t, s)
	in, err := srtp.NewDecrypter(phoneKey)
	if err != nil {
		t.Fatal(err)
	}
	out, err := srtp.NewEncrypter(endpointKey)
	if err != nil {
		t.Fatal(err)
	}
	l.ep.SetSRTP(in, out)
	phoneEnc, err := srtp.NewEncrypter(phoneKey)
	if err != nil {
		t.Fatal(err)
	}
	phoneDec, err := srtp.NewDecrypter(endpointKey)
	if err != nil {
		t.Fatal(err)
	}
	return srtpLeg{leg: l, phoneEnc: phoneEnc, phoneDec: phoneDec, phoneKey: phoneKey}
}

// seal encrypts p as the phone would.
func (l srtpLeg) seal(t testing.TB, p rtpPacket) []byte {
	t.Helper()
	b, err := l.phoneEnc.Encrypt(make([]byte, 0, maxPacketSize+srtp.MaxOverhead), p.bytes())
	if err != nil {
		t.Fatalf("phone encrypt: %v", err)
	}
	return b
}

// saySRTP sends p from the phone, SRTP-protected, and returns the bytes
// sent (for replaying them).
func (l srtpLeg) saySRTP(t testing.TB, p rtpPacket) []byte {
	t.Helper()
	b := l.seal(t, p)
	l.phone.send(l.ep.LocalAddr(), b)
	return b
}

// hearSRTP receives the next packet at the phone, checks it came from the
// endpoint and decrypts it.
func (l srtpLeg) hearSRTP(t testing.TB) rtpPacket {
	t.Helper()
	b, src := l.phone.recv()
	if src != l.ep.LocalAddr() {
		t.Fatalf("phone %v got a packet from %v, want %v", l.phone.addr, src, l.ep.LocalAddr())
	}
	plain, err := l.phoneDec.Decrypt(make([]byte, 0, maxPacketSize), b)
	if err != nil {
		t.Fatalf("phone decrypt of %d bytes: %v", len(b), err)
	}
	return parseRTP(t, plain)
}

func started(t *testing.T, eps ...*Endpoint) {
	t.Helper()
	for _, e := range eps {
		e.Start()
	}
}

func TestSRTPBridges(t *testing.T) {
	type side int
	const (
		plain side = iota
		srtp80
		srtp32
	)
	suites := map[side]srtp.Suite{srtp80: srtp.AESCM128HMACSHA1_80, srtp32: srtp.AESCM128HMACSHA1_32}
	cases := []struct {
		name string
		a, b side
	}{
		{"SRTP to RTP", srtp80, plain},
		{"RTP to SRTP", plain, srtp32},
		{"SRTP to SRTP, mixed suites", srtp80, srtp32},
		{"RTP to RTP", plain, plain},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pool := newTestPool(t, 4, nil)
			legs := [2]srtpLeg{{leg: newLeg(t, pool)}, {leg: newLeg(t, pool)}}
			for i, s := range []side{c.a, c.b} {
				if s != plain {
					legs[i] = makeSRTP(t, legs[i].leg, suites[s])
				}
			}
			Bridge(legs[0].ep, legs[1].ep)
			started(t, legs[0].ep, legs[1].ep)
			say := func(l srtpLeg, p rtpPacket) int {
				if l.phoneEnc != nil {
					return len(l.saySRTP(t, p))
				}
				l.say(p)
				return len(p.bytes())
			}
			hear := func(l srtpLeg) rtpPacket {
				if l.phoneDec != nil {
					return l.hearSRTP(t)
				}
				return l.hear()
			}
			var wire [2]uint64
			for i := range 4 {
				for dir := range 2 {
					from, to := legs[dir], legs[1-dir]
					sent := rtpPacket{pt: 8, seq: uint16(60000 + i), ts: uint32(160 * i), ssrc: 0xa0 + uint32(dir),
						payload: []byte{'p', byte(i), byte(dir)}}
					wire[dir] += uint64(say(from, sent))
					got := hear(to)
					if !bytes.Equal(got.payload, sent.payload) || got.seq != sent.seq || got.ts != sent.ts || got.pt != 8 {
						t.Fatalf("leg %d→%d packet %d: got %+v, want %+v", dir, 1-dir, i, got, sent)
					}
					if got.ssrc != to.ep.SSRC() {
						t.Fatalf("SSRC %#x, want %#x", got.ssrc, to.ep.SSRC())
					}
				}
			}
			for i, l := range legs {
				// The sender counts a packet after the send returns,
				// possibly after the phone heard it.
				waitFor(t, "TX count", func() bool { return l.ep.Stats().TxPackets >= 4 })
				s := l.ep.Stats()
				if s.RxPackets != 4 || s.TxPackets != 4 || s.Dropped != 0 || s.RxBytes != wire[i] {
					t.Errorf("leg %d stats %+v, want 4 in (%d bytes), 4 out, none dropped", i, s, wire[i])
				}
			}
		})
	}
}

// TestSRTPDropsReplaysAndForgeries: a replayed packet, a packet with a bad
// tag and a plain RTP packet are dropped and counted; none of them reaches
// B; the stream carries on.
func TestSRTPDropsReplaysAndForgeries(t *testing.T) {
	pool := newTestPool(t, 4, nil)
	a := makeSRTP(t, newLeg(t, pool), srtp.AESCM128HMACSHA1_80)
	b := newLeg(t, pool)
	Bridge(a.ep, b.ep)
	started(t, a.ep, b.ep)

	first := a.saySRTP(t, rtpPacket{seq: 1, ssrc: 0xa, payload: []byte("one")})
	if got := b.hear(); string(got.payload) != "one" {
		t.Fatalf("B heard %q", got.payload)
	}
	a.phone.send(a.ep.LocalAddr(), first) // replay
	waitDropped(t, a.ep, 1)

	forged := a.seal(t, rtpPacket{seq: 2, ssrc: 0xa, payload: []byte("two")})
	forged[len(forged)-1] ^= 0x80 // bad tag
	a.phone.send(a.ep.LocalAddr(), forged)
	waitDropped(t, a.ep, 2)

	a.say(rtpPacket{seq: 3, ssrc: 0xa, payload: []byte("plain RTP from the phone")})
	waitDropped(t, a.ep, 3)

	rtcp := append([]byte{0x81, 201, 0, 7}, make([]byte, 28)...)
	a.phone.send(a.ep.LocalAddr(), rtcp)
	waitDropped(t, a.ep, 4)

	a.saySRTP(t, rtpPacket{seq: 2, ssrc: 0xa, payload: []byte("two")}) // the genuine seq 2
	if got := b.hear(); string(got.payload) != "two" {
		t.Fatalf("B heard %q, want two (replay and forgeries must be dropped)", got.payload)
	}
	b.phone.expectNothing()
	s := a.ep.Stats()
	if s.SRTPReplayed != 1 || s.SRTPAuthFailed != 2 || s.RxPackets != 2 || s.Dropped != 4 {
		t.Fatalf("stats %+v, want 1 replayed, 2 auth failures (bad tag, plain RTP), 2 received, 4 dropped", s)
	}
}

// TestSRTPForgeriesDoNotMoveLatch: with SRTP only authenticated packets
// count towards re-latching, so an attacker without the key cannot take
// the stream over; the phone moving (same key, new address) still can.
func TestSRTPForgeriesDoNotMoveLatch(t *testing.T) {
	pool := newTestPool(t, 4, nil)
	a := makeSRTP(t, newLeg(t, pool), srtp.AESCM128HMACSHA1_32)
	b := newLeg(t, pool)
	Bridge(a.ep, b.ep)
	started(t, a.ep, b.ep)
	a.saySRTP(t, rtpPacket{seq: 1, ssrc: 0xa, payload: []byte("hello")})
	b.hear()

	attacker := newPhone(t)
	for i := range 2 * relatchAfter {
		junk := rtpPacket{seq: uint16(100 + i), ssrc: 0xa, payload: make([]byte, 40)}.bytes()
		attacker.send(a.ep.LocalAddr(), junk)
		waitDropped(t, a.ep, uint64(i+1))
	}
	if got := a.ep.Remote(); got != a.phone.addr {
		t.Fatalf("forged packets moved the latch to %v", got)
	}
	if got := a.ep.Stats().SRTPAuthFailed; got != 2*relatchAfter {
		t.Fatalf("SRTPAuthFailed = %d", got)
	}

	// The phone moves (NAT rebinding): authenticated packets from its new
	// address take over after relatchAfter of them.
	moved := newPhone(t)
	for i := range relatchAfter {
		moved.send(a.ep.LocalAddr(), a.seal(t, rtpPacket{seq: uint16(2 + i), ssrc: 0xa, payload: []byte{byte(i)}}))
		if i < relatchAfter-1 {
			waitDropped(t, a.ep, uint64(2*relatchAfter+i+1))
		}
	}
	if got := b.hear(); got.payload[0] != relatchAfter-1 {
		t.Fatalf("B heard %v, want the packet that moved the latch", got.payload)
	}
	if got := a.ep.Remote(); got != moved.addr {
		t.Fatalf("Remote = %v, want %v", got, moved.addr)
	}
}

// TestSetSRTPWhileFlowing switches a running plain bridge to SRTP and back.
func TestSetSRTPWhileFlowing(t *testing.T) {
	_, a, b := bridged(t)
	a.say(rtpPacket{seq: 1, ssrc: 0xa, payload: []byte("plain")})
	if got := b.hear(); string(got.payload) != "plain" {
		t.Fatalf("B heard %q", got.payload)
	}
	sa := makeSRTP(t, a, srtp.AESCM128HMACSHA1_80) // after Start
	sa.saySRTP(t, rtpPacket{seq: 2, ssrc: 0xa, payload: []byte("secure")})
	if got := b.hear(); string(got.payload) != "secure" {
		t.Fatalf("B heard %q", got.payload)
	}
	b.say(rtpPacket{seq: 1, ssrc: 0xb, payload: []byte("back")})
	if got := sa.hearSRTP(t); string(got.payload) != "back" {
		t.Fatalf("A's phone heard %q", got.payload)
	}
	a.ep.SetSRTP(nil, nil)
	a.say(rtpPacket{seq: 3, ssrc: 0xa, payload: []byte("plain again")})
	if got := b.hear(); string(got.payload) != "plain again" {
		t.Fatalf("B heard %q", got.payload)
	}
	b.say(rtpPacket{seq: 2, ssrc: 0xb, payload: []byte("clear")})
	if got := a.hear(); string(got.payload) != "clear" {
		t.Fatalf("A's phone heard %q", got.payload)
	}
}

func TestWritePacketSRTP(t *testing.T) {
	pool := newTestPool(t, 2, nil)
	a := makeSRTP(t, newLeg(t, pool), srtp.AESCM128HMACSHA1_80)
	for i := range 3 {
		if err := a.ep.WritePacket(rtpPacket{seq: uint16(7 + i), ts: uint32(160 * i), ssrc: 0x77, payload: []byte{byte(i), 'w'}}.bytes()); err != nil {
			t.Fatalf("WritePacket: %v", err)
		}
		got := a.hearSRTP(t)
		if got.ssrc != a.ep.SSRC() || got.seq != uint16(7+i) || !bytes.Equal(got.payload, []byte{byte(i), 'w'}) {
			t.Fatalf("packet %d: %+v", i, got)
		}
	}
	if s := a.ep.Stats(); s.TxPackets != 3 || s.TxBytes != 3*(12+2+10) {
		t.Fatalf("stats %+v", s)
	}
}
