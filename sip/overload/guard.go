package overload

import (
	"log/slog"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Defaults of Options.
const (
	DefaultRetryAfter = 10 * time.Second
	// logEvery bounds the overload warning to one per period.
	logEvery = 10 * time.Second
	// reserveFactor × the limits is where ACK, CANCEL and BYE are turned
	// away too.
	reserveFactor = 2
)

// Sizes behind DefaultMax.
const (
	bytesPerTransaction = 16 << 10
	minDefaultMax       = 1024
	maxDefaultMax       = 1 << 18
	noLimitMax          = 1 << 16 // when no soft memory limit is set
)

// DefaultMax is the live-transaction maximum for a process whose soft
// memory limit is memLimit bytes (runtime/debug.SetMemoryLimit(-1);
// math.MaxInt64 when none is set): a quarter of it at 16 KiB per
// transaction, between 1024 and 262144.
func DefaultMax(memLimit int64) int {
	if memLimit <= 0 || memLimit == math.MaxInt64 {
		return noLimitMax
	}
	return int(min(max(memLimit/4/bytesPerTransaction, minDefaultMax), maxDefaultMax))
}

// Options configure a Guard.
type Options struct {
	// Max is the number of live server transactions at which new UDP
	// requests are answered 503; 0 or less: no maximum.
	Max        int
	RetryAfter time.Duration // default DefaultRetryAfter
	Server     string        // the Server header of the 503 ("" for none)
	// Send writes a stateless response to the request's source; the user
	// agent writes it from its UDP listener.
	Send   func(b []byte, to net.Addr) error
	Logger *slog.Logger
	Now    func() time.Time
}

// terminator is the part of a sipgo server transaction the guard uses.
type terminator interface {
	OnTerminate(f sip.FnTxTerminate) bool
}

// Guard counts live server transactions and turns new UDP requests away
// while there are Max of them, or Max/2 from the request's source
// address. Its methods are safe for concurrent use.
type Guard struct {
	opts  Options
	max   atomic.Int64
	count atomic.Int64 // live transactions, read without the lock

	mu      sync.Mutex
	live    map[string]int     // method + " " + top Via branch → transactions
	sources map[netip.Addr]int // source address → transactions

	rejected atomic.Uint64
	lastLog  atomic.Int64 // unix ns of the last overload warning
	logged   atomic.Uint64
}

// New returns a Guard with o.
func New(o Options) *Guard {
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	g := &Guard{opts: o, live: map[string]int{}, sources: map[netip.Addr]int{}}
	g.SetMax(o.Max)
	return g
}

// SetMax changes the maximum (config reload); 0 or less: none.
func (g *Guard) SetMax(n int) { g.max.Store(int64(n)) }

// Live is the number of live server transactions being counted.
func (g *Guard) Live() int { return int(g.count.Load()) }

// Rejected is how many requests were turned away so far.
func (g *Guard) Rejected() uint64 { return g.rejected.Load() }

// Track counts tx, the transaction of req, until it terminates. The user
// agent calls it first thing in every request handler.
func (g *Guard) Track(req *sip.Request, tx terminator) {
	key, src := txKey(string(req.Method), topBranch(req)), sourceAddr(req.Source())
	g.mu.Lock()
	g.live[key]++
	g.sources[src]++
	g.count.Add(1)
	g.mu.Unlock()
	if !tx.OnTerminate(func(string, error) { g.forget(key, src) }) {
		g.forget(key, src) // already over
	}
}

func (g *Guard) forget(key string, src netip.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !decrement(g.live, key) {
		return
	}
	decrement(g.sources, src)
	g.count.Add(-1)
}

// decrement takes one from m[k], deleting it at zero; false if absent.
func decrement[K comparable, N int | int64](m map[K]N, k K) bool {
	switch n := m[k]; {
	case n > 1:
		m[k] = n - 1
	case n == 1:
		delete(m, k)
	default:
		return false
	}
	return true
}

// lookup reports whether a transaction of key is live and how many live
// transactions came from src.
func (g *Guard) lookup(key string, src netip.Addr) (live bool, fromSrc int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.live[key] > 0, int64(g.sources[src])
}

// admits decides for a new request from src with the counts as they are:
// below the maximum, and below half of it from src alone, so that one
// flooding address cannot take every transaction from the phones; the
// exempt methods get reserveFactor times both.
func (g *Guard) admits(exempt bool, fromSrc int64) bool {
	m := g.max.Load()
	if m <= 0 {
		return true
	}
	total, share := m, sourceShare(m)
	if exempt {
		total, share = reserveFactor*total, reserveFactor*share
	}
	return g.count.Load() < total && fromSrc < share
}

// sourceShare is how many live transactions one source address may hold.
func sourceShare(max int64) int64 { return (max + 1) / 2 }

// Filter is the transport layer's read filter
// (sip.WithTransportLayerReadFilter). While fewer transactions than half
// the maximum are live, and for every stream transport, it passes data as
// it is at the cost of two atomic loads. Beyond, it answers a new UDP
// request that Guard does not admit with a 503 and drops it; a datagram
// it cannot read as a request is passed to sipgo, which answers or drops
// it as it does today. It never returns an error: sipgo would stop
// reading the socket.
func (g *Guard) Filter(props sip.TransportReadProps, data []byte) ([]byte, error) {
	if m := g.max.Load(); m <= 0 || g.count.Load() < sourceShare(m) || !strings.EqualFold(props.Transport, "udp") {
		return data, nil // no address can be at its share yet
	}
	r, ok := scan(data)
	if !ok || props.RemoteAddr == nil {
		return data, nil
	}
	src := sourceAddr(props.RemoteAddr.String())
	live, fromSrc := g.lookup(txKey(r.method, r.branch), src)
	if live || g.admits(exempt(r.method), fromSrc) {
		return data, nil
	}
	g.rejected.Add(1)
	if !strings.EqualFold(r.method, "ACK") { // an ACK is never answered
		if res, ok := r.serviceUnavailable(int(g.opts.RetryAfter/time.Second), g.opts.Server); ok && g.opts.Send != nil {
			_ = g.opts.Send(res, props.RemoteAddr) // a lost 503 is retransmitted by the client
		}
	}
	g.warn(src)
	return nil, nil
}

// warn logs the overload at most once per logEvery, with the source of
// the request that triggered it.
func (g *Guard) warn(src netip.Addr) {
	now := g.opts.Now().UnixNano()
	last := g.lastLog.Load()
	if now-last < int64(logEvery) || !g.lastLog.CompareAndSwap(last, now) {
		return
	}
	total := g.rejected.Load()
	g.opts.Logger.Warn("SIP overload: new requests answered 503",
		"live_transactions", g.count.Load(), "max", g.max.Load(), "rejected", total-g.logged.Swap(total), "source", src)
}

// exempt methods always pass: they end calls or belong to one.
func exempt(method string) bool {
	switch strings.ToUpper(method) {
	case "ACK", "CANCEL", "BYE":
		return true
	}
	return false
}

func txKey(method, branch string) string { return strings.ToUpper(method) + " " + branch }

// sourceAddr is the address of a "host:port" source, IPv4 unmapped; the
// zero Addr when it is not one.
func sourceAddr(hostport string) netip.Addr {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func topBranch(req *sip.Request) string {
	if v := req.Via(); v != nil && v.Params != nil {
		b, _ := v.Params.Get("branch")
		return b
	}
	return ""
}
