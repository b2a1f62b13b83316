package pbx

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// A transfer that comes while an announcement (Announce: the HTTP API's
// Play/Speak) plays stops it and goes ahead; the media follows the
// transfer only once the announcement's writer has returned.

// slowAnnouncement is an Announce whose writer runs until it is
// cancelled (stopping closes then) and returns only once release is
// closed: a writer slow to stop, so the tests see the wait.
type slowAnnouncement struct {
	stopping chan struct{}
	release  chan struct{}
	result   chan error
}

func (r *xrig) announceSlow(callID string, party Party) *slowAnnouncement {
	a := &slowAnnouncement{stopping: make(chan struct{}), release: make(chan struct{}), result: make(chan error, 1)}
	started := make(chan struct{})
	var once sync.Once
	go func() {
		a.result <- r.core.Announce(context.Background(), callID, party, func(ctx context.Context, _ PacketWriter, _ sdp.Format) error {
			close(started) // one party: called once
			<-ctx.Done()
			once.Do(func() { close(a.stopping) })
			<-a.release
			return ctx.Err()
		})
	}()
	<-started
	return a
}

// stopped waits for the writer to be cancelled, then checks that the
// transfer's media waits: notYet holds while the writer has not
// returned. Then the writer returns and Announce reports the stop.
func (a *slowAnnouncement) stopped(t *testing.T, notYet func() bool) {
	t.Helper()
	select {
	case <-a.stopping:
	case <-time.After(10 * time.Second):
		t.Fatal("announcement not stopped by the transfer")
	}
	if !notYet() {
		t.Fatal("the transfer's media changed while the announcement's writer still ran")
	}
	select {
	case err := <-a.result:
		t.Fatalf("Announce returned %v before its writer did", err)
	default:
	}
	close(a.release)
	if err := <-a.result; !errors.Is(err, ErrAnnouncementStopped) {
		t.Fatalf("Announce: %v, want ErrAnnouncementStopped", err)
	}
}

func TestTransferStopsAnnouncement(t *testing.T) {
	tests := []rigCase{
		{"blind by REFER", func(t *testing.T, r *xrig) {
			a := r.announceSlow(r.id, PartyCallee)
			rep := newFakeReport()
			r.caller.events <- ua.Event{Kind: ua.EventRefer, Target: "103", Refer: rep}
			a.stopped(t, func() bool { return r.player.hears(r.callee.Endpoint()) == SoundNone })
			r.waitState(t, StateTransferring)
			waitUntil(t, "ringback to the transferee", func() bool { return r.player.hears(r.callee.Endpoint()) == SoundRingback })
			r.target.events <- ua.Event{Kind: ua.EventAnswered}
			waitUntil(t, "transferee bridged to the target", func() bool { return bridged(r.callee, r.target) })
			<-rep.Done()
			if _, final := rep.result(); final != 200 {
				t.Fatalf("final NOTIFY %d, want 200", final)
			}
			waitUntil(t, "transferor released", r.caller.hungUp)
		}},
		{"blind by the API, target answers at once", func(t *testing.T, r *xrig) {
			a := r.announceSlow(r.id, PartyCaller)
			res := r.transferAsync(PartyCallee, "103")
			r.target.events <- ua.Event{Kind: ua.EventAnswered}
			a.stopped(t, func() bool { return !bridged(r.caller, r.target) })
			if err := <-res; err != nil {
				t.Fatalf("BlindTransfer: %v", err)
			}
			waitUntil(t, "transferee bridged to the target", func() bool { return bridged(r.caller, r.target) })
		}},
		{"attended by REFER with Replaces, prompt in the transferred call", func(t *testing.T, r *xrig) {
			a := r.announceSlow(r.id, PartyCallee)
			caller2, id2 := r.secondCall(t)
			rep := newFakeReport()
			r.caller.events <- ua.Event{Kind: ua.EventRefer, Target: "103", Replaces: "abc;to-tag=1;from-tag=2", ReplacesLeg: caller2, Refer: rep}
			// The handover waits: the transferee stays in its call.
			a.stopped(t, func() bool { return len(r.core.Calls()) == 2 && !r.caller.hungUp() && !bridged(r.callee, r.target) })
			waitUntil(t, "102 bridged to 103", func() bool { return bridged(r.callee, r.target) })
			<-rep.Done()
			if _, final := rep.result(); final != 200 {
				t.Fatalf("final NOTIFY %d, want 200", final)
			}
			waitUntil(t, "101 released from both calls", func() bool { return r.caller.hungUp() && caller2.hungUp() })
			waitUntil(t, "first call gone", func() bool { return len(r.core.Calls()) == 1 && r.core.Calls()[0].ID == id2 })
		}},
		{"attended by the API, prompt in the target call", func(t *testing.T, r *xrig) {
			caller2, id2 := r.secondCall(t)
			a := r.announceSlow(id2, PartyCallee)
			if err := r.core.AttendedTransfer(context.Background(), Attended{TransferredCallID: r.id, TargetCallID: id2}); err != nil {
				t.Fatalf("AttendedTransfer: %v", err)
			}
			a.stopped(t, func() bool { return !bridged(r.callee, r.target) })
			waitUntil(t, "102 bridged to 103", func() bool { return bridged(r.callee, r.target) })
			waitUntil(t, "101 released from both calls", func() bool { return r.caller.hungUp() && caller2.hungUp() })
		}},
		{"INVITE with Replaces", func(t *testing.T, r *xrig) {
			a := r.announceSlow(r.id, PartyCaller)
			in := replacingCaller{&fakeCaller{fakeLeg: newFakeLeg(t, r.pool), dialed: "102"}, r.callee}
			r.core.Incoming(in)
			a.stopped(t, func() bool { return !bridged(r.caller, in) })
			waitUntil(t, "bridged to the new leg", func() bool { return bridged(r.caller, in) })
			waitUntil(t, "replaced leg hung up", r.callee.hungUp)
		}},
	}
	runRigCases(t, tests)
}

