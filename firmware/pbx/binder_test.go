package pbx

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// bindingCallee is a callee that wants its call's ID.
type bindingCallee struct {
	fakeCallee
	ids chan string
}

func (b bindingCallee) BindCall(id string) { b.ids <- id }

type bindingOriginator struct{ callee bindingCallee }

func (o bindingOriginator) Originate(context.Context, string, ua.Party, []sdp.Format) (CalleeLeg, error) {
	return o.callee, nil
}

// TestLegsLearnTheirCall: a CallBinder leg gets the call's ID; Settled
// tells it when its answer has been handled (the media bridged);
// Announce plays to a party with the bridge down meanwhile; Ended follows
// the call.
func TestLegsLearnTheirCall(t *testing.T) {
	pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 43000, Max: 43998})
	if err != nil {
		t.Fatal(err)
	}
	dir := NewDirectory([]config.Extension{{Number: "101", Kind: "sip", Password: "x"}, {Number: "200", Kind: "api", URL: "http://app"}})
	core := New(Options{Clock: &fakeClock{now: time.Unix(1_800_000_000, 0)}, History: &memHistory{}, Directory: dir, RingTimeout: ringTimeout})
	// Unbuffered events, as an API extension's leg has: a sent event has
	// been taken by the call's goroutine, which is what Settled relies on.
	calleeLeg := newFakeLeg(t, pool)
	calleeLeg.events = make(chan ua.Event)
	callee := bindingCallee{fakeCallee{calleeLeg}, make(chan string, 1)}
	core.SetKindOriginator("api", bindingOriginator{callee})
	caller := &fakeCaller{fakeLeg: newFakeLeg(t, pool), dialed: "200"}
	core.Incoming(caller)
	id := <-callee.ids
	if calls := core.Calls(); len(calls) != 1 || calls[0].ID != id {
		t.Fatalf("bound to %q, calls %+v", id, calls)
	}
	ctx := context.Background()
	if err := core.Settled(ctx, id); !errors.Is(err, ErrNotAnswered) {
		t.Fatalf("Settled while ringing: %v", err)
	}
	ended := core.Ended(id)
	callee.events <- ua.Event{Kind: ua.EventAnswered}
	if err := core.Settled(ctx, id); err != nil {
		t.Fatalf("Settled after the answer: %v", err)
	}
	if caller.ep.Peer() != callee.ep {
		t.Fatal("not bridged once settled")
	}
	err = core.Announce(ctx, id, PartyCaller, func(_ context.Context, w PacketWriter, f sdp.Format) error {
		if w != PacketWriter(caller.ep) || f.Name != "PCMA" || caller.ep.Peer() != nil {
			return errors.New("announcement to the wrong endpoint or over the bridge")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Announce: %v", err)
	}
	if caller.ep.Peer() != callee.ep {
		t.Fatal("not bridged again after the announcement")
	}
	if err := core.Announce(ctx, id, 0, nil); !errors.Is(err, ErrBadParty) {
		t.Fatalf("Announce to nobody: %v", err)
	}
	select {
	case <-ended:
		t.Fatal("Ended before the end")
	default:
	}
	core.Hangup(id)
	<-ended
	select {
	case <-core.Ended("nosuch"):
	default:
		t.Fatal("Ended of an unknown call is open")
	}
	if err := core.Settled(ctx, id); !errors.Is(err, ErrNoCall) && !errors.Is(err, ErrCallEnded) {
		t.Fatalf("Settled after the end: %v", err)
	}
}
