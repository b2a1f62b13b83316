package ozml

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gatepbx/gatepbx/api/ozml/bus"
)

// TestMessageBusBetweenScripts runs scripts on several calls at once:
// each waits for a message from the script before it and passes one on
// (run with -race).
func TestMessageBusBetweenScripts(t *testing.T) {
	const n = 8
	b := bus.New(bus.Limits{})
	h := newHarness(t, newFakeEnv(t, nil))
	h.clock.blocked = true // WaitForMsg timeouts never fire: the scripts must really meet
	h.opts.Bus = b
	in := New(h.env, h.opts)
	results := make([]Result, n)
	var wg sync.WaitGroup
	for i := range n {
		doc := fmt.Sprintf(`<Response><WaitForMsg Connection="ivr%d" Id="m"/><SendMsg ToConnection="ivr%d">$m,%d</SendMsg><Speak>$m</Speak></Response>`, i, i+1, i)
		d, err := Parse([]byte(doc), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		want := "start"
		for j := range i {
			want += fmt.Sprintf(",%d", j)
		}
		call := newFakeCall(t, step{op: "answer"}, step{op: "speak " + want}, step{op: "hangup"})
		call.info = map[string]string{"CallId": fmt.Sprint("c", i)}
		wg.Go(func() { results[i] = in.Run(t.Context(), call, d, RunOptions{}) })
	}
	if err := b.Send("IVR0", "start"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, r := range results {
		if r.Outcome != HungUp || r.Err != nil {
			t.Errorf("script %d: %+v", i, r)
		}
	}
	if got, err := b.Receive(context.Background(), fmt.Sprint("ivr", n)); err != nil || !strings.HasPrefix(got, "start,0,1") {
		t.Errorf("last message %q, %v", got, err)
	}
}

func TestWaitForMsg(t *testing.T) {
	b := bus.New(bus.Limits{MaxMessageBytes: 10})
	h := newHarness(t, newFakeEnv(t, nil))
	h.opts.Bus = b
	if err := b.Send("500", "queued"); err != nil { // the default connection is the ApiExtension
		t.Fatal(err)
	}
	res := h.run(t, newFakeCall(t, step{op: "answer"}, step{op: "speak got queued"}, step{op: "speak timeout []"}, step{op: "hangup"}), `<Response>
		<WaitForMsg/><Speak>got $message</Speak>
		<WaitForMsg From="nobody" Var="t" Timeout="3"/><Speak>timeout [$t]</Speak>
		<SendMsg To="x">this is longer than ten bytes</SendMsg>
	</Response>`)
	wantResult(t, res, HungUp, "end of script")
	if got := h.clock.total(); got != 3e9 {
		t.Errorf("waited %v, want 3s", got)
	}
	if !strings.Contains(h.logs(), "message too large") || !strings.Contains(h.logs(), "WaitForMsg timed out") {
		t.Errorf("log: %s", h.logs())
	}
}
