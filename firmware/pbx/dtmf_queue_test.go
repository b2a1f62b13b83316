package pbx

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Keys a phone sends by signalling (SIP INFO) while the API sends keys or
// an announcement plays wait for it to end and then reach the far party
// as RFC 4733 events; during a transfer they are dropped.

// legPhone is a socket standing for the phone of l: what the core sends
// on the leg arrives there.
func legPhone(t *testing.T, l Leg) *keyReader {
	t.Helper()
	phone, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { phone.Close() })
	l.Endpoint().SetRemote(phone.LocalAddr().(*net.UDPAddr).AddrPort())
	return &keyReader{phone: phone}
}

// keyReader reads the RFC 4733 events arriving at a phone, one key per
// event: an event's end packets share its stream and timestamp.
type keyReader struct {
	phone *net.UDPConn
	last  uint64 // SSRC and timestamp of the last event
}

// keys reads the next n keys.
func (kr *keyReader) keys(t *testing.T, n int) string {
	t.Helper()
	var keys []byte
	buf := make([]byte, 1500)
	for len(keys) < n {
		size := kr.read(t, buf)
		if size != 16 || buf[1]&0x7f != sdp.TelephoneEvent.PT || buf[13]&0x80 == 0 {
			continue // audio, or not an event's end
		}
		if ev := uint64(binary.BigEndian.Uint32(buf[8:]))<<32 | uint64(binary.BigEndian.Uint32(buf[4:])); ev != kr.last {
			keys, kr.last = append(keys, "0123456789*#ABCD"[buf[12]&0x0f]), ev
		}
	}
	return string(keys)
}

// read reads the next packet into buf.
func (kr *keyReader) read(t *testing.T, buf []byte) int {
	t.Helper()
	if err := kr.phone.SetReadDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := kr.phone.Read(buf)
	if err != nil {
		t.Fatalf("phone: %v", err)
	}
	return n
}

// pressInfo sends a key from l's phone by signalling and returns once
// the call's owner goroutine has handled it.
func (r *xrig) pressInfo(t *testing.T, l *fakeLeg, key byte) {
	t.Helper()
	l.events <- ua.Event{Kind: ua.EventDTMF, Digit: key, Signalled: true}
	waitUntil(t, "key taken", func() bool { return len(l.events) == 0 })
	if err := r.core.Settled(context.Background(), r.id); err != nil {
		t.Fatalf("Settled: %v", err)
	}
}

func TestRelayedKeysWait(t *testing.T) {
	apiKeys := strings.Repeat("0123456789*#", 2)[:16] // 3.2 s: the relayed key comes meanwhile
	// The caller's leg negotiated telephone-event; the callee's did not
	// (keys sent to it are tones).
	tests := []rigCase{
		{"API SendDTMF to the callee, key from the callee", func(t *testing.T, r *xrig) {
			caller, callee := legPhone(t, r.caller), legPhone(t, r.callee)
			sent := r.sendDTMFAsync(apiKeys, PartyCallee)
			callee.read(t, make([]byte, 1500)) // the API's keys are being sent
			r.pressInfo(t, r.callee.fakeLeg, '5')
			notYet(t, sent, "SendDTMF")
			if got := caller.keys(t, 1); got != "5" {
				t.Fatalf("caller got %q, want 5", got)
			}
			if err := <-sent; err != nil {
				t.Fatalf("SendDTMF: %v", err)
			}
		}},
		{"API SendDTMF to the caller, keys from the callee after it", func(t *testing.T, r *xrig) {
			caller := legPhone(t, r.caller)
			sent := r.sendDTMFAsync(apiKeys, PartyCaller)
			caller.keys(t, 1)
			r.pressInfo(t, r.callee.fakeLeg, '5')
			r.pressInfo(t, r.callee.fakeLeg, 'D')
			notYet(t, sent, "SendDTMF")
			if got := caller.keys(t, len(apiKeys)+1); got != apiKeys[1:]+"5D" {
				t.Fatalf("caller got %q, want %q", got, apiKeys[1:]+"5D")
			}
			if err := <-sent; err != nil {
				t.Fatalf("SendDTMF: %v", err)
			}
		}},
		{"announcement, keys of both sides", func(t *testing.T, r *xrig) {
			caller := legPhone(t, r.caller)
			release := make(chan struct{})
			played := r.announceUntil(PartyCallee, release)
			r.pressInfo(t, r.caller.fakeLeg, '7') // to the callee, first
			r.pressInfo(t, r.callee.fakeLeg, '#')
			r.pressInfo(t, r.callee.fakeLeg, '9')
			close(release)
			if err := <-played; err != nil {
				t.Fatalf("Announce: %v", err)
			}
			if got := caller.keys(t, 2); got != "#9" {
				t.Fatalf("caller got %q, want #9", got)
			}
			waitUntil(t, "bridge restored", func() bool { return bridged(r.caller, r.callee) })
		}},
		{"key during a transfer is dropped", func(t *testing.T, r *xrig) {
			caller := legPhone(t, r.caller)
			res := r.transferAsync(PartyCallee, "103")
			r.waitState(t, StateTransferring)
			r.pressInfo(t, r.callee.fakeLeg, '1') // the transferor
			r.target.events <- ua.Event{Kind: ua.EventAnswered}
			if err := <-res; err != nil {
				t.Fatalf("BlindTransfer: %v", err)
			}
			waitUntil(t, "transferee bridged to the target", func() bool { return bridged(r.caller, r.target) })
			r.pressInfo(t, r.target.fakeLeg, '2')
			if got := caller.keys(t, 1); got != "2" {
				t.Fatalf("caller got %q first, want 2", got)
			}
		}},
	}
	runRigCases(t, tests)
}

// sendDTMFAsync runs Core.SendDTMF in the background.
func (r *xrig) sendDTMFAsync(keys string, party Party) <-chan error {
	sent := make(chan error, 1)
	go func() { sent <- r.core.SendDTMF(context.Background(), r.id, keys, party) }()
	return sent
}

// announceUntil runs an Announce to party whose writer returns once
// release is closed; it returns when the writer runs.
func (r *xrig) announceUntil(party Party, release <-chan struct{}) <-chan error {
	played := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		played <- r.core.Announce(context.Background(), r.id, party, func(ctx context.Context, _ PacketWriter, _ sdp.Format) error {
			close(started) // one party: called once
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	<-started
	return played
}

// notYet fails when what has already returned: the key was meant to come
// while it ran.
func notYet(t *testing.T, res <-chan error, what string) {
	t.Helper()
	select {
	case err := <-res:
		t.Fatalf("%s returned (%v) before the key was handled; machine too slow?", what, err)
	default:
	}
}
