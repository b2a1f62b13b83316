package pbx

import "context"

// CallBinder is implemented by legs that need the ID of the call they
// join, such as an API extension's leg, whose script names its call in
// notifications and call-control commands. The call's owner goroutine
// calls BindCall as soon as route has made the leg (first callee, forward
// destination, transfer target), before reading its events.
type CallBinder interface {
	BindCall(callID string)
}

// bindCall tells l its call's ID if it wants to know.
func bindCall(l Leg, callID string) {
	if b, ok := l.(CallBinder); ok {
		b.BindCall(callID)
	}
}

// cmdSync asks the owner goroutine for nothing but an answer.
const cmdSync cmdKind = 100

// Settled returns once the call's owner goroutine has handled everything
// it was given before: a leg that has just answered (its EventAnswered
// taken) learns that the caller is answered and the media bridged. It
// returns ErrNotAnswered when the call is still ringing, ErrNoCall or
// ErrCallEnded when it is gone. The guarantee needs the leg's Events
// channel to be unbuffered (a sent event has been taken); with a buffered
// one, the answer may still be queued when Settled is asked.
func (c *Core) Settled(ctx context.Context, callID string) error {
	return c.ask(ctx, callID, command{kind: cmdSync})
}
