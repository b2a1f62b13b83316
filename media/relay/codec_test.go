package relay

import (
	"bytes"
	"math"
	"testing"

	"github.com/gatepbx/gatepbx/media/g711"
)

var (
	pcmuLeg = Codec{PT: 0, Encoding: PCMU, EventPT: 101}
	pcmaLeg = Codec{PT: 8, Encoding: PCMA, EventPT: 96}
)

// tone returns 160 samples (20 ms at 8 kHz) of a 1 kHz sine.
func tone() []int16 {
	s := make([]int16, 160)
	for i := range s {
		s[i] = int16(12000 * math.Sin(2*math.Pi*1000*float64(i)/8000))
	}
	return s
}

func ulawFrame() []byte {
	b := make([]byte, 160)
	g711.EncodeUlaw(b, tone())
	return b
}

func alawFrame() []byte {
	b := make([]byte, 160)
	g711.EncodeAlaw(b, tone())
	return b
}

func convert(f func(dst, src []byte) int, src []byte) []byte {
	dst := make([]byte, len(src))
	f(dst, src)
	return dst
}

func TestTranscode(t *testing.T) {
	ulaw, alaw := ulawFrame(), alawFrame()
	event := []byte{5, 0x0a, 0, 160}
	cn := []byte{40}
	other := Codec{PT: 9, Encoding: EncodingOther, EventPT: 101}
	cases := []struct {
		name        string
		in, out     *Codec
		pt          uint8
		payload     []byte
		ok          bool
		wantPT      uint8
		wantPayload []byte
	}{
		{"no codecs", nil, nil, 0, ulaw, true, 0, ulaw},
		{"out unknown", &pcmuLeg, nil, 0, ulaw, true, 0, ulaw},
		{"PCMU to PCMA", &pcmuLeg, &pcmaLeg, 0, ulaw, true, 8, convert(g711.UlawToAlaw, ulaw)},
		{"PCMA to PCMU", &pcmaLeg, &pcmuLeg, 8, alaw, true, 0, convert(g711.AlawToUlaw, alaw)},
		{"same law", &pcmuLeg, &pcmuLeg, 0, ulaw, true, 0, ulaw},
		{"dynamic PT renumbered", &Codec{PT: 110, Encoding: PCMU}, &pcmuLeg, 110, ulaw, true, 0, ulaw},
		{"static PCMA from a PCMU phone", &pcmuLeg, &pcmuLeg, 8, alaw, true, 0, convert(g711.AlawToUlaw, alaw)},
		{"in unknown, static PT", nil, &pcmaLeg, 0, ulaw, true, 8, convert(g711.UlawToAlaw, ulaw)},
		{"event renumbered", &pcmuLeg, &pcmaLeg, 101, event, true, 96, event},
		{"event to a phone without events", &pcmuLeg, &Codec{PT: 8, Encoding: PCMA}, 101, event, false, 101, event},
		{"comfort noise passes", &pcmuLeg, &pcmaLeg, 13, cn, true, 13, cn},
		{"other codec passes", &other, &pcmaLeg, 9, []byte{1, 2}, true, 9, []byte{1, 2}},
		{"G.711 to another codec passes", &pcmuLeg, &other, 0, ulaw, true, 0, ulaw},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkt := rtpPacket{pt: c.pt, marker: true, seq: 1, ssrc: 1, payload: c.payload}.bytes()
			payload, _ := rtpPayload(pkt)
			ok := transcode(c.in, c.out, pkt, payload)
			got := parseRTP(t, pkt)
			if ok != c.ok {
				t.Fatalf("transcode = %v, want %v", ok, c.ok)
			}
			if !ok {
				return
			}
			if got.pt != c.wantPT || !got.marker || !bytes.Equal(got.payload, c.wantPayload) {
				t.Fatalf("got PT %d marker %v payload %x, want PT %d marker and %x", got.pt, got.marker, got.payload[:4], c.wantPT, c.wantPayload[:min(4, len(c.wantPayload))])
			}
		})
	}
}

