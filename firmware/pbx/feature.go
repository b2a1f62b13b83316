package pbx

import (
	"fmt"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// FeatureHold is how long a feature-code call stays answered before the
// appliance hangs up: the phone shows the call connected, then ended.
const FeatureHold = time.Second

// featureCall carries out a feature code dialled by from: the forwarding,
// do-not-disturb and call-waiting codes change the caller's rule in the
// live table (saved through Routing.ForwardsChanged), and the call is
// answered (200) and hung up (BYE) after FeatureHold. A caller that is not
// an extension, or a rule that would not be valid (forwarding to itself),
// gets 403. The pickup codes are carried out by Incoming (pickup.go)
// before a call is made; reached any other way (as a transfer or forward
// target) they get 501.
func (c *Core) featureCall(rt *Routing, feat dialplan.Feature, dialled string, from ua.Party, formats []sdp.Format) (CalleeLeg, *ConnectError) {
	reject := func(code int, reason, cause string) (CalleeLeg, *ConnectError) {
		return nil, &ConnectError{Target: dialled, State: "Rejected", Code: code, Reason: reason, Cause: cause}
	}
	if _, ok := c.Directory().Lookup(from.Number); !ok || rt.Forwards == nil {
		return reject(403, "Forbidden", fmt.Sprintf("feature %s: caller %q has no forwarding rules", feat.Action, from.Number))
	}
	handled, err := feat.Apply(rt.Forwards, from.Number)
	if !handled {
		return reject(501, "Not Implemented", fmt.Sprintf("feature %s not implemented", feat.Action))
	}
	if err != nil {
		return reject(403, "Forbidden", err.Error())
	}
	c.log.Info("feature code", "extension", from.Number, "action", string(feat.Action), "arg", feat.Arg)
	if rt.ForwardsChanged != nil {
		rt.ForwardsChanged(rt.Forwards.All())
	}
	if rt.Endpoint == nil {
		return reject(480, "Temporarily Unavailable", "feature done; no endpoint to answer with")
	}
	ep, eerr := rt.Endpoint()
	if eerr != nil {
		return reject(503, "Service Unavailable", fmt.Sprintf("feature done; endpoint: %v", eerr))
	}
	f := &featureLeg{ep: ep, events: make(chan ua.Event, 2), done: make(chan struct{}), formats: formats}
	f.events <- ua.Event{Kind: ua.EventAnswered}
	go f.run(c.opts.Clock.After(FeatureHold))
	return f, nil
}

// featureLeg is the callee of a feature-code call: answered at once, it
// hangs up after FeatureHold. Its endpoint sends nothing.
type featureLeg struct {
	ep      *relay.Endpoint
	events  chan ua.Event
	formats []sdp.Format
	once    sync.Once
	done    chan struct{}
}

func (f *featureLeg) run(after <-chan time.Time) {
	select {
	case <-after:
		f.events <- ua.Event{Kind: ua.EventHangup}
	case <-f.done:
	}
}

func (f *featureLeg) Events() <-chan ua.Event   { return f.events }
func (f *featureLeg) Endpoint() *relay.Endpoint { return f.ep }
func (f *featureLeg) Done() <-chan struct{}     { return f.done }
func (f *featureLeg) Formats() []sdp.Format     { return f.formats }
func (f *featureLeg) Hangup() {
	f.once.Do(func() {
		relay.Unbridge(f.ep)
		f.ep.Close()
		close(f.done)
	})
}
