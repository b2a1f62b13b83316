// Package streamtest provides a manual clock satisfying stream.Clock, so
// that pacers, recorders and other timed media code run in virtual time in
// tests.
package streamtest

import (
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/media/stream"
)

// Clock is a manual stream.Clock. Time moves only through Advance. A tick
// is delivered by a blocking send: Advance returns only after every due
// tick was received (or its ticker stopped), so after Advance returns the
// receiver has at least started handling the tick. Safe for concurrent
// use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*ticker
}

// New returns a Clock at a fixed arbitrary instant.
func New() *Clock {
	return &Clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTicker returns a ticker firing every d of virtual time.
func (c *Clock) NewTicker(d time.Duration) stream.Ticker {
	if d <= 0 {
		panic("streamtest: non-positive ticker period")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &ticker{c: make(chan time.Time), stop: make(chan struct{}), period: d, next: c.now.Add(d)}
	c.tickers = append(c.tickers, t)
	return t
}

// Tickers returns how many tickers are running: a test waits for the code
// under test to create its ticker before advancing.
func (c *Clock) Tickers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.tickers {
		if !t.stopped() {
			n++
		}
	}
	return n
}

// Advance moves time forward by d, delivering every tick that falls due,
// in time order, each with time set to the tick's instant.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var due *ticker
		live := c.tickers[:0]
		for _, t := range c.tickers {
			if t.stopped() {
				continue
			}
			live = append(live, t)
			if !t.next.After(end) && (due == nil || t.next.Before(due.next)) {
				due = t
			}
		}
		c.tickers = live
		if due == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		at := due.next
		c.now = at
		due.next = at.Add(due.period)
		c.mu.Unlock()
		select {
		case due.c <- at:
		case <-due.stop:
		}
	}
}

// Jump moves time forward by d the way a stalled receiver experiences it:
// each ticker that fell due delivers one tick (at the new time), the ones
// in between are lost, as with time.Ticker.
func (c *Clock) Jump(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	var due []*ticker
	for _, t := range c.tickers {
		if !t.stopped() && !t.next.After(now) {
			due = append(due, t)
			for !t.next.After(now) {
				t.next = t.next.Add(t.period)
			}
		}
	}
	c.mu.Unlock()
	for _, t := range due {
		select {
		case t.c <- now:
		case <-t.stop:
		}
	}
}

type ticker struct {
	c      chan time.Time
	stop   chan struct{}
	once   sync.Once
	period time.Duration
	next   time.Time // guarded by Clock.mu
}

func (t *ticker) C() <-chan time.Time { return t.c }
func (t *ticker) Stop()               { t.once.Do(func() { close(t.stop) }) }
func (t *ticker) stopped() bool {
	select {
	case <-t.stop:
		return true
	default:
		return false
	}
}

// Instant is a stream.Clock that lets timed code run flat out on one
// goroutine: its ticker always has a tick ready and Now moves one 20 ms
// frame per call. For allocation tests and for generating packets.
type Instant struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the next frame's time.
func (c *Instant) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(stream.FrameDuration)
	return c.now
}

// NewTicker returns a ticker that is always ready.
func (c *Instant) NewTicker(time.Duration) stream.Ticker { return readyTicker{} }

type readyTicker struct{}

// alwaysReady is closed: a receive never waits.
var alwaysReady = func() chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}()

func (readyTicker) C() <-chan time.Time { return alwaysReady }
func (readyTicker) Stop()               {}
