package pbx

import (
	"context"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// TestForwardNamesWhoAnswered: after unconditional forwards to a leg that
// does not name its extension itself (an analog or API extension's; the
// fake callee here), the snapshot and the history's callee are the
// extension that answered, the dialled number stays.
func TestForwardNamesWhoAnswered(t *testing.T) {
	tests := []struct {
		name     string
		forwards []dialplan.Forward
		want     string
	}{
		{"unconditional", []dialplan.Forward{{Extension: "102", Always: "103"}}, "103"},
		{"unconditional chain", []dialplan.Forward{{Extension: "102", Always: "103"}, {Extension: "103", Always: "104"}}, "104"},
		{"unconditional to a busy-forwarding extension", []dialplan.Forward{{Extension: "102", Always: "103"}, {Extension: "103", Busy: "105"}}, "103"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newDRig(t, dialplan.Config{Forwards: tc.forwards})
			r.dial(t, "102")
			r.waitAsked(t, tc.want)
			r.answers(t, tc.want)
			if s := r.core.Calls(); s[0].Callee != tc.want {
				t.Fatalf("snapshot callee %q, want %q", s[0].Callee, tc.want)
			}
			r.caller.events <- ua.Event{Kind: ua.EventHangup}
			if rec := r.hist.wait(t); rec.Callee != tc.want || rec.Dialed != "102" || rec.State != "CallerHangUp" {
				t.Fatalf("history %+v, want callee %s dialled 102", rec, tc.want)
			}
		})
	}
}

// TestTransferTargetForwardRingsItsOwnTime: a blind transfer to 103,
// which forwards on no answer to 104: 103 rings its no_answer_after, then
// 104 rings a full ring timeout of its own (not what is left of one
// timeout for the whole transfer), answers, and is named as the new party.
func TestTransferTargetForwardRingsItsOwnTime(t *testing.T) {
	t.Parallel()
	const noAnswerAfter = 20 * time.Second
	r := newDRig(t, dialplan.Config{Forwards: []dialplan.Forward{{Extension: "103", NoAnswer: "104", NoAnswerAfter: noAnswerAfter}}})
	r.dial(t, "102")
	r.waitAsked(t, "102")
	r.answers(t, "102")
	id := r.core.Calls()[0].ID
	res := make(chan error, 1)
	go func() {
		res <- r.core.BlindTransfer(context.Background(), Transfer{CallID: id, Transferor: PartyCaller, Target: "103"})
	}()
	r.waitAsked(t, "102", "103")
	r.legs["103"].events <- ua.Event{Kind: ua.EventRinging, Code: 180}
	start := r.clock.Now()
	advanceUntil(t, r.clock, time.Second, "no-answer forward to 104", func() bool { return len(r.asked()) == 3 })
	// 104 rings on past the ring timeout counted from the transfer's start.
	for r.clock.Now().Sub(start) < ringTimeout+5*time.Second {
		r.clock.Advance(time.Second)
		time.Sleep(2 * time.Millisecond)
	}
	if r.legs["104"].hungUp() {
		t.Fatal("104 was cancelled by a ring timeout for the whole transfer")
	}
	r.legs["104"].events <- ua.Event{Kind: ua.EventRinging, Code: 180}
	r.legs["104"].events <- ua.Event{Kind: ua.EventAnswered}
	if err := <-res; err != nil {
		t.Fatalf("BlindTransfer: %v", err)
	}
	if s := r.core.Calls(); len(s) != 1 || s[0].Caller != "104" || s[0].Callee != "102" {
		t.Fatalf("snapshot after the transfer %+v, want 104 in the caller's place", s)
	}
	r.legs["104"].events <- ua.Event{Kind: ua.EventHangup}
	waitUntil(t, "two records", func() bool { r.hist.mu.Lock(); defer r.hist.mu.Unlock(); return len(r.hist.recs) == 2 })
	r.hist.mu.Lock()
	last := r.hist.recs[1]
	r.hist.mu.Unlock()
	if last.Caller != "104" || last.Dialed != "103" {
		t.Fatalf("record after the transfer %+v, want caller 104 dialled 103", last)
	}
}
