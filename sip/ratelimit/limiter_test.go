package ratelimit

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeClock is a goroutine-safe virtual clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var (
	phone  = netip.MustParseAddr("127.0.0.1")
	other  = netip.MustParseAddr("127.0.0.2")
	mapped = netip.MustParseAddr("::ffff:127.0.0.1")
)

// step is one action in a virtual-time scenario.
type step struct {
	after  time.Duration // advance the clock first
	action string        // "fail", "succeed" or "check"
	addr   netip.Addr
	// want is Fail's return value for "fail" and Blocked's result for
	// "check"; Blocked is also checked after every "fail" against blocked.
	want    bool
	blocked bool
}

func TestLimiterScenarios(t *testing.T) {
	const window = time.Minute
	tests := []struct {
		name  string
		limit int
		steps []step
	}{
		{
			name:  "blocks on the limit-th failure and logs once",
			limit: 3,
			steps: []step{
				{action: "fail", addr: phone, want: false, blocked: false},
				{after: time.Second, action: "fail", addr: phone, want: false, blocked: false},
				{after: time.Second, action: "fail", addr: phone, want: true, blocked: true},
				{after: time.Second, action: "fail", addr: phone, want: false, blocked: true},
				{action: "check", addr: other, want: false},
			},
		},
		{
			name:  "sliding window: old failures stop counting one window later",
			limit: 3,
			steps: []step{
				{action: "fail", addr: phone, blocked: false},                                     // t=0
				{after: 30 * time.Second, action: "fail", addr: phone, blocked: false},            // t=30
				{after: 30 * time.Second, action: "fail", addr: phone, blocked: false},            // t=60: t=0 has just left the window
				{after: 29 * time.Second, action: "fail", addr: phone, want: true, blocked: true}, // t=89: 30, 60, 89
				{after: 941 * time.Millisecond, action: "check", addr: phone, want: true},         // t=89.941 < 30+60
				{after: 59 * time.Millisecond, action: "check", addr: phone, want: false},         // t=90: the t=30 failure expired
				{action: "fail", addr: phone, want: true, blocked: true},                          // t=90: 60, 89, 90
			},
		},
		{
			name:  "block ends when the oldest counted failure leaves the window",
			limit: 2,
			steps: []step{
				{action: "fail", addr: phone}, // t=0
				{after: 10 * time.Second, action: "fail", addr: phone, want: true, blocked: true}, // t=10
				{after: 49 * time.Second, action: "check", addr: phone, want: true},               // t=59
				{after: time.Second, action: "check", addr: phone, want: false},                   // t=60: only t=10 counts
				{action: "fail", addr: phone, want: true, blocked: true},                          // t=60: 10 and 60
				{after: 10 * time.Second, action: "check", addr: phone, want: false},              // t=70: only t=60 counts
			},
		},
		{
			name:  "success clears the address",
			limit: 2,
			steps: []step{
				{action: "fail", addr: phone},
				{action: "fail", addr: phone, want: true, blocked: true},
				{action: "succeed", addr: phone},
				{action: "check", addr: phone, want: false},
				{action: "fail", addr: phone, want: false, blocked: false},
			},
		},
		{
			name:  "addresses are independent",
			limit: 2,
			steps: []step{
				{action: "fail", addr: phone},
				{action: "fail", addr: other},
				{action: "succeed", addr: other},
				{action: "fail", addr: phone, want: true, blocked: true},
				{action: "check", addr: other, want: false},
			},
		},
		{
			name:  "IPv4-mapped IPv6 is the same address",
			limit: 2,
			steps: []step{
				{action: "fail", addr: phone},
				{action: "fail", addr: mapped, want: true, blocked: true},
				{action: "check", addr: phone, want: true},
				{action: "succeed", addr: mapped},
				{action: "check", addr: phone, want: false},
			},
		},
		{
			name:  "limit one blocks on the first failure",
			limit: 1,
			steps: []step{
				{action: "fail", addr: phone, want: true, blocked: true},
				{after: time.Minute, action: "check", addr: phone, want: false},
				{action: "fail", addr: phone, want: true, blocked: true},
			},
		},
		{
			name:  "limit zero disables",
			limit: 0,
			steps: []step{
				{action: "fail", addr: phone},
				{action: "fail", addr: phone},
				{action: "fail", addr: phone},
				{action: "check", addr: phone, want: false},
			},
		},
		{
			name:  "negative limit disables",
			limit: -1,
			steps: []step{
				{action: "fail", addr: phone},
				{action: "check", addr: phone, want: false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			l := New(tt.limit, window, clock.Now)
			for i, s := range tt.steps {
				clock.Advance(s.after)
				switch s.action {
				case "fail":
					if got := l.Fail(s.addr); got != s.want {
						t.Errorf("step %d: Fail(%v) = %v, want %v", i, s.addr, got, s.want)
					}
					if got := l.Blocked(s.addr); got != s.blocked {
						t.Errorf("step %d: after Fail, Blocked(%v) = %v, want %v", i, s.addr, got, s.blocked)
					}
				case "succeed":
					l.Succeed(s.addr)
				case "check":
					if got := l.Blocked(s.addr); got != s.want {
						t.Errorf("step %d: Blocked(%v) = %v, want %v", i, s.addr, got, s.want)
					}
				default:
					t.Fatalf("step %d: unknown action %q", i, s.action)
				}
			}
		})
	}
}

func TestLimiterZeroWindowDisables(t *testing.T) {
	l := New(1, 0, nil)
	if l.Fail(phone) || l.Blocked(phone) {
		t.Error("a zero window should disable the limiter")
	}
}

func TestLimiterDropsExpiredAddresses(t *testing.T) {
	clock := newFakeClock()
	l := New(3, time.Minute, clock.Now)
	for i := range 100 {
		l.Fail(netip.AddrFrom4([4]byte{127, 0, 1, byte(i)}))
	}
	clock.Advance(time.Minute)
	l.Fail(phone)
	if n := l.tracked(); n != 1 {
		t.Errorf("tracking %d addresses after the others expired, want 1", n)
	}
}

func TestLimiterEvictsOldestWhenFull(t *testing.T) {
	clock := newFakeClock()
	l := New(2, time.Hour, clock.Now)
	l.capacity = 3
	addrs := []netip.Addr{
		netip.MustParseAddr("127.0.0.1"),
		netip.MustParseAddr("127.0.0.2"),
		netip.MustParseAddr("127.0.0.3"),
		netip.MustParseAddr("127.0.0.4"),
	}
	// Block .1 and .2, then touch .1 again so .2 has the oldest latest failure.
	for _, a := range addrs[:2] {
		l.Fail(a)
		clock.Advance(time.Second)
		l.Fail(a)
		clock.Advance(time.Second)
	}
	l.Fail(addrs[0])
	clock.Advance(time.Second)
	l.Fail(addrs[2])
	clock.Advance(time.Second)
	l.Fail(addrs[3]) // table full: .2 goes

	if n := l.tracked(); n != 3 {
		t.Errorf("tracking %d addresses, want capacity 3", n)
	}
	if !l.Blocked(addrs[0]) {
		t.Error("recently active blocked address was evicted")
	}
	if l.Blocked(addrs[1]) {
		t.Error("oldest address was not evicted")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	clock := newFakeClock()
	const limit = 5
	l := New(limit, time.Minute, clock.Now)
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		blockedNow int
	)
	for g := range 8 {
		wg.Go(func() {
			own := netip.AddrFrom4([4]byte{127, 0, 2, byte(g)})
			for range 20 {
				if l.Fail(phone) {
					mu.Lock()
					blockedNow++
					mu.Unlock()
				}
				l.Fail(own)
				l.Blocked(own)
				l.Succeed(own)
				clock.Advance(time.Millisecond)
			}
		})
	}
	wg.Wait()
	// 160 failures within 160 ms: the shared address became blocked once
	// and never unblocked, so exactly one Fail reported it.
	if blockedNow != 1 {
		t.Errorf("Fail reported the block %d times, want 1", blockedNow)
	}
	if !l.Blocked(phone) {
		t.Error("shared address not blocked")
	}
}

// tracked returns how many addresses l remembers.
func (l *Limiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byAddr)
}
