package ratelimit

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// maxTrackedAddresses bounds how many addresses a Limiter remembers.
const maxTrackedAddresses = 65536

// Limiter counts authentication failures per source address over a sliding
// window. An address is blocked while it has at least limit failures in the
// last window, i.e. until window has passed since the limit-th most recent
// failure. It is safe for concurrent use.
//
// Memory is bounded: at most 65536 addresses, each remembering at most limit
// failure times (8 bytes each). Addresses whose failures have all expired are
// dropped lazily; when the table is full the address with the oldest latest
// failure is forgotten. IPv4-mapped IPv6 addresses count as their IPv4 form.
type Limiter struct {
	limit    int
	window   time.Duration
	now      func() time.Time
	epoch    time.Time // failure times are offsets from here, so a monotonic clock stays monotonic
	capacity int

	mu     sync.Mutex
	byAddr map[netip.Addr]*list.Element // values are *failures
	order  *list.List                   // by latest failure, oldest at the front
}

// failures is the recent failure history of one address.
type failures struct {
	addr netip.Addr
	// times holds up to limit failure times as offsets from epoch, oldest
	// first.
	times []time.Duration
}

// New returns a Limiter allowing limit failures per window per address.
// limit <= 0 or window <= 0 disables it: nothing is ever blocked. now is the
// clock; nil means time.Now.
func New(limit int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if window <= 0 {
		limit = 0
	}
	return &Limiter{
		limit:    limit,
		window:   window,
		now:      now,
		epoch:    now(),
		capacity: maxTrackedAddresses,
		byAddr:   make(map[netip.Addr]*list.Element),
		order:    list.New(),
	}
}

// Blocked reports whether addr currently has at least limit failures within
// the window.
func (l *Limiter) Blocked(addr netip.Addr) bool {
	if l.limit <= 0 {
		return false
	}
	now := l.elapsed()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.byAddr[addr.Unmap()]
	return ok && l.blocked(e.Value.(*failures), now)
}

// Fail records a failure from addr. It returns true exactly when this failure
// made addr blocked, so the caller can log the block once.
func (l *Limiter) Fail(addr netip.Addr) (blockedNow bool) {
	if l.limit <= 0 {
		return false
	}
	addr = addr.Unmap()
	now := l.elapsed()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropExpired(now)
	e, ok := l.byAddr[addr]
	if !ok {
		if len(l.byAddr) >= l.capacity {
			l.remove(l.order.Front())
		}
		e = l.order.PushBack(&failures{addr: addr})
		l.byAddr[addr] = e
	}
	f := e.Value.(*failures)
	wasBlocked := l.blocked(f, now)
	if len(f.times) == l.limit {
		copy(f.times, f.times[1:])
		f.times = f.times[:l.limit-1]
	}
	f.times = append(f.times, now)
	l.order.MoveToBack(e)
	return !wasBlocked && l.blocked(f, now)
}

// Succeed forgets addr's failures.
func (l *Limiter) Succeed(addr netip.Addr) {
	if l.limit <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.byAddr[addr.Unmap()]; ok {
		l.remove(e)
	}
}

// elapsed is the current time as an offset from the epoch.
func (l *Limiter) elapsed() time.Duration { return l.now().Sub(l.epoch) }

// blocked reports whether f holds limit failures that are all within the
// window at now.
func (l *Limiter) blocked(f *failures, now time.Duration) bool {
	return len(f.times) >= l.limit && l.within(f.times[len(f.times)-l.limit], now)
}

// within reports whether a failure at t still counts at now.
func (l *Limiter) within(t, now time.Duration) bool { return now-t < l.window }

// dropExpired forgets addresses whose latest failure is outside the window.
// The order is by latest failure, so expired addresses are at the front.
func (l *Limiter) dropExpired(now time.Duration) {
	for e := l.order.Front(); e != nil; e = l.order.Front() {
		f := e.Value.(*failures)
		if l.within(f.times[len(f.times)-1], now) {
			return
		}
		l.remove(e)
	}
}

func (l *Limiter) remove(e *list.Element) {
	f := l.order.Remove(e).(*failures)
	delete(l.byAddr, f.addr)
}
