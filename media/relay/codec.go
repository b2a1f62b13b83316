package relay

import "github.com/gatepbx/gatepbx/media/g711"

// Encoding is how a far phone encodes its audio payload.
type Encoding uint8

const (
	// EncodingOther is any codec the relay does not transcode; its
	// payload is relayed untouched.
	EncodingOther Encoding = iota
	// PCMU is G.711 µ-law (static payload type 0).
	PCMU
	// PCMA is G.711 A-law (static payload type 8).
	PCMA
)

// String names the encoding as SDP does.
func (e Encoding) String() string {
	switch e {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return "other"
}

// Static payload types of RFC 3551 that the relay recognises without
// being told.
const (
	ptPCMU          = 0
	ptPCMA          = 8
	ptComfortNoise  = 13
	defaultRTPClock = 8000
)

// Codec is what one endpoint's far phone sends and expects, as negotiated
// in SDP: one audio payload type with its encoding, and optionally the
// telephone-event payload type.
type Codec struct {
	// PT is the audio payload type (0 for PCMU, 8 for PCMA, or a dynamic
	// number for another codec).
	PT uint8
	// Encoding is PT's encoding. PCMU and PCMA are transcoded into each
	// other when the bridged endpoint's phone uses the other one.
	Encoding Encoding
	// EventPT is the RFC 4733 telephone-event payload type; 0 when the
	// phone did not negotiate it.
	EventPT uint8
}

// SetCodec records the codec e's far phone negotiated. It changes two
// things. Packets received on e whose payload type is none of c.PT,
// c.EventPT, 0 (PCMU), 8 (PCMA) or 13 (comfort noise) are dropped and
// counted in UnknownPT. And packets leaving e are mapped to c: audio in
// the other G.711 law is transcoded (payload bytes converted in place,
// with media/g711's tables), audio in c's encoding gets c.PT, and
// telephone events get c.EventPT, or are dropped (counted in UnknownPT of
// the receiving endpoint) when c has none. Audio in any other encoding,
// and comfort noise, pass untouched. Without SetCodec on either side
// packets pass as they are, as before.
//
// SetCodec is safe at any time; the next packet sees the new codec.
func (e *Endpoint) SetCodec(c Codec) {
	c.PT &= 0x7f
	c.EventPT &= 0x7f
	e.codec.Store(&c)
}

// Codec returns what SetCodec recorded, and false before any SetCodec.
func (e *Endpoint) Codec() (Codec, bool) {
	if c := e.codec.Load(); c != nil {
		return *c, true
	}
	return Codec{}, false
}

// payloadKind classifies a received payload type.
type payloadKind uint8

const (
	kindUnknown payloadKind = iota
	kindAudio
	kindEvent
	kindPassive // comfort noise: relayed as is
)

// classify tells what payload type pt carries for a phone that
// negotiated c (nil: nothing negotiated), and the audio encoding.
func classify(c *Codec, pt uint8) (payloadKind, Encoding) {
	if c != nil {
		switch {
		case pt == c.PT:
			return kindAudio, c.Encoding
		case c.EventPT != 0 && pt == c.EventPT:
			return kindEvent, EncodingOther
		}
	}
	switch pt {
	case ptPCMU:
		return kindAudio, PCMU
	case ptPCMA:
		return kindAudio, PCMA
	case ptComfortNoise:
		return kindPassive, EncodingOther
	}
	if c == nil {
		return kindPassive, EncodingOther
	}
	return kindUnknown, EncodingOther
}

// transcode maps the valid RTP packet pkt (payload located), received from
// a phone that negotiated in, to what the phone that negotiated out
// expects: it rewrites the payload type and converts G.711 payloads in
// place. It reports false for a packet the out phone cannot take (a
// telephone event when it negotiated none). A nil out leaves the packet
// as it is.
func transcode(in, out *Codec, pkt, payload []byte) bool {
	if out == nil {
		return true
	}
	pt := pkt[1] & 0x7f
	kind, enc := classify(in, pt)
	switch kind {
	case kindAudio:
		switch {
		case enc == EncodingOther:
			return true // not ours to convert or renumber; relayed as sent
		case enc == out.Encoding:
		case enc == PCMU && out.Encoding == PCMA:
			g711.UlawToAlaw(payload, payload)
		case enc == PCMA && out.Encoding == PCMU:
			g711.AlawToUlaw(payload, payload)
		default:
			return true // out's phone speaks another codec; relayed as sent
		}
		pt = out.PT
	case kindEvent:
		if out.EventPT == 0 {
			return false
		}
		pt = out.EventPT
	default:
		return true // comfort noise, or anything from a phone with no codec set
	}
	pkt[1] = pkt[1]&0x80 | pt
	return true
}
