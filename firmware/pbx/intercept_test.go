package pbx

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// interceptor answers RoutingInterception by LastCallState and keeps the
// requests.
type interceptor struct {
	mu      sync.Mutex
	reqs    []InterceptRequest
	answers map[string]InterceptRoute // missing: no answer
}

func (i *interceptor) ask(_ context.Context, req InterceptRequest) (InterceptRoute, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.reqs = append(i.reqs, req)
	rt, ok := i.answers[req.LastCallState]
	return rt, ok
}

func (i *interceptor) states() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	var s []string
	for _, r := range i.reqs {
		s = append(s, r.LastCallState+":"+r.LastDialedNumber)
	}
	return s
}

func TestRoutingInterception(t *testing.T) {
	tests := []struct {
		name    string
		answers map[string]InterceptRoute
		fail    int // 102's final answer, 0: none
		asked   []string
		answer  string // who answers; "" when the caller is rejected
		reject  int
		states  []string
		trunk   []string
	}{
		{name: "no answer keeps the routing", asked: []string{"102"}, answer: "102", states: []string{"Calling:"}},
		{name: "route elsewhere", answers: map[string]InterceptRoute{InterceptCalling: {Destination: "103"}},
			asked: []string{"103"}, answer: "103", states: []string{"Calling:"}},
		{name: "empty destination rejects", answers: map[string]InterceptRoute{InterceptCalling: {}},
			reject: InterceptRejectCode, states: []string{"Calling:"}},
		{name: "asked again when busy", answers: map[string]InterceptRoute{InterceptBusy: {Destination: "104"}}, fail: 486,
			asked: []string{"102", "104"}, answer: "104", states: []string{"Calling:", "Busy:102"}},
		{name: "failure without a route stays", fail: 404, asked: []string{"102"}, reject: 404, states: []string{"Calling:", "NotFound:102"}},
		{name: "declined is not asked about", answers: map[string]InterceptRoute{"Rejected": {Destination: "104"}}, fail: 603,
			asked: []string{"102"}, reject: 603, states: []string{"Calling:"}},
		{name: "unknown destination", answers: map[string]InterceptRoute{InterceptCalling: {Destination: "777"}},
			reject: 404, states: []string{"Calling:"}},
		{name: "trunk by name", answers: map[string]InterceptRoute{InterceptCalling: {Destination: "a", DialedNumber: "5551234"}},
			states: []string{"Calling:"}, trunk: []string{"a:5551234"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newDRig(t, dialplan.Config{})
			ic := &interceptor{answers: tc.answers}
			r.rt.Intercept = ic.ask
			r.dial(t, "102")
			if tc.trunk != nil {
				waitUntil(t, "trunk call", func() bool { return slices.Equal(r.trunk.calls(), tc.trunk) })
				return
			}
			if tc.asked != nil {
				r.waitAsked(t, tc.asked[:1]...)
			}
			if tc.fail != 0 {
				r.legs["102"].events <- ua.Event{Kind: ua.EventFailed, Code: tc.fail}
			}
			if tc.answer != "" {
				r.waitAsked(t, tc.asked...)
				r.answers(t, tc.answer)
			} else {
				r.rejected(t, tc.reject)
			}
			if got := ic.states(); !slices.Equal(got, tc.states) {
				t.Fatalf("asked %v, want %v", got, tc.states)
			}
			req := ic.reqs[0]
			if req.CallerID != "101" || req.CallerExtension != "101" || req.OriginalDialedNumber != "102" || req.CallID == "" {
				t.Fatalf("request %+v", req)
			}
		})
	}
}
