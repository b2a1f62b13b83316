package relay

import "encoding/binary"

// rtpHeaderSize is the fixed part of an RTP header (RFC 3550 section 5.1).
const rtpHeaderSize = 12

// rtpPayload checks that pkt is a well-formed RTP packet and returns its
// payload: what follows the fixed header, the CSRC list and the header
// extension, minus padding. It reads pkt in place and never allocates.
//
// Rejected: anything shorter than 12 bytes, a version other than 2, RTCP
// (packet types 200-204, which read as RTP payload types 72-76), and CSRC
// counts, extension lengths or padding that overrun the packet.
func rtpPayload(pkt []byte) (payload []byte, ok bool) {
	if len(pkt) < rtpHeaderSize || pkt[0]>>6 != 2 {
		return nil, false
	}
	// Payload types 72-76 are RTCP SR/RR/SDES/BYE/APP (200-204) with the
	// marker bit set. Reject them with or without the marker: RTCP arriving
	// on the RTP port, and RFC 5761 forbids them for RTP because a marker
	// set on relay would turn the packet into RTCP.
	if isRTCPType(pkt[1]) {
		return nil, false
	}
	off := rtpHeaderSize + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 { // header extension
		if len(pkt) < off+4 {
			return nil, false
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(pkt[off+2:]))
	}
	if off > len(pkt) {
		return nil, false
	}
	end := len(pkt)
	if pkt[0]&0x20 != 0 { // padding; the last byte counts itself
		pad := int(pkt[end-1])
		if pad == 0 || off+pad > end {
			return nil, false
		}
		end -= pad
	}
	return pkt[off:end], true
}

// isRTCPType reports whether the second byte of a packet is an RTCP packet
// type (200-204), read as an RTP marker bit and payload type 72-76.
func isRTCPType(b1 byte) bool {
	pt := b1 & 0x7f
	return pt >= 72 && pt <= 76
}
