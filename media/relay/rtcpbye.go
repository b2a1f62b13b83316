package relay

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// rtcpBYE is the RTCP BYE packet type (RFC 3550 section 6.6).
const rtcpBYE = 203

// sendBye tells the far phone that our stream ends (RFC 3550 6.6): one
// compound packet, our last SR (or RR) and SDES CNAME followed by a BYE
// for our SSRC, protected as SRTCP on a leg with SRTCP keys. Close calls
// it before the sockets close. It goes where our reports go (the latched
// RTCP address), or, before the phone sent RTCP of its own, to the RTP
// remote's port+1 (its RTP port with rtcp-mux): a single packet at the end
// of the call, so the guess costs nothing when wrong. As RFC 3550 6.3.7
// says, a leg that never sent RTP or RTCP sends no BYE, and neither does
// an SRTP leg without SRTCP keys (the phone would reject plain RTCP).
func (e *Endpoint) sendBye(now time.Time) {
	s := &e.rtcpState
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil && (e.out.encrypter.Load() != nil || e.decrypter.Load() != nil) {
		return
	}
	if !e.out.sending.snapshot().valid && e.stats.rtcpSent.Load() == 0 {
		return
	}
	dst := e.byeDestination()
	if !dst.IsValid() {
		return
	}
	pkt := e.buildReport(now)
	if pkt == nil {
		return
	}
	pkt = appendRTCPHeader(pkt, 1, rtcpBYE, 1)
	pkt = binary.BigEndian.AppendUint32(pkt, e.out.ssrc)
	s.buf = pkt
	e.sendRTCPLocked(pkt, dst)
}

// byeDestination is where sendBye sends: the latched RTCP address, else
// the RTP remote (port+1 without rtcp-mux). The caller holds rtcpState.mu.
func (e *Endpoint) byeDestination() netip.AddrPort {
	if e.rtcpState.latched.IsValid() {
		return e.rtcpState.latched
	}
	r := e.Remote()
	if !r.IsValid() || e.rtcpState.mux {
		return r
	}
	if r.Port() == 65535 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(r.Addr(), r.Port()+1)
}
