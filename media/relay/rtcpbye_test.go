package relay

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/gatepbx/gatepbx/media/srtp"
)

// byeCase sets up one leg for TestByeOnClose: it returns the socket that
// should receive the BYE (nil: none expected), the endpoint address it
// should come from and how to open it.
type byeCase struct {
	name  string
	setup func(t *testing.T, l leg) (rx *phone, from netip.AddrPort, open func([]byte) []byte)
}

func plainOpen(b []byte) []byte { return b }

// sendOne has the endpoint send one RTP packet to its phone, so that it
// has a stream to say BYE to.
func sendOne(t *testing.T, l leg) {
	t.Helper()
	if err := l.ep.WritePacket(rtpPacket{seq: 1, ts: 160, ssrc: 7, payload: make([]byte, 160)}.bytes()); err != nil {
		t.Fatalf("WritePacket: %v", err)
	}
}

func rtcpPortOf(e *Endpoint) netip.AddrPort {
	return netip.AddrPortFrom(e.LocalAddr().Addr(), uint16(e.LocalPort()+1))
}

var byeCases = []byeCase{
	{"to the latched RTCP address", func(t *testing.T, l leg) (*phone, netip.AddrPort, func([]byte) []byte) {
		rtcp := newPhone(t)
		rtcp.send(rtcpPortOf(l.ep), receiverReport(0xa))
		waitFor(t, "the phone's RR", func() bool { return l.ep.Stats().RTCPReceived == 1 })
		sendOne(t, l)
		return rtcp, rtcpPortOf(l.ep), plainOpen
	}},
	{"to RTP port+1 before any RTCP", func(t *testing.T, l leg) (*phone, netip.AddrPort, func([]byte) []byte) {
		rtcp := newPhone(t)
		l.ep.SetRemote(netip.AddrPortFrom(rtcp.addr.Addr(), rtcp.addr.Port()-1))
		sendOne(t, l)
		return rtcp, rtcpPortOf(l.ep), plainOpen
	}},
	{"rtcp-mux on the RTP port", func(t *testing.T, l leg) (*phone, netip.AddrPort, func([]byte) []byte) {
		l.ep.SetRTCPMux(true)
		sendOne(t, l)
		l.hear()
		return l.phone, l.ep.LocalAddr(), plainOpen
	}},
	{"SRTCP on an SRTP leg", func(t *testing.T, l leg) (*phone, netip.AddrPort, func([]byte) []byte) {
		s := makeSRTP(t, l, srtp.AESCM128HMACSHA1_80)
		endpointKey := newSRTPKey(t, srtp.AESCM128HMACSHA1_80)
		if err := l.ep.SetSRTCP(s.phoneKey, endpointKey); err != nil {
			t.Fatal(err)
		}
		phoneIn, err := newSRTCPContext(endpointKey)
		if err != nil {
			t.Fatal(err)
		}
		l.ep.SetRTCPMux(true)
		sendOne(t, l)
		l.phone.recv() // the SRTP packet
		return l.phone, l.ep.LocalAddr(), func(b []byte) []byte {
			plain, err := phoneIn.DecryptRTCP(nil, b, nil)
			if err != nil {
				t.Fatalf("phone cannot open our SRTCP BYE: %v", err)
			}
			return plain
		}
	}},
	{"none from a leg that never sent", func(t *testing.T, l leg) (*phone, netip.AddrPort, func([]byte) []byte) {
		l.ep.SetRTCPMux(true)
		return nil, netip.AddrPort{}, nil
	}},
	{"none from an SRTP leg without SRTCP keys", func(t *testing.T, l leg) (*phone, netip.AddrPort, func([]byte) []byte) {
		makeSRTP(t, l, srtp.AESCM128HMACSHA1_80)
		l.ep.SetRTCPMux(true)
		sendOne(t, l)
		l.phone.recv()
		return nil, netip.AddrPort{}, nil
	}},
}

// TestByeOnClose closes a leg that sent media and checks, on a real
// socket, that the phone receives one compound packet ending the stream:
// SR (one packet sent) + SDES CNAME + BYE, all for the endpoint's SSRC.
func TestByeOnClose(t *testing.T) {
	for _, c := range byeCases {
		t.Run(c.name, func(t *testing.T) {
			pool := newTestPool(t, 1, nil)
			l := newLeg(t, pool)
			l.ep.Start()
			rx, from, open := c.setup(t, l)
			ssrc := l.ep.SSRC()
			if err := l.ep.Close(); err != nil {
				t.Fatal(err)
			}
			if rx == nil {
				// A datagram sent to ourselves proves the socket's
				// queue is drained up to here (loopback keeps order).
				l.phone.send(l.phone.addr, []byte{0})
				l.phone.recv()
				l.phone.expectNothing()
				return
			}
			b, src := rx.recv()
			if src != from {
				t.Fatalf("BYE from %v, want %v", src, from)
			}
			parts := parseCompound(t, open(b))
			if len(parts) != 3 || parts[0].pt != rtcpSR || parts[1].pt != rtcpSDES || parts[2].pt != rtcpBYE {
				t.Fatalf("got packet types %v, want SR, SDES, BYE", partTypes(parts))
			}
			sr := parts[0].body
			if got := binary.BigEndian.Uint32(sr); got != ssrc {
				t.Fatalf("SR from SSRC %#x, want %#x", got, ssrc)
			}
			if sent := binary.BigEndian.Uint32(sr[16:]); sent != 1 {
				t.Fatalf("SR packet count %d, want 1", sent)
			}
			if sdes := parts[1].body; binary.BigEndian.Uint32(sdes) != ssrc || sdes[4] != sdesCNAME {
				t.Fatalf("SDES % x, want a CNAME for %#x", sdes, ssrc)
			}
			if bye := parts[2]; bye.count != 1 || len(bye.body) != 4 || binary.BigEndian.Uint32(bye.body) != ssrc {
				t.Fatalf("BYE count %d body % x, want SSRC %#x", bye.count, bye.body, ssrc)
			}
		})
	}
}

func partTypes(parts []rtcpPart) []byte {
	var pts []byte
	for _, p := range parts {
		pts = append(pts, p.pt)
	}
	return pts
}
