package analog

import (
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/hal"
)

// lineTimer is a line's one restartable timer (digit collection, caller-ID
// wait). Each start makes a new generation, so a callback that raced with
// stop or a restart does nothing. Its fields belong to the line's lock.
type lineTimer struct {
	t   hal.Timer
	gen uint64
}

// start runs fire under mu after d unless stopped or restarted first;
// a leg fire returns is then handed to deliver outside the lock (the core
// may call back into the line).
func (lt *lineTimer) start(c hal.Clock, d time.Duration, mu *sync.Mutex, fire func() *Leg, deliver func(*Leg)) {
	lt.stop()
	gen := lt.gen
	lt.t = c.AfterFunc(d, func() {
		var leg *Leg
		mu.Lock()
		if gen == lt.gen {
			lt.t = nil
			leg = fire()
		}
		mu.Unlock()
		if leg != nil {
			deliver(leg)
		}
	})
}

// stop cancels the pending callback.
func (lt *lineTimer) stop() {
	lt.gen++
	if lt.t != nil {
		lt.t.Stop()
		lt.t = nil
	}
}
