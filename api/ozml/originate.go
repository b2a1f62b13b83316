package ozml

import (
	"context"
	"strings"
)

// originate runs the Call verb: Env places the call and runs its script
// when it is answered; this script goes on at once.
func (r *run) originate(ctx context.Context, n *Node) error {
	req := CallRequest{
		Dialed:            strings.TrimSpace(r.str(n, "dialed")),
		APIExtension:      r.apiExtension(n, "apiextension"),
		CallerID:          r.str(n, "callerid"),
		CallerDisplayName: r.str(n, "callerdisplayname"),
		URL:               strings.TrimSpace(r.str(n, "url")),
		ErrorURL:          strings.TrimSpace(r.str(n, "errorurl")),
		FinishedURL:       strings.TrimSpace(r.str(n, "finishedurl")),
	}
	if req.Dialed == "" {
		return r.skip(n, "no Dialed")
	}
	rt, _, err := r.seconds(n, "ringtime")
	if err != nil {
		return r.skip(n, "%v", err)
	}
	req.RingTime = rt
	if c := n.Child("responseozml"); c != nil {
		req.Script = &Document{Root: &Node{Name: "response", Children: c.Children}, Source: r.doc.Source}
	} else if raw, ok := n.Attrs["responseozml"]; ok && strings.TrimSpace(raw) != "" {
		doc, err := Parse([]byte(raw), r.lim)
		if err != nil {
			return r.skip(n, "ResponseOzML: %v", err)
		}
		doc.Source = r.doc.Source
		req.Script = doc
	}
	if r.err != nil {
		return r.err
	}
	return r.callErr(ctx, n, r.in.env.Call(ctx, req))
}

// apiExtension is the API extension a verb places its call from: its
// attr, else the API extension of the script's own call.
func (r *run) apiExtension(n *Node, attr string) string {
	if ext := strings.TrimSpace(r.str(n, attr)); ext != "" || r.call == nil {
		return ext
	}
	return r.call.Info()["ApiExtension"]
}

func (r *run) callSetup(ctx context.Context, n *Node) error {
	caller, callee := strings.TrimSpace(r.str(n, "caller")), strings.TrimSpace(r.str(n, "callee"))
	if caller == "" || callee == "" {
		return r.skip(n, "needs Caller and Callee")
	}
	return r.callErr(ctx, n, r.in.env.CallSetup(ctx, caller, callee, strings.TrimSpace(r.str(n, "errorurl"))))
}

// request runs the Request verb: it places a call and runs the block
// named after each state it reaches (OnSetup, OnRinging, OnInCall,
// OnCompleted, OnBusy, OnNotFound, OnRejected, OnError). OnInCall runs as
// a script of its own on the answered call (hung up when the block ends,
// like any script); the other blocks run in this script. The verb returns
// after the final state. Leaving it early (GoTo in a block, the run's
// end) hangs the placed call up.
func (r *run) request(ctx context.Context, n *Node) error {
	p := RequestParams{
		DialedAddress:     strings.TrimSpace(r.str(n, "dialedaddress")),
		ExtensionAddress:  r.apiExtension(n, "extensionaddress"),
		CallerPhoneNumber: r.str(n, "callerphonenumber"),
		CallerDisplayName: r.str(n, "callerdisplayname"),
	}
	if p.DialedAddress == "" {
		return r.skip(n, "no DialedAddress")
	}
	if p.ExtensionAddress == "" {
		return r.skip(n, "no ExtensionAddress (and no call whose API extension places it)")
	}
	rt, _, err := r.seconds(n, "ringtime")
	if err != nil {
		return r.skip(n, "%v", err)
	}
	p.RingTime = rt
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := r.in.env.Request(rctx, p)
	if err != nil {
		return r.callErr(ctx, n, err)
	}
	for {
		var ev RequestEvent
		var ok bool
		select {
		case ev, ok = <-events:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			return nil
		}
		if ev.Err != nil {
			r.log.Info("ozml: Request failed", "line", n.Line, "state", ev.State, "err", ev.Err)
		}
		block := n.Child("on" + strings.ToLower(ev.State))
		if block == nil {
			continue
		}
		if ev.State == StateInCall && ev.Call != nil {
			doc := &Document{Root: &Node{Name: "response", Children: block.Children}, Source: r.doc.Source}
			vars := make(map[string]string, len(r.vars.vals))
			for k, v := range r.vars.vals {
				vars[k] = v
			}
			res := r.in.Run(rctx, ev.Call, doc, RunOptions{Answered: true, Vars: vars})
			r.log.Info("ozml: Request OnInCall ended", "outcome", res.Outcome, "reason", res.Reason)
			continue
		}
		if err := r.block(ctx, block.Children); err != nil {
			return err
		}
	}
}
