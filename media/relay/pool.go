package relay

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Clock is the time source for activity timestamps. Tests inject a fake.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// ErrPortRangeExhausted is returned by Allocate when every port pair in the
// range is in use, by us or by another process.
var ErrPortRangeExhausted = errors.New("relay: RTP port range exhausted")

// PortPoolOptions configures a PortPool.
type PortPoolOptions struct {
	// BindAddr is the local address the sockets bind to. The zero Addr
	// binds to all interfaces (dual stack).
	BindAddr netip.Addr
	// Min and Max bound the port range, inclusive. Min must be even: RTP
	// uses the even port of each pair, RTCP the odd one above it.
	Min, Max int
	// Clock timestamps received packets; nil means SystemClock.
	Clock Clock
	// RTCPInterval is the mean time between the RTCP reports each
	// endpoint sends (randomised by ±50%); 0 means 5 s, as RFC 3550
	// recommends, and a negative value turns our reports off.
	RTCPInterval time.Duration
	// IO selects how the endpoints read their RTP sockets; the zero value
	// is IOReactor where supported (see the package doc).
	IO IOMode
	// Reactors is the most reactor goroutines IOReactor mode runs (they
	// start as the load needs them); 0 means GOMAXPROCS.
	Reactors int
}

// PortPool hands out RTP/RTCP socket pairs from a port range, round-robin,
// so that a just-freed port is not reused at once (late packets of the old
// call would otherwise reach the new one).
type PortPool struct {
	bind     netip.Addr
	network  string
	min, max int
	clock    Clock
	// rtcpInterval is the mean report interval; 0 sends none.
	rtcpInterval time.Duration
	// reactors reads the RTP sockets in IOReactor mode; nil in
	// IOGoroutines mode.
	reactors *reactorGroup

	mu    sync.Mutex
	used  []bool // by pair index; pair i is ports min+2i and min+2i+1
	next  int    // pair index where the next search starts
	inUse int
}

// NewPortPool checks the options and returns an empty pool. No socket is
// opened until Allocate.
func NewPortPool(o PortPoolOptions) (*PortPool, error) {
	switch {
	case o.Min < 1 || o.Max > 65535:
		return nil, fmt.Errorf("relay: port range %d-%d outside 1-65535", o.Min, o.Max)
	case o.Min%2 != 0:
		return nil, fmt.Errorf("relay: port range minimum %d is odd, want an even RTP port", o.Min)
	case o.Max < o.Min+1:
		return nil, fmt.Errorf("relay: port range %d-%d holds no RTP/RTCP pair", o.Min, o.Max)
	}
	clock := o.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	network := "udp"
	switch {
	case o.BindAddr.Is4() || o.BindAddr.Is4In6():
		network = "udp4"
		o.BindAddr = o.BindAddr.Unmap()
	case o.BindAddr.Is6():
		network = "udp6"
	}
	var reactors *reactorGroup
	switch o.IO {
	case IODefault, IOReactor:
		if reactorSupported {
			reactors = newReactorGroup(o.Reactors)
		} else if o.IO == IOReactor {
			return nil, fmt.Errorf("relay: I/O mode %v is not supported on this platform", o.IO)
		}
	case IOGoroutines:
	default:
		return nil, fmt.Errorf("relay: unknown I/O mode %d", o.IO)
	}
	return &PortPool{
		reactors:     reactors,
		bind:         o.BindAddr,
		network:      network,
		min:          o.Min,
		max:          o.Max,
		clock:        clock,
		rtcpInterval: rtcpInterval(o.RTCPInterval),
		used:         make([]bool, (o.Max-o.Min+1)/2),
	}, nil
}

// IO reports how the pool's endpoints read their RTP sockets: IOReactor
// or IOGoroutines.
func (p *PortPool) IO() IOMode {
	if p.reactors != nil {
		return IOReactor
	}
	return IOGoroutines
}

// InUse reports how many endpoints of this pool are allocated and not yet
// closed.
func (p *PortPool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse
}

// Allocate binds an RTP socket on the next free even port (round-robin from
// the previous allocation) and an RTCP socket on the port above it. Ports
// held by this pool are skipped; ports another process holds are found by
// trying to bind and moving on when the address is in use. Any other bind
// error is returned at once. The endpoint is not started.
func (p *PortPool) Allocate() (*Endpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for tried := 0; tried < len(p.used); tried++ {
		i := (p.next + tried) % len(p.used)
		if p.used[i] {
			continue
		}
		port := p.min + 2*i
		rtp, rtcp, err := p.bindPair(port)
		if errors.Is(err, syscall.EADDRINUSE) {
			continue
		}
		if err != nil {
			return nil, err
		}
		p.used[i] = true
		p.inUse++
		p.next = (i + 1) % len(p.used)
		return newEndpoint(p, port, rtp, rtcp), nil
	}
	return nil, fmt.Errorf("relay: allocate in %d-%d (%d pairs): %w", p.min, p.max, len(p.used), ErrPortRangeExhausted)
}

func (p *PortPool) bindPair(port int) (rtp, rtcp *net.UDPConn, err error) {
	rtp, err = net.ListenUDP(p.network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.bind, uint16(port))))
	if err != nil {
		return nil, nil, fmt.Errorf("relay: bind RTP port %d: %w", port, err)
	}
	rtcp, err = net.ListenUDP(p.network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.bind, uint16(port+1))))
	if err != nil {
		rtp.Close()
		return nil, nil, fmt.Errorf("relay: bind RTCP port %d: %w", port+1, err)
	}
	return rtp, rtcp, nil
}

// release returns an endpoint's pair to the pool after its sockets closed.
func (p *PortPool) release(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := (port - p.min) / 2
	if p.used[i] {
		p.used[i] = false
		p.inUse--
	}
}

// newSSRC picks the fixed outgoing SSRC of a new endpoint.
func newSSRC() uint32 { return rand.Uint32() }

// rtcpInterval turns the RTCPInterval option into the endpoints' mean
// report interval (0: none).
func rtcpInterval(opt time.Duration) time.Duration {
	switch {
	case opt < 0:
		return 0
	case opt == 0:
		return defaultRTCPPeriod
	}
	return opt
}
