package relay

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait in these tests so a bug fails instead of
// hanging; it is not a timing assertion.
const waitLimit = 5 * time.Second

var loopback = netip.MustParseAddr("127.0.0.1")

// rtpPacket builds an RTP packet with a 12-byte header.
type rtpPacket struct {
	pt      uint8
	marker  bool
	seq     uint16
	ts      uint32
	ssrc    uint32
	payload []byte
}

func (p rtpPacket) bytes() []byte {
	b := make([]byte, rtpHeaderSize+len(p.payload))
	b[0] = 0x80
	b[1] = p.pt & 0x7f
	if p.marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], p.seq)
	binary.BigEndian.PutUint32(b[4:], p.ts)
	binary.BigEndian.PutUint32(b[8:], p.ssrc)
	copy(b[rtpHeaderSize:], p.payload)
	return b
}

func parseRTP(t testing.TB, b []byte) rtpPacket {
	t.Helper()
	payload, ok := rtpPayload(b)
	if !ok {
		t.Fatalf("received packet is not RTP: % x", b)
	}
	return rtpPacket{
		pt:      b[1] & 0x7f,
		marker:  b[1]&0x80 != 0,
		seq:     binary.BigEndian.Uint16(b[2:]),
		ts:      binary.BigEndian.Uint32(b[4:]),
		ssrc:    binary.BigEndian.Uint32(b[8:]),
		payload: payload,
	}
}

// phone is a fake far-end phone: a plain UDP socket on an OS-assigned port.
type phone struct {
	t    testing.TB
	conn *net.UDPConn
	addr netip.AddrPort
}

func newPhone(t testing.TB) *phone {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatalf("phone socket: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &phone{t: t, conn: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort()}
}

func (p *phone) send(to netip.AddrPort, b []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(b, to); err != nil {
		p.t.Fatalf("phone %v send: %v", p.addr, err)
	}
}

// recv returns the next datagram and its source.
func (p *phone) recv() ([]byte, netip.AddrPort) {
	p.t.Helper()
	buf := make([]byte, maxPacketSize)
	p.conn.SetReadDeadline(time.Now().Add(waitLimit))
	n, src, err := p.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		p.t.Fatalf("phone %v receive: %v", p.addr, err)
	}
	return buf[:n], src
}

// recvRTP receives one packet, checks it came from want and parses it.
func (p *phone) recvRTP(from netip.AddrPort) rtpPacket {
	p.t.Helper()
	b, src := p.recv()
	if src != from {
		p.t.Fatalf("phone %v got a packet from %v, want %v (symmetric RTP)", p.addr, src, from)
	}
	return parseRTP(p.t, b)
}

// expectNothing checks no datagram is waiting. Only meaningful after a
// later packet from the same path has been received (loopback keeps order).
func (p *phone) expectNothing() {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	buf := make([]byte, maxPacketSize)
	n, src, err := p.conn.ReadFromUDPAddrPort(buf)
	if err == nil {
		p.t.Fatalf("phone %v got unexpected % x from %v", p.addr, buf[:n], src)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		p.t.Fatalf("phone %v: %v", p.addr, err)
	}
}

// waitFor polls cond until it holds or waitLimit passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitDropped waits until e's Dropped counter reaches want.
func waitDropped(t *testing.T, e *Endpoint, want uint64) {
	t.Helper()
	waitFor(t, "dropped count", func() bool { return e.Stats().Dropped >= want })
	if got := e.Stats().Dropped; got != want {
		t.Fatalf("Dropped = %d, want %d", got, want)
	}
}

// freeRange finds pairs free RTP/RTCP port pairs on loopback, starting at
// an even OS-assigned port, and returns the inclusive range.
func freeRange(t testing.TB, pairs int) (lo, hi int) {
	t.Helper()
	for attempt := 0; attempt < 50; attempt++ {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
		if err != nil {
			t.Fatalf("probe socket: %v", err)
		}
		lo = c.LocalAddr().(*net.UDPAddr).Port &^ 1
		c.Close()
		hi = lo + 2*pairs - 1
		if hi > 65535 {
			continue
		}
		var held []*net.UDPConn
		ok := true
		for p := lo; p <= hi && ok; p++ {
			c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(p))))
			if err != nil {
				ok = false
				break
			}
			held = append(held, c)
		}
		for _, c := range held {
			c.Close()
		}
		if ok {
			return lo, hi
		}
	}
	t.Fatalf("no free range of %d port pairs", pairs)
	return 0, 0
}

func newTestPool(t testing.TB, pairs int, clock Clock) *PortPool {
	t.Helper()
	lo, hi := freeRange(t, pairs)
	// Our own RTCP reports are off: tests that want them set an interval.
	p, err := NewPortPool(PortPoolOptions{BindAddr: loopback, Min: lo, Max: hi, Clock: clock, RTCPInterval: -1, IO: testIOMode(t)})
	if err != nil {
		t.Fatalf("NewPortPool: %v", err)
	}
	return p
}

// testIOMode is the I/O mode of the tests' pools: the default, or the one
// named by $RELAY_TEST_IO (reactor or goroutines), so that the whole suite
// runs in either mode: RELAY_TEST_IO=goroutines go test ./media/relay/.
func testIOMode(t testing.TB) IOMode {
	t.Helper()
	m, err := ParseIOMode(os.Getenv("RELAY_TEST_IO"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// wantReaders is how many goroutines readerGoroutines should find with
// endpoints started endpoints of pool: an RTP reader per endpoint or the
// reactors, and an RTCP goroutine per endpoint.
func wantReaders(pool *PortPool, endpoints int) int {
	if pool.IO() == IOReactor {
		// Reactors start as sockets fill them (see pick).
		reactors := (endpoints + socketsPerReactor - 1) / socketsPerReactor
		return endpoints + min(defaultReactors(runtime.GOMAXPROCS(0)), reactors)
	}
	return 2 * endpoints
}

// allocate takes an endpoint from pool, closed when the test ends.
func allocate(tb testing.TB, pool *PortPool) *Endpoint {
	tb.Helper()
	e, err := pool.Allocate()
	if err != nil {
		tb.Fatalf("Allocate: %v", err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

// leg is an endpoint with its fake phone, remote already set.
type leg struct {
	ep    *Endpoint
	phone *phone
}

func newLeg(t *testing.T, pool *PortPool) leg {
	t.Helper()
	ep := allocate(t, pool)
	ph := newPhone(t)
	ep.SetRemote(ph.addr)
	return leg{ep: ep, phone: ph}
}

// say sends a packet from the leg's phone to its endpoint.
func (l leg) say(p rtpPacket) { l.phone.send(l.ep.LocalAddr(), p.bytes()) }

// hear receives the next relayed packet at the leg's phone, checking it
// came from the leg's endpoint.
func (l leg) hear() rtpPacket { return l.phone.recvRTP(l.ep.LocalAddr()) }

// fakeClock is a settable Clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
