package stream

import (
	"fmt"

	"github.com/gatepbx/gatepbx/media/g711"
)

// Static RTP payload types of the codecs the linear path speaks.
const (
	PayloadPCMU uint8 = 0
	PayloadPCMA uint8 = 8
)

// checkPayloadType reports whether pt is PCMU or PCMA.
func checkPayloadType(pt uint8) error {
	if pt != PayloadPCMU && pt != PayloadPCMA {
		return fmt.Errorf("stream: payload type %d is neither PCMU (0) nor PCMA (8)", pt)
	}
	return nil
}

// Encode encodes src as payload type pt (PCMU or PCMA) into dst and
// returns the bytes written (min of both lengths); 0 for another pt.
func Encode(pt uint8, dst []byte, src []int16) int {
	switch pt {
	case PayloadPCMU:
		return g711.EncodeUlaw(dst, src)
	case PayloadPCMA:
		return g711.EncodeAlaw(dst, src)
	}
	return 0
}

// Decode decodes a PCMU or PCMA payload into dst and returns the samples
// written; ok is false for any other payload type (telephone events,
// comfort noise), which carry no linear audio.
func Decode(pt uint8, dst []int16, payload []byte) (n int, ok bool) {
	switch pt {
	case PayloadPCMU:
		return g711.DecodeUlaw(dst, payload), true
	case PayloadPCMA:
		return g711.DecodeAlaw(dst, payload), true
	}
	return 0, false
}