// TestPCMUPhoneTalksToPCMAPhone relays between a PCMU phone and a PCMA
// phone over loopback sockets: audio is converted both ways, telephone
// events are renumbered, and payload types neither phone negotiated are
// dropped and counted.
func TestPCMUPhoneTalksToPCMAPhone(t *testing.T) {
	_, a, b := bridged(t)
	a.ep.SetCodec(pcmuLeg)
	b.ep.SetCodec(pcmaLeg)
	ulaw, alaw := ulawFrame(), alawFrame()

	a.say(rtpPacket{pt: 0, seq: 1, ts: 160, ssrc: 0xa, payload: ulaw})
	if got := b.hear(); got.pt != 8 || !bytes.Equal(got.payload, convert(g711.UlawToAlaw, ulaw)) {
		t.Fatalf("PCMA phone heard PT %d, want 8 with A-law audio", got.pt)
	}
	b.say(rtpPacket{pt: 8, seq: 1, ts: 160, ssrc: 0xb, payload: alaw})
	if got := a.hear(); got.pt != 0 || !bytes.Equal(got.payload, convert(g711.AlawToUlaw, alaw)) {
		t.Fatalf("PCMU phone heard PT %d, want 0 with µ-law audio", got.pt)
	}
	// Payload types nobody negotiated are dropped, then an event passes
	// renumbered.
	a.say(rtpPacket{pt: 18, seq: 2, ts: 320, ssrc: 0xa, payload: []byte{1, 2}})
	a.say(rtpPacket{pt: 96, seq: 3, ts: 320, ssrc: 0xa, payload: []byte{1, 2, 3, 4}}) // B's event PT, not A's
	a.say(rtpPacket{pt: 101, seq: 4, ts: 480, ssrc: 0xa, payload: []byte{7, 0x8a, 1, 64}})
	if got := b.hear(); got.pt != 96 || !bytes.Equal(got.payload, []byte{7, 0x8a, 1, 64}) {
		t.Fatalf("PCMA phone heard PT %d %x, want the event as PT 96", got.pt, got.payload)
	}
	if s := a.ep.Stats(); s.UnknownPT != 2 || s.Dropped != 2 || s.RxPackets != 2 {
		t.Fatalf("A stats %+v, want 2 unknown payload types dropped and 2 packets received", s)
	}
}

// TestTranscodeDoesNotAllocate is the AllocsPerRun check of the per-packet
// path with PCMU↔PCMA conversion on.
func TestTranscodeDoesNotAllocate(t *testing.T) {
	h := newHotPath(t)
	h.a.SetCodec(pcmuLeg)
	h.b.SetCodec(pcmaLeg)
	src := newPacketSource(rtpPacket{pt: 0, seq: 1, ssrc: 0xa, payload: ulawFrame()})
	allocs := testing.AllocsPerRun(500, func() { h.a.handlePacket(src.next(), h.src) })
	if allocs != 0 {
		t.Fatalf("%v allocations per packet, want 0", allocs)
	}
	if got := h.b.Stats().TxPackets; got != 501 {
		t.Fatalf("B sent %d packets, want 501", got)
	}
}

// BenchmarkTranscode measures PCMU→PCMA on one 20 ms frame: "transcode" is
// the conversion alone (160 bytes and the payload type), "prepare" the
// relay's whole per-packet path without the send, with transcoding.
func BenchmarkTranscode(b *testing.B) {
	b.Run("transcode", func(b *testing.B) {
		pkt := rtpPacket{pt: 0, seq: 1, ssrc: 1, payload: ulawFrame()}.bytes()
		payload, _ := rtpPayload(pkt)
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			pkt[1] = 0
			transcode(&pcmuLeg, &pcmaLeg, pkt, payload)
		}
	})
	b.Run("prepare", func(b *testing.B) {
		h := newHotPath(b)
		h.a.SetCodec(pcmuLeg)
		h.b.SetCodec(pcmaLeg)
		src := newPacketSource(rtpPacket{pt: 0, seq: 1, ssrc: 0xa, payload: ulawFrame()})
		h.a.prepare(src.next(), h.src)
		b.ReportAllocs()
		for b.Loop() {
			h.a.prepare(src.next(), h.src)
		}
	})
}
