package analog_test

import (
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/analog"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/media/tone"
)

// calls reports whether the core has n calls.
func (r *rig) calls(n int) func() bool { return func() bool { return len(r.core.Calls()) == n } }

// joined waits until the flash transfer has joined b (202) and c (203)
// in one call and they hear each other.
func (r *rig) joined(b, c *sim.Phone) {
	r.t.Helper()
	r.until("transferred", func() bool {
		calls := r.core.Calls()
		return len(calls) == 1 && calls[0].State == pbx.StateInCall && calls[0].Caller == "202" && calls[0].Callee == "203"
	})
	r.talks(b, c)
	r.talks(c, b)
}

// consulting connects fxs0 (201) and fxs1 (202), then fxs0 flashes and
// calls fxs2 (203), which answers: 202 on hold, 201 talking to 203.
func (r *rig) consulting() (a, b, c *sim.Phone) {
	r.t.Helper()
	a, b = r.connected()
	c = r.phone("fxs2")
	r.flash(a)
	must(r.t, a.DialDTMF("203#"))
	r.until("target rings", func() bool { return c.RingCount() > 0 })
	must(r.t, c.OffHook())
	r.until("consultation answered", func() bool {
		for _, s := range r.core.Calls() {
			if s.Callee == "203" && s.State == pbx.StateInCall {
				return true
			}
		}
		return false
	})
	return a, b, c
}

func TestFlashConsultation(t *testing.T) {
	t.Run("attended transfer by hanging up", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		a, b, c := r.consulting()
		r.talks(a, c)
		r.talks(c, a)
		must(t, a.OnHook())
		r.joined(b, c)
		must(t, b.OnHook())
		r.until("busy tone", heard(c, tone.Busy))
		must(t, c.OnHook())
		r.until("call over", func() bool { return r.core.ActiveCalls() == 0 })
	})
	t.Run("flash drops the consultation", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		a, b, c := r.consulting()
		must(t, a.Flash(300*time.Millisecond))
		r.until("busy tone at the consulted phone", heard(c, tone.Busy))
		r.until("back in the first call", r.state(pbx.StateInCall))
		r.talks(a, b)
		r.talks(b, a)
		must(t, c.OnHook())
	})
	t.Run("the consulted party hangs up", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		a, b, c := r.consulting()
		must(t, c.OnHook())
		r.until("back in the first call", r.state(pbx.StateInCall))
		r.talks(b, a)
	})
	t.Run("hanging up after a flash rings back", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		a, b := r.connected()
		r.flash(a)
		n := a.RingCount()
		must(t, a.OnHook())
		r.until("recall rings fxs0", func() bool { return a.RingCount() > n })
		r.until("recall shows the held party", func() bool { id := a.LastCallerID(); return id != nil && id.Number == "202" })
		must(t, a.OffHook())
		r.until("back in the call", r.state(pbx.StateInCall))
		r.talks(b, a)
	})
	t.Run("an unanswered recall releases the held call", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		a, b := r.connected()
		r.flash(a)
		n := a.RingCount()
		start := r.clock.Now()
		must(t, a.OnHook())
		r.until("recall rings fxs0", func() bool { return a.RingCount() > n })
		r.until("held call released", r.calls(0))
		if waited := r.clock.Now().Sub(start); waited < analog.DefaultRecallTimeout {
			t.Errorf("held call released after %v, before the recall timeout", waited)
		}
		r.until("busy tone at the held party", heard(b, tone.Busy))
		r.until("bell silent", func() bool { return !a.BellOn() })
		must(t, b.OnHook())
	})
}