// TestCallEndsWhileHandoverWaits: the transferee hangs up while an
// attended transfer's handover waits for the announcement to stop: the
// call ends, the REFER fails and Announce reports the end.
func TestCallEndsWhileHandoverWaits(t *testing.T) {
	r := newXRig(t)
	a := r.announceSlow(r.id, PartyCallee)
	caller2, _ := r.secondCall(t)
	rep := newFakeReport()
	r.caller.events <- ua.Event{Kind: ua.EventRefer, Target: "103", Replaces: "abc;to-tag=1;from-tag=2", ReplacesLeg: caller2, Refer: rep}
	<-a.stopping
	r.callee.events <- ua.Event{Kind: ua.EventHangup}
	waitUntil(t, "transferor released", r.caller.hungUp) // the call ends before the writer returns
	close(a.release)
	if err := <-a.result; !errors.Is(err, ErrCallEnded) && !errors.Is(err, ErrAnnouncementStopped) {
		t.Fatalf("Announce: %v", err)
	}
	<-rep.Done()
	if _, final := rep.result(); final == 200 {
		t.Fatal("the transfer of a call that ended succeeded")
	}
	if caller2.hungUp() || r.target.hungUp() {
		t.Fatal("the other call was disturbed")
	}
	r.core.Shutdown(context.Background())
}

// TestReferRefusedWhileSendingKeys: a SendDTMF sending keys (not an
// announcement) still refuses a transfer with 491.
func TestReferRefusedWhileSendingKeys(t *testing.T) {
	r := newXRig(t)
	phone := r.callerPhone(t)
	sent := make(chan error, 1)
	keys := strings.Repeat("0123456789*#", 3)[:maxDTMFKeys] // 6.4 s
	go func() { sent <- r.core.SendDTMF(context.Background(), r.id, keys, PartyCaller) }()
	buf := make([]byte, 1500)
	if err := phone.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := phone.Read(buf); err != nil { // the keys are being sent
		t.Fatal(err)
	}
	rep := newFakeReport()
	r.callee.events <- ua.Event{Kind: ua.EventRefer, Target: "103", Refer: rep}
	<-rep.Done()
	if _, final := rep.result(); final != 491 {
		t.Fatalf("REFER while sending keys answered %d, want 491", final)
	}
	if !r.core.Hangup(r.id) {
		t.Fatal("hangup did not find the call")
	}
	if err := <-sent; !errors.Is(err, ErrCallEnded) {
		t.Fatalf("SendDTMF of a call hung up: %v", err)
	}
}

// callerPhone is a socket standing for 101's phone: what the core sends
// on the caller's leg arrives there.
func (r *xrig) callerPhone(t *testing.T) *net.UDPConn {
	t.Helper()
	phone, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { phone.Close() })
	r.caller.Endpoint().SetRemote(phone.LocalAddr().(*net.UDPAddr).AddrPort())
	return phone
}

// rigCase is a named scenario on a fresh xrig call.
type rigCase struct {
	name string
	run  func(t *testing.T, r *xrig)
}

// runRigCases runs each case in parallel on its own rig and shuts its
// core down after it.
func runRigCases(t *testing.T, cases []rigCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newXRig(t)
			tc.run(t, r)
			r.core.Shutdown(context.Background())
		})
	}
}
