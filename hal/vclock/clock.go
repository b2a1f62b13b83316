package vclock

import (
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/hal"
)

// Manual is a hal.Clock that moves only when Advance is called. Timer
// callbacks run synchronously inside Advance, in due order, so a test that
// advances the clock sees every effect before Advance returns.
type Manual struct {
	advancing sync.Mutex // serialises Advance calls

	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
	seq    uint64
}

type manualTimer struct {
	clock *Manual
	when  time.Time
	seq   uint64 // breaks ties between timers due at the same instant
	f     func()
}

// New returns a clock reading start.
func New(start time.Time) *Manual {
	return &Manual{now: start}
}

// Now returns the clock's current reading.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f to run during the Advance that reaches now+d.
func (c *Manual) AfterFunc(d time.Duration, f func()) hal.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{clock: c, when: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock forward by d, running every timer that falls due
// on the way (including ones scheduled by those timers) at its due time.
// Timer callbacks must not call Advance themselves.
func (c *Manual) Advance(d time.Duration) {
	c.advancing.Lock()
	defer c.advancing.Unlock()

	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		next := c.popDueLocked(target)
		if next == nil {
			c.now = target
			c.mu.Unlock()
			return
		}
		if next.when.After(c.now) {
			c.now = next.when
		}
		c.mu.Unlock()
		next.f() // without the lock: f may schedule or stop timers
	}
}

// Pending reports how many timers are scheduled and not yet run or stopped.
func (c *Manual) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// popDueLocked removes and returns the earliest timer due at or before
// target, or nil.
func (c *Manual) popDueLocked(target time.Time) *manualTimer {
	best := -1
	for i, t := range c.timers {
		if t.when.After(target) {
			continue
		}
		if best < 0 || t.when.Before(c.timers[best].when) ||
			t.when.Equal(c.timers[best].when) && t.seq < c.timers[best].seq {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	t := c.timers[best]
	c.timers = append(c.timers[:best], c.timers[best+1:]...)
	return t
}

// Stop cancels the timer if it has not run, reporting whether it did so.
func (t *manualTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, pending := range c.timers {
		if pending == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}