// Call waiting: fxs0 (201) talks to fxs1 (202) when fxs2 (203) calls 201.
func TestCallWaiting(t *testing.T) {
	const ringTimeout = time.Minute
	setup := func(t *testing.T) (r *rig, a, b, c *sim.Phone) {
		r = newRig(t, ringTimeout)
		a, b = r.connected()
		c = r.phone("fxs2")
		a.ClearHeard()
		must(t, c.OffHook())
		r.until("dial tone on fxs2", heard(c, tone.Dial))
		must(t, c.DialDTMF("201#"))
		r.until("call-waiting tone on fxs0", heard(a, tone.CallWaiting))
		r.until("ringback at the waiting caller", heard(c, tone.Ringback))
		return r, a, b, c
	}
	t.Run("flash answers, flash swaps", func(t *testing.T) {
		t.Parallel()
		r, a, b, c := setup(t)
		must(t, a.Flash(300*time.Millisecond))
		r.until("waiting call answered", func() bool {
			n := 0
			for _, s := range r.core.Calls() {
				if s.Caller == "203" && s.State == pbx.StateInCall || s.Callee == "202" && s.State == pbx.StateHold {
					n++
				}
			}
			return n == 2
		})
		r.talks(c, a)
		must(t, a.Flash(300*time.Millisecond))
		r.until("swapped", func() bool {
			for _, s := range r.core.Calls() {
				if s.Caller == "203" && s.State != pbx.StateHold {
					return false
				}
			}
			return true
		})
		r.talks(b, a)
		// Hanging up ends the active call (202) and rings back for 203.
		n := a.RingCount()
		must(t, a.OnHook())
		r.until("busy tone at 202", heard(b, tone.Busy))
		r.until("recall for the held call", func() bool { return a.RingCount() > n })
		must(t, a.OffHook())
		r.until("back with 203", func() bool {
			calls := r.core.Calls()
			return len(calls) == 1 && calls[0].Caller == "203" && calls[0].State == pbx.StateInCall
		})
		r.talks(c, a)
		must(t, b.OnHook())
		must(t, c.OnHook())
		must(t, a.OnHook())
		r.until("calls over", func() bool { return r.core.ActiveCalls() == 0 })
	})
	t.Run("waiting caller gives up", func(t *testing.T) {
		t.Parallel()
		r, a, b, c := setup(t)
		must(t, c.OnHook())
		r.until("one call left", r.calls(1))
		r.talks(b, a)
	})
	t.Run("hanging up rings for the waiting call", func(t *testing.T) {
		t.Parallel()
		r, a, b, c := setup(t)
		n := a.RingCount()
		must(t, a.OnHook())
		r.until("busy tone at 202", heard(b, tone.Busy))
		r.until("fxs0 rings for 203", func() bool { return a.RingCount() > n })
		must(t, a.OffHook())
		r.until("answered", func() bool {
			for _, s := range r.core.Calls() {
				if s.Caller == "203" && s.State == pbx.StateInCall {
					return true
				}
			}
			return false
		})
		r.talks(c, a)
		must(t, b.OnHook())
	})
	t.Run("an unanswered recall for the waiting call gives up", func(t *testing.T) {
		t.Parallel()
		r, a, b, c := setup(t)
		n := a.RingCount()
		var waitingSince time.Time // when 203's call started ringing 201
		for _, s := range r.core.Calls() {
			if s.Caller == "203" {
				waitingSince = s.Start
			}
		}
		start := r.clock.Now()
		must(t, a.OnHook())
		r.until("busy tone at 202", heard(b, tone.Busy))
		r.until("fxs0 rings for 203", func() bool { return a.RingCount() > n })
		r.until("waiting call released", r.calls(0))
		// Virtual time: whichever comes first of the recall timeout and the
		// core's ring timeout, which has run since 203 called (setup may
		// already have used half of it).
		deadline := start.Add(analog.DefaultRecallTimeout)
		if core := waitingSince.Add(ringTimeout); !waitingSince.IsZero() && core.Before(deadline) {
			deadline = core
		}
		if now := r.clock.Now(); now.Before(deadline) || now.Sub(deadline) > 5*time.Second {
			t.Errorf("waiting call released %v after 201 hung up, want at %v (recall timeout %v, ring timeout %v since %v)",
				now.Sub(start), deadline.Sub(start), analog.DefaultRecallTimeout, ringTimeout, start.Sub(waitingSince))
		}
		r.until("203 hears the failure", func() bool { k := c.Heard(); return k == tone.Congestion || k == tone.Busy })
		r.until("bell silent", func() bool { return !a.BellOn() })
		must(t, b.OnHook())
		must(t, c.OnHook())
	})
}

// TestCallWaitingCallerID: the phone in a call hears the call-waiting tone
// and then decodes the waiting caller's number from the type-2 (off-hook)
// exchange: Bell 202 in the US, V.23 in the UK and Germany.
func TestCallWaitingCallerID(t *testing.T) {
	for _, code := range []string{"us", "uk", "de"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			r := newRegionRig(t, time.Minute, code)
			a, b := r.connected()
			c := r.phone("fxs2")
			a.ClearHeard()
			must(t, c.OffHook())
			r.until("dial tone on fxs2", heard(c, tone.Dial))
			must(t, c.DialDTMF("201#"))
			r.until("call-waiting tone on fxs0", heard(a, tone.CallWaiting))
			r.until("waiting caller's number on fxs0", func() bool { id := a.LastCallerID(); return id != nil && id.Number == "203" })
			r.talks(b, a) // the call goes on after the exchange
			must(t, c.OnHook())
			r.until("one call left", r.calls(1))
		})
	}
}
