package ozml

import (
	"context"
	"errors"
	"strings"
)

// reject refuses the unanswered call; only the first verb may do that.
func (r *run) reject(ctx context.Context, n *Node, first bool) error {
	if !first {
		return r.skip(n, "Reject is only valid as the first verb")
	}
	if r.call == nil {
		return r.skip(n, "needs a call")
	}
	end := &endSignal{outcome: Rejected, reason: "Reject"}
	if err := r.call.Reject(ctx, r.in.opts.RejectCode); err != nil && !errors.Is(err, ErrCallEnded) {
		end.err = err
	}
	return end
}

func (r *run) hangup(ctx context.Context, n *Node) error {
	if r.call == nil {
		return r.skip(n, "needs a call")
	}
	end := &endSignal{outcome: HungUp, reason: "Hangup"}
	if err := r.call.Hangup(ctx); err != nil && !errors.Is(err, ErrCallEnded) {
		end.err = err
	}
	return end
}

// transfer runs BlindTransfer, AttendedTransfer and ForwardCall: success
// means the call has left the script; a failure falls through to the next
// verb (the reference's BlindTransfer example).
func (r *run) transfer(ctx context.Context, n *Node) error {
	if r.call == nil {
		return r.skip(n, "needs a call")
	}
	var err error
	var to string
	switch n.Name {
	case "blindtransfer":
		if to = strings.TrimSpace(r.str(n, "target")); to == "" {
			return r.skip(n, "no Target")
		}
		err = r.call.BlindTransfer(ctx, to)
	case "attendedtransfer":
		if to = strings.TrimSpace(r.str(n, "targetcallid")); to == "" {
			return r.skip(n, "no TargetCallId")
		}
		from := strings.TrimSpace(r.str(n, "transferredcallid"))
		if from == "" {
			from = r.call.Info()["CallId"]
		}
		err = r.call.AttendedTransfer(ctx, from, to)
	case "forwardcall":
		if to = strings.TrimSpace(r.str(n, "destination")); to == "" {
			return r.skip(n, "no Destination")
		}
		err = r.call.ForwardCall(ctx, to)
	}
	if err == nil {
		return &endSignal{outcome: LeftScript, reason: n.DisplayName() + " to " + to}
	}
	return r.callErr(ctx, n, err)
}

// dtmfKeys are the keys SendDTMF may send and UserInput may collect.
const dtmfKeys = "0123456789*#ABCD"

func (r *run) sendDTMF(ctx context.Context, n *Node) error {
	keys := strings.ToUpper(strings.TrimSpace(r.str(n, "keys")))
	if keys == "" {
		return r.skip(n, "no Keys")
	}
	for _, c := range keys {
		if !strings.ContainsRune(dtmfKeys, c) {
			return r.skip(n, "Keys %q: %q is not a DTMF key", keys, c)
		}
	}
	return r.callErr(ctx, n, r.call.SendDTMF(ctx, keys))
}
