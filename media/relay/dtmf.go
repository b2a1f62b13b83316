package relay

import "encoding/binary"

// DTMFFunc receives RFC 4733 telephone events: once when an event starts
// and once when it ends. duration is in timestamp units as carried by the
// packet. It runs on the endpoint's reader goroutine, so it must be cheap
// and must not call the endpoint's Close.
type DTMFFunc func(event uint8, end bool, duration uint16)

// dtmfListener is an immutable (payload type, callback) pair, swapped in
// atomically by SetDTMFListener.
type dtmfListener struct {
	pt uint8
	fn DTMFFunc
}

// dtmfSniffer turns the stream of telephone-event packets into start and
// end calls. An event is identified by its RTP timestamp (all packets of
// one event share it) and SSRC, so a lost first packet still yields a start,
// and the three redundant end packets yield one end. Owned by the reader
// goroutine.
type dtmfSniffer struct {
	listener *dtmfListener // the listener this state belongs to
	active   bool
	ended    bool
	ssrc     uint32
	ts       uint32
}

// telephoneEventSize is the RFC 4733 payload: event, E/R/volume, duration.
const telephoneEventSize = 4

// sniff inspects one valid RTP packet (header in pkt, payload already
// located) and calls the listener on an event start or end.
func (s *dtmfSniffer) sniff(l *dtmfListener, pkt, payload []byte) {
	if pkt[1]&0x7f != l.pt || len(payload) < telephoneEventSize {
		return
	}
	if s.listener != l {
		*s = dtmfSniffer{listener: l}
	}
	event := payload[0]
	end := payload[1]&0x80 != 0
	duration := binary.BigEndian.Uint16(payload[2:])
	ts := binary.BigEndian.Uint32(pkt[4:])
	ssrc := binary.BigEndian.Uint32(pkt[8:])
	if !s.active || ts != s.ts || ssrc != s.ssrc {
		s.active, s.ended, s.ts, s.ssrc = true, false, ts, ssrc
		l.fn(event, false, duration)
	}
	if end && !s.ended {
		s.ended = true
		l.fn(event, true, duration)
	}
}
