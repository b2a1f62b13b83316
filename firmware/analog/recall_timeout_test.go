package analog_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/analog"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/media/tone"
)

// TestRecallTimeoutFollowsConfig: Options.RecallTimeout is asked at each
// recall, so a changed value (a config reload) applies to the next
// recall without a restart. Both values differ from the default on the
// side each round checks.
func TestRecallTimeoutFollowsConfig(t *testing.T) {
	t.Parallel()
	var limit atomic.Int64
	r := newRegionRig(t, time.Minute, "us", func(o *analog.Options) {
		o.RecallTimeout = func() time.Duration { return time.Duration(limit.Load()) }
	})

	limit.Store(int64(45 * time.Second)) // longer than the default
	a, b := r.connected()
	r.recallReleasesAfter(a, b, 45*time.Second)

	limit.Store(int64(5 * time.Second)) // the reload: shorter than the default
	c := r.phone("fxs2")
	a.ClearHeard()
	must(t, a.OffHook())
	r.until("dial tone", heard(a, tone.Dial))
	must(t, a.DialDTMF("203#"))
	r.until("fxs2 rings", func() bool { return c.RingCount() > 0 })
	must(t, c.OffHook())
	r.until("answered", r.state(pbx.StateInCall))
	r.recallReleasesAfter(a, c, 5*time.Second)
}

// recallReleasesAfter holds b by a's flash, hangs a up and checks in
// virtual time that the recall ring releases the held call after limit:
// not a second before it, and well before the default timeout would.
func (r *rig) recallReleasesAfter(a, b *sim.Phone, limit time.Duration) {
	r.t.Helper()
	r.flash(a)
	n := a.RingCount()
	start := r.clock.Now()
	must(r.t, a.OnHook())
	r.until("recall rings", func() bool { return a.RingCount() > n })
	almost := start.Add(limit - time.Second)
	r.until("a second before the limit", func() bool { return !r.clock.Now().Before(almost) })
	if !r.calls(1)() {
		r.t.Fatalf("held call released before the recall timeout %v", limit)
	}
	r.until("held call released", r.calls(0))
	if waited := r.clock.Now().Sub(start); waited > limit+15*time.Second {
		r.t.Fatalf("held call released after %v, want about %v", waited, limit)
	}
	r.until("busy tone at the held party", heard(b, tone.Busy))
	r.until("bell silent", func() bool { return !a.BellOn() })
	must(r.t, b.OnHook())
}
