package pbx

import (
	"testing"

	"github.com/gatepbx/gatepbx/sip/ua"
)

// TestSnapshotsFollowTheCall checks what Calls reports at each step of a
// call's life: published by the owner goroutine, gone once it ends.
func TestSnapshotsFollowTheCall(t *testing.T) {
	r := newRig(t, "102", nil)
	start := r.clock.Now()
	stateIs := func(want State) func() bool {
		return func() bool {
			calls := r.core.Calls()
			return len(calls) == 1 && calls[0].State == want
		}
	}
	steps := []struct {
		name string
		act  func()
		want State
	}{
		{"setup", func() {}, StateSetup},
		{"ringing", func() { r.callee.events <- ua.Event{Kind: ua.EventRinging, Code: 180} }, StateRinging},
		{"answered", func() { r.callee.events <- ua.Event{Kind: ua.EventAnswered} }, StateInCall},
		{"late 180, then the callee holds", func() {
			// The callee's events are read in order: once the hold shows,
			// the 180 before it has been handled too.
			r.callee.events <- ua.Event{Kind: ua.EventRinging, Code: 180}
			r.callee.events <- ua.Event{Kind: ua.EventHold}
		}, StateHold},
		{"the callee resumes", func() { r.callee.events <- ua.Event{Kind: ua.EventUnhold} }, StateInCall},
	}
	for _, st := range steps {
		st.act()
		waitUntil(t, st.name, stateIs(st.want))
		s := r.core.Calls()[0]
		if s.ID == "" || s.Caller != "101" || s.CallerName != "Phone 101" || s.Callee != "102" || s.Dialed != "102" || !s.Start.Equal(start) {
			t.Fatalf("%s: snapshot %+v", st.name, s)
		}
		if answered := !s.Answer.IsZero(); answered != (st.want == StateInCall || st.want == StateHold) {
			t.Fatalf("%s: answer time %v in state %s", st.name, s.Answer, s.State)
		}
	}
	if _, ringing, _ := r.caller.snapshot(); ringing != 1 {
		t.Fatalf("caller got %d 180s, want 1 (none after the answer)", ringing)
	}
	r.caller.events <- ua.Event{Kind: ua.EventHangup}
	r.hist.wait(t)
	waitUntil(t, "snapshot removed", func() bool { return len(r.core.Calls()) == 0 })
}
