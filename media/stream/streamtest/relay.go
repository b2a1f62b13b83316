package streamtest

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/relay"
)

// WaitLimit bounds every wait of these helpers so that a bug fails a test
// instead of hanging it; it is not a timing assertion.
const WaitLimit = 10 * time.Second

// Loopback is the address test sockets bind to.
var Loopback = netip.MustParseAddr("127.0.0.1")

// NewEndpoint returns a started relay endpoint on loopback, from a pool
// of one port pair found free; both are closed at the end of the test.
func NewEndpoint(t testing.TB) *relay.Endpoint {
	t.Helper()
	var lastErr error
	for range 50 {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(Loopback, 0)))
		if err != nil {
			t.Fatalf("probe socket: %v", err)
		}
		lo := c.LocalAddr().(*net.UDPAddr).Port &^ 1
		c.Close()
		if lo+1 > 65535 {
			continue
		}
		pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: Loopback, Min: lo, Max: lo + 1})
		if err != nil {
			t.Fatalf("NewPortPool: %v", err)
		}
		ep, err := pool.Allocate()
		if err != nil {
			lastErr = err
			continue
		}
		t.Cleanup(func() { ep.Close() })
		ep.Start()
		return ep
	}
	t.Fatalf("no free RTP port pair on loopback: %v", lastErr)
	return nil
}

// Phone is a far-end phone: a plain UDP socket on loopback.
type Phone struct {
	t    testing.TB
	conn *net.UDPConn
	Addr netip.AddrPort
	buf  []byte
}

// NewPhone opens a Phone on a free port, closed at the end of the test.
func NewPhone(t testing.TB) *Phone {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(Loopback, 0)))
	if err != nil {
		t.Fatalf("phone socket: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &Phone{t: t, conn: c, Addr: c.LocalAddr().(*net.UDPAddr).AddrPort(), buf: make([]byte, 2048)}
}

// Send sends b to to.
func (p *Phone) Send(to netip.AddrPort, b []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(b, to); err != nil {
		p.t.Fatalf("phone send: %v", err)
	}
}

// Recv returns the next datagram parsed as RTP (a fresh copy).
func (p *Phone) Recv() Packet {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(WaitLimit))
	n, _, err := p.conn.ReadFromUDPAddrPort(p.buf)
	if err != nil {
		p.t.Fatalf("phone receive: %v", err)
	}
	pkt, ok := ParsePacket(p.buf[:n])
	if !ok {
		p.t.Fatalf("phone received a non-RTP datagram % x", p.buf[:n])
	}
	return pkt
}

// Packet is a parsed RTP packet (12-byte header, no extensions).
type Packet struct {
	PT      uint8
	Marker  bool
	Seq     uint16
	TS      uint32
	SSRC    uint32
	Payload []byte
}

// Bytes marshals p.
func (p Packet) Bytes() []byte {
	b := make([]byte, 12+len(p.Payload))
	b[0] = 0x80
	b[1] = p.PT & 0x7f
	if p.Marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], p.Seq)
	binary.BigEndian.PutUint32(b[4:], p.TS)
	binary.BigEndian.PutUint32(b[8:], p.SSRC)
	copy(b[12:], p.Payload)
	return b
}

// ParsePacket parses a plain RTP packet with a 12-byte header, copying the
// payload.
func ParsePacket(b []byte) (Packet, bool) {
	if len(b) < 12 || b[0]&0xc0 != 0x80 || b[0]&0x3f != 0 {
		return Packet{}, false
	}
	return Packet{
		PT:      b[1] & 0x7f,
		Marker:  b[1]&0x80 != 0,
		Seq:     binary.BigEndian.Uint16(b[2:]),
		TS:      binary.BigEndian.Uint32(b[4:]),
		SSRC:    binary.BigEndian.Uint32(b[8:]),
		Payload: append([]byte(nil), b[12:]...),
	}, true
}
