package ozml

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		seedExample,
		twoLevelMenu,
		`<response><var id="x">1</var><speak>$x</speak></response>`,
		`<OzML><Array id="a"><item>1</item></Array><ForEach source="a"><Play>$item.wav</Play></ForEach></OzML>`,
		`<Response><Request DialedAddress="1"><OnInCall><Speak>x</Speak></OnInCall></Request></Response>`,
		`<Response><Call Dialed="1"><ResponseOzML><Beep/></ResponseOzML></Call></Response>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><Response><Speak>caf` + "\xe9" + `</Speak></Response>`,
		`<Response><Speak>`,
		``,
	} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxDocumentBytes: 4096, MaxDepth: 8, MaxElements: 200}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Parse(body, lim)
		if err != nil {
			var pe *ParseError
			if !errors.Is(err, ErrEmpty) && !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		count := 0
		var walk func(n *Node, depth int)
		walk = func(n *Node, depth int) {
			count++
			if depth > lim.MaxDepth {
				t.Fatalf("depth %d over the limit", depth)
			}
			if _, ok := elements[n.Name]; !ok {
				t.Fatalf("unknown element %q admitted", n.Name)
			}
			for _, c := range n.Children {
				walk(c, depth+1)
			}
		}
		walk(d.Root, 1)
		if count > lim.MaxElements {
			t.Fatalf("%d elements over the limit", count)
		}
		_, _, _ = RouteDecision(body, lim)
	})
}

// errEnv fails every request from a script.
type errEnv struct{}

func (errEnv) Fetch(context.Context, string, url.Values) ([]byte, error) { return nil, errFake }
func (errEnv) Call(context.Context, CallRequest) error                   { return errFake }
func (errEnv) CallSetup(context.Context, string, string, string) error   { return errFake }
func (errEnv) Request(context.Context, RequestParams) (<-chan RequestEvent, error) {
	ch := make(chan RequestEvent, 2)
	ch <- RequestEvent{State: StateRinging}
	ch <- RequestEvent{State: StateBusy}
	close(ch)
	return ch, nil
}

// FuzzRun runs any document that parses on a call that accepts
// everything: every run must end, within the limits, without a panic.
func FuzzRun(f *testing.F) {
	for _, s := range []string{
		seedExample,
		twoLevelMenu,
		`<Response><Array id="a"><item>1</item><item>2</item></Array><ForEach source="a"><ForEach source="a"><Var id="x">$x$x$item</Var></ForEach></ForEach></Response>`,
		`<Response><UserInput Repeat="true" Digits="2"><InitialCommands><Delay>1</Delay></InitialCommands></UserInput></Response>`,
		`<Response><Request DialedAddress="1"><OnBusy><GoTo>x</GoTo></OnBusy></Request></Response>`,
		`<Response><Record FinishDigits="#" FinishedUrl="x"/><Reject/><Call Dialed="1"/></Response>`,
	} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxDocumentBytes: 4096, MaxDepth: 8, MaxElements: 200, MaxLoopIterations: 50, MaxGoToHops: 3, MaxVarBytes: 4096, MaxRunTime: time.Hour}
	in := New(errEnv{}, Options{Limits: lim, Clock: newAutoClock(), Logger: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Parse(body, lim)
		if err != nil {
			return
		}
		res := in.Run(context.Background(), nopCall{digits: make(chan byte)}, d, RunOptions{})
		if res.Outcome == 0 || res.Err != nil && strings.Contains(res.Err.Error(), "internal error") {
			t.Fatalf("result %+v", res)
		}
	})
}
