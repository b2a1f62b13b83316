package overload

import (
	"log/slog"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Sizes behind DefaultMaxConnections: sipgo gives every stream
// connection a 64 KiB read buffer and a goroutine.
const (
	bytesPerConnection    = 128 << 10
	minDefaultConnections = 256
	maxDefaultConnections = 16384
	noLimitConnections    = 4096 // when no soft memory limit is set
)

// DefaultMaxConnections is the stream-connection maximum for a process
// whose soft memory limit is memLimit bytes: a quarter of it at 128 KiB
// per connection, between 256 and 16384 (1024 on a 1 GB board whose
// limit is half the RAM).
func DefaultMaxConnections(memLimit int64) int {
	if memLimit <= 0 || memLimit == math.MaxInt64 {
		return noLimitConnections
	}
	return int(min(max(memLimit/4/bytesPerConnection, minDefaultConnections), maxDefaultConnections))
}

// ConnLimiter is a stream listener (SIP over TCP or TLS) that hands out
// at most Max open connections, and at most half of them to one source
// address: a connection over either limit is closed as soon as it is
// accepted, so that a connection flood cannot grow memory without bound
// nor lock the phones out. Accept never fails for that (sipgo stops
// serving a listener whose Accept fails).
type ConnLimiter struct {
	net.Listener
	max atomic.Int64
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	total   int64
	sources map[netip.Addr]int64

	rejected atomic.Uint64
	lastLog  atomic.Int64
}

// LimitConnections wraps l with a maximum of max connections (0 or less:
// none).
func LimitConnections(l net.Listener, max int, log *slog.Logger, now func() time.Time) *ConnLimiter {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	c := &ConnLimiter{Listener: l, log: log, now: now, sources: map[netip.Addr]int64{}}
	c.SetMax(max)
	return c
}

// SetMax changes the maximum (config reload); connections already open
// stay.
func (c *ConnLimiter) SetMax(n int) { c.max.Store(int64(n)) }

// Open is the number of connections handed out and not yet closed.
func (c *ConnLimiter) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int(c.total)
}

// Rejected is how many connections were closed at once so far.
func (c *ConnLimiter) Rejected() uint64 { return c.rejected.Load() }

// Accept returns the next connection within the limits.
func (c *ConnLimiter) Accept() (net.Conn, error) {
	for {
		conn, err := c.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := sourceAddr(conn.RemoteAddr().String())
		if c.take(src) {
			return &countedConn{Conn: conn, release: func() { c.release(src) }}, nil
		}
		conn.Close()
		c.rejected.Add(1)
		c.warn(src)
	}
}

// take counts a connection from src if the limits allow it.
func (c *ConnLimiter) take(src netip.Addr) bool {
	m := c.max.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	if m > 0 && (c.total >= m || c.sources[src] >= sourceShare(m)) {
		return false
	}
	c.total++
	c.sources[src]++
	return true
}

func (c *ConnLimiter) release(src netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if decrement(c.sources, src) {
		c.total--
	}
}

// warn logs turned-away connections at most once per logEvery.
func (c *ConnLimiter) warn(src netip.Addr) {
	now := c.now().UnixNano()
	last := c.lastLog.Load()
	if now-last < int64(logEvery) || !c.lastLog.CompareAndSwap(last, now) {
		return
	}
	c.log.Warn("SIP overload: new connections closed", "listener", c.Addr().String(),
		"open", c.Open(), "max", c.max.Load(), "rejected_total", c.rejected.Load(), "source", src)
}

// countedConn gives its slot back when closed, once.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
