package relay

import (
	"encoding/binary"
	"testing"
)

type rewriteStep struct {
	from    int // feeder index; -1 = WritePacket
	pkt     rtpPacket
	wantSeq uint16
	wantTS  uint32
	wantM   bool
}

func TestOutboundRewrite(t *testing.T) {
	feeders := []*Endpoint{{}, {}}
	const out = 0x51
	cases := []struct {
		name  string
		steps []rewriteStep
	}{
		{"first stream passes numbering through", []rewriteStep{
			{0, rtpPacket{seq: 10, ts: 1000, ssrc: 1}, 10, 1000, true},
			{0, rtpPacket{seq: 11, ts: 1160, ssrc: 1}, 11, 1160, false},
			{0, rtpPacket{seq: 12, ts: 1320, ssrc: 1, marker: true}, 12, 1320, true},
		}},
		{"new SSRC continues seq and ts", []rewriteStep{
			{0, rtpPacket{seq: 65535, ts: 4294967200, ssrc: 1}, 65535, 4294967200, true},
			{0, rtpPacket{seq: 0, ts: 64, ssrc: 1}, 0, 64, false},
			{0, rtpPacket{seq: 500, ts: 7, ssrc: 2}, 1, 224, true},
			{0, rtpPacket{seq: 501, ts: 167, ssrc: 2}, 2, 384, false},
		}},
		{"new feeder with the same SSRC", []rewriteStep{
			{0, rtpPacket{seq: 1, ts: 0, ssrc: 1}, 1, 0, true},
			{1, rtpPacket{seq: 900, ts: 90000, ssrc: 1}, 2, 160, true},
			{-1, rtpPacket{seq: 0, ts: 0, ssrc: 9}, 3, 320, true},
		}},
		{"learnt frame step (30 ms)", []rewriteStep{
			{0, rtpPacket{seq: 1, ts: 0, ssrc: 1}, 1, 0, true},
			{0, rtpPacket{seq: 2, ts: 240, ssrc: 1}, 2, 240, false},
			{1, rtpPacket{seq: 50, ts: 5000, ssrc: 3}, 3, 480, true},
		}},
		{"DTMF and talkspurt jumps are not frame steps", []rewriteStep{
			{0, rtpPacket{seq: 1, ts: 0, ssrc: 1}, 1, 0, true},
			{0, rtpPacket{seq: 2, ts: 160, ssrc: 1}, 2, 160, false},
			{0, rtpPacket{pt: 101, seq: 3, ts: 320, ssrc: 1}, 3, 320, false},
			{0, rtpPacket{seq: 4, ts: 2000, ssrc: 1}, 4, 2000, false},
			{0, rtpPacket{seq: 5, ts: 6000, ssrc: 1, marker: true}, 5, 6000, true},
			{1, rtpPacket{seq: 70, ts: 1, ssrc: 2}, 6, 6160, true},
		}},
		{"late packet does not rewind the switch point", []rewriteStep{
			{0, rtpPacket{seq: 10, ts: 1600, ssrc: 1}, 10, 1600, true},
			{0, rtpPacket{seq: 12, ts: 1920, ssrc: 1}, 12, 1920, false},
			{0, rtpPacket{seq: 11, ts: 1760, ssrc: 1}, 11, 1760, false},
			{1, rtpPacket{seq: 3, ts: 3, ssrc: 2}, 13, 2080, true},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := &outbound{ssrc: out}
			for i, s := range c.steps {
				var from *Endpoint
				if s.from >= 0 {
					from = feeders[s.from]
				}
				b := s.pkt.bytes()
				if !rewrite(o, b, from) {
					t.Fatalf("step %d: rewriter busy", i)
				}
				seq, ts := binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[4:])
				m := b[1]&0x80 != 0
				if seq != s.wantSeq || ts != s.wantTS || m != s.wantM || binary.BigEndian.Uint32(b[8:]) != out {
					t.Fatalf("step %d: seq %d ts %d marker %v ssrc %#x; want seq %d ts %d marker %v ssrc %#x",
						i, seq, ts, m, binary.BigEndian.Uint32(b[8:]), s.wantSeq, s.wantTS, s.wantM, out)
				}
				if b[1]&0x7f != s.pkt.pt {
					t.Fatalf("step %d: payload type changed to %d", i, b[1]&0x7f)
				}
			}
		})
	}
}

func TestOutboundBusyDropsInsteadOfWaiting(t *testing.T) {
	o := &outbound{ssrc: 1}
	o.busy.Store(true)
	b := rtpPacket{seq: 5, ssrc: 2}.bytes()
	orig := string(b)
	if rewrite(o, b, nil) {
		t.Fatal("rewrite succeeded while busy")
	}
	if string(b) != orig {
		t.Fatal("rewrite touched the packet while busy")
	}
}

// rewrite forwards b through o, which has no SRTP context, and reports
// whether it got the rewriter.
func rewrite(o *outbound, b []byte, from *Endpoint) bool {
	out, ok := o.forward(b, from, new([]byte), 0)
	if ok && &out[0] != &b[0] {
		panic("plain RTP forwarded from another buffer")
	}
	return ok
}
