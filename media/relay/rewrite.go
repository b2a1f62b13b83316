package relay

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/gatepbx/gatepbx/media/srtp"
)

const (
	// defaultTimestampStep is one 20 ms frame at 8 kHz, the timestamp gap
	// used across a source switch until a real frame step was observed.
	defaultTimestampStep = 160
	// maxTimestampStep bounds what counts as one frame step (120 ms at
	// 48 kHz is 5760); larger jumps are silence, not a frame.
	maxTimestampStep = 8000
)

// outbound is the header rewriter for packets leaving one endpoint towards
// its far phone. It makes the far phone see a single stream: one fixed SSRC
// and continuous sequence numbers and timestamps, whichever source feeds
// the endpoint and however often the source changes.
//
// When the far phone speaks SRTP, the outbound also holds the Encrypter
// for it: the SRTP context, like the header numbering, belongs to the
// stream the far phone sees, whoever feeds it.
//
// It lives on the destination endpoint and is touched only by the goroutine
// feeding that endpoint, guarded by busy (see the package doc). All fields
// but busy, ssrc and encrypter are owned by whoever holds busy; the
// Encrypter that encrypter points to is used only while holding busy.
type outbound struct {
	busy      atomic.Bool
	ssrc      uint32 // fixed at Allocate, read-only afterwards
	encrypter atomic.Pointer[srtp.Encrypter]
	// writeBuf receives WritePacket's SRTP packets; allocated on first
	// use, owned by whoever holds busy.
	writeBuf []byte
	// sending counts what was sent, for our RTCP sender reports.
	sending sending

	primed   bool
	feeder   *Endpoint // the endpoint whose reader fed the last packet; nil for WritePacket
	inSSRC   uint32    // SSRC of the current source stream
	inPT     uint8
	lastIn   uint16 // highest input sequence number seen from the current source
	lastInTS uint32
	seqOff   uint16
	tsOff    uint32
	lastSeq  uint16 // highest sequence number sent
	lastTS   uint32 // timestamp that went with lastSeq
	tsStep   uint32 // last observed per-frame timestamp step
}

// sealedBufferSize is the size of a buffer receiving SRTP packets: the
// largest RTP packet plus the largest SRTP overhead.
const sealedBufferSize = maxPacketSize + srtp.MaxOverhead

// forward prepares the valid RTP packet b, fed by from's reader, for the
// wire: it rewrites b's header in place (see rewriteHeader) and, when the
// endpoint sends SRTP, encrypts b into *sealed (allocated on first use; it
// belongs to the feeding goroutine). It returns the bytes to send: b
// itself, or the SRTP packet in *sealed. It reports false, leaving b
// untouched, when another goroutine holds the rewriter, and also when
// encryption fails.
func (o *outbound) forward(b []byte, from *Endpoint, sealed *[]byte, now int64) ([]byte, bool) {
	if !o.busy.CompareAndSwap(false, true) {
		return nil, false
	}
	out, err := o.seal(b, from, sealed, now)
	o.busy.Store(false)
	return out, err == nil
}

// seal is forward for a caller that already holds busy; now (UnixNano)
// dates the packet for our sender reports. When the endpoint sends SRTP,
// the returned slice is *sealed's storage.
func (o *outbound) seal(b []byte, from *Endpoint, sealed *[]byte, now int64) ([]byte, error) {
	o.rewriteHeader(b, from)
	o.sending.sent(binary.BigEndian.Uint32(b[4:]), len(b)-rtpHeaderSize-4*int(b[0]&0x0f), now)
	enc := o.encrypter.Load()
	if enc == nil {
		return b, nil
	}
	if *sealed == nil {
		*sealed = make([]byte, sealedBufferSize)
	}
	return enc.Encrypt(*sealed, b)
}

// rewriteHeader rewrites the sequence number, timestamp and SSRC of the
// valid RTP packet b in place. A change of feeder or of incoming SSRC
// starts a new mapping that continues the outgoing sequence (+1) and
// timestamp (+one frame step), and sets the marker bit on that first
// packet. The caller holds busy.
func (o *outbound) rewriteHeader(b []byte, from *Endpoint) {
	seq := binary.BigEndian.Uint16(b[2:])
	ts := binary.BigEndian.Uint32(b[4:])
	ssrc := binary.BigEndian.Uint32(b[8:])
	pt := b[1] & 0x7f
	newSource := true
	switch {
	case !o.primed:
		// First packet ever: keep the source's numbering; only the
		// SSRC changes.
		o.primed = true
		o.seqOff, o.tsOff = 0, 0
		o.tsStep = defaultTimestampStep
	case from != o.feeder || ssrc != o.inSSRC:
		o.seqOff = o.lastSeq + 1 - seq
		o.tsOff = o.lastTS + o.tsStep - ts
	default:
		newSource = false
		if int16(seq-o.lastIn) > 0 {
			// Learn the frame step from in-order audio: next
			// sequence number, same payload type, no marker (a
			// marker starts a talkspurt after silence).
			if seq == o.lastIn+1 && pt == o.inPT && b[1]&0x80 == 0 {
				if d := ts - o.lastInTS; d > 0 && d <= maxTimestampStep {
					o.tsStep = d
				}
			}
			o.lastIn, o.lastInTS, o.inPT = seq, ts, pt
		}
	}
	outSeq := seq + o.seqOff
	outTS := ts + o.tsOff
	if newSource {
		o.feeder, o.inSSRC, o.inPT = from, ssrc, pt
		o.lastIn, o.lastInTS = seq, ts
		b[1] |= 0x80
	}
	if newSource || int16(outSeq-o.lastSeq) > 0 {
		o.lastSeq, o.lastTS = outSeq, outTS
	}
	binary.BigEndian.PutUint16(b[2:], outSeq)
	binary.BigEndian.PutUint32(b[4:], outTS)
	binary.BigEndian.PutUint32(b[8:], o.ssrc)
}
