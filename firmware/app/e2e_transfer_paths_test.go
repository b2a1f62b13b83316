package app

import (
	"encoding/binary"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// End-to-end checks of the transfer, hold and forwarding paths that
// e2e_transfer_test.go and e2e_dialplan_test.go leave out: a REFER target
// that does not answer, a failure after the transferor left (congestion,
// then release), the advertised transfer capabilities, hold music as
// audio energy, RTP continuity at the surviving party, and forwards
// (unconditional, looping, through a trunk, sequential ring groups).

// TestReferTargetNoAnswer: the REFER target rings past the ring timeout:
// the transferor gets NOTIFY 180, then 480, and keeps its call.
func TestReferTargetNoAnswer(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.SIP.RingTimeout = 2 * time.Second
	a := startTestApp(t, cfg)
	transferee := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	target := phone(t, a, "103", "uas_ring_cancel.xml", "", map[string]string{}, false)
	vars := map[string]string{"USER": "101", "TARGET": "103", "REFERPARAMS": "", "FINAL": "480 Temporarily Unavailable", "TALK": "1000"}
	transferor := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", vars, "refer_send.part", "notify_ringing.part", "notify_final.part", "hangup_caller.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
	waitBoth(t, transferor, transferee)
	if err := target.Wait(); err != nil {
		t.Fatalf("103 (cancelled): %v", err)
	}
	if rec := lastRecord(t, a, 1); rec.State != "CallerHangUp" || rec.Caller != "101" || rec.Callee != "102" {
		t.Fatalf("history record %+v, want the original call ending CallerHangUp", rec)
	}
}

// TestReferFailsAfterTransferorLeft: 101 REFERs 102 to 103 and hangs up
// at once; 103 rings, then is busy: 102 hears the congestion tone (its
// echo of it comes back with energy) and is released by BYE; the call
// ends TransferFailed.
func TestReferFailsAfterTransferorLeft(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	transferee := callee(t, a, "uas_answer.xml", "uas_wait.part", 0) // echoes what it hears
	target := phone(t, a, "103", "uas_ring_busy.xml", "", map[string]string{"RINGMS": "1500"}, false)
	vars := map[string]string{"USER": "101", "TARGET": "103", "REFERPARAMS": "", "TALK": "1000"}
	transferor := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", vars, "refer_send.part", "refer_bye.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(), Extra: []string{"-aa"}})
	_, calleeEP, ok := a.Core().Endpoints(answeredCallID(t, a, transferor))
	if !ok {
		t.Fatal("no endpoints for the call")
	}
	if err := transferor.Wait(); err != nil {
		t.Fatalf("101 (transferor): %v", err)
	}
	// From here on, everything 102 sends back is its echo of what the
	// appliance plays it: ringback, then congestion.
	var heard energyTap
	calleeEP.SetAudioTap(heard.tap())
	if err := transferee.Wait(); err != nil { // passes only with its BYE
		t.Fatalf("102 (transferee): %v", err)
	}
	if err := target.Wait(); err != nil {
		t.Fatalf("103 (busy): %v", err)
	}
	rec := lastRecord(t, a, 1)
	if rec.State != "TransferFailed" || rec.Callee != "102" {
		t.Fatalf("history record %+v, want TransferFailed", rec)
	}
	t.Logf("102 heard up to %.1f dBm0 after the transferor left", heard.dBm0())
	if lvl := heard.dBm0(); lvl < -30 {
		t.Fatalf("102 heard %.1f dBm0 after the transferor left, want ringback/congestion tone", lvl)
	}
}

// TestAdvertisesTransferCapabilities: the appliance's INVITE to a phone
// and its 200 OK to the caller carry Supported: replaces and an Allow
// with REFER and NOTIFY (checked by the SIPp scenarios).
func TestAdvertisesTransferCapabilities(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_caps.xml", "uas_wait.part", 0)
	c := caller(t, a, "uac_caps.xml", "hangup_caller.part", "102", map[string]string{"TALK": "300"})
	waitBoth(t, c, b)
}

// rtpSeen is what a test phone's RTP socket received: SSRC, sequence
// number and timestamp of each packet, in arrival order.
type rtpSeen struct {
	mu   sync.Mutex
	pkts [][3]uint32
}

// collect reads conn until it is quiet for 5 s (bounded by a minute).
func (r *rtpSeen) collect(conn *net.UDPConn) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		end := time.Now().Add(time.Minute)
		for time.Now().Before(end) {
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if n < 12 || buf[0]>>6 != 2 {
				continue
			}
			r.mu.Lock()
			r.pkts = append(r.pkts, [3]uint32{binary.BigEndian.Uint32(buf[8:]), uint32(binary.BigEndian.Uint16(buf[2:])), binary.BigEndian.Uint32(buf[4:])})
			r.mu.Unlock()
		}
	}()
	return done
}

// TestTransferKeepsMediaContinuous: 102 (the test's own RTP socket) is in
// a call with 101, which transfers it by REFER to 103. Across 101's
// audio, the ringback while 103 rings and 103's audio, 102 receives one
// RTP stream: one SSRC, sequence numbers each one more than the last
// (a lost packet is allowed, a jump or a step back is not), timestamps
// moving forward.
func TestTransferKeepsMediaContinuous(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := startMediaCallee(t, a, "102", func(port string) string {
		return sdpMedia("m=audio "+port+" RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000")
	})
	var seen rtpSeen
	collected := seen.collect(b.conn)
	target := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "2000", "RINGMS": "1000"}, false)
	vars := map[string]string{"USER": "101", "TARGET": "103", "REFERPARAMS": "", "FINAL": "200 OK"}
	c := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", vars, "refer_send.part", "notify_ringing.part", "notify_final.part", "hangup_wait.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
	waitBoth(t, c, b.peer)
	if err := target.Wait(); err != nil {
		t.Fatalf("103: %v", err)
	}
	<-collected
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if len(seen.pkts) < 100 {
		t.Fatalf("102 received %d RTP packets, want the whole call's", len(seen.pkts))
	}
	ssrc := seen.pkts[0][0]
	lost := 0
	for i := 1; i < len(seen.pkts); i++ {
		p, q := seen.pkts[i-1], seen.pkts[i]
		if q[0] != ssrc {
			t.Fatalf("packet %d: SSRC %08x after %08x: the stream changed", i, q[0], ssrc)
		}
		step := uint16(q[1] - p[1])
		if step == 0 || step > 3 {
			t.Fatalf("packet %d of %d: sequence %d after %d", i, len(seen.pkts), q[1], p[1])
		}
		lost += int(step) - 1
		if d := int32(q[2] - p[2]); d <= 0 {
			t.Fatalf("packet %d: timestamp %d after %d", i, q[2], p[2])
		}
	}
	t.Logf("102 received %d packets in one stream, %d lost", len(seen.pkts), lost)
	if lost*50 > len(seen.pkts) {
		t.Fatalf("%d of %d packets lost", lost, len(seen.pkts))
	}
	final := lastRecord(t, a, 2)
	if final.Caller != "103" || final.Callee != "102" {
		t.Fatalf("history after the transfer %+v", final)
	}
}

// TestUnconditionalForwardAndLoop: 102 forwards everything to 103: a call
// to 102 is answered by 103 (the history names 103, dialled 102); a loop
// of unconditional forwards is refused with 482 without ringing anyone.
func TestUnconditionalForwardAndLoop(t *testing.T) {
	sipptest.Need(t)
	tests := []struct {
		name     string
		forwards []dialplan.Forward
	}{
		{"forwarded", []dialplan.Forward{{Extension: "102", Always: "103"}}},
		{"loop", []dialplan.Forward{{Extension: "102", Always: "103"}, {Extension: "103", Always: "102"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t.TempDir())
			cfg.Dialplan.Forwards = tc.forwards
			a := startTestApp(t, cfg)
			if tc.name == "loop" {
				c := caller(t, a, "uac_fail.xml", "", "102", map[string]string{"CODE": "482"})
				if err := c.Wait(); err != nil {
					t.Fatalf("caller: %v", err)
				}
				return
			}
			target := phone(t, a, "103", "uas_answer.xml", "uas_wait.part", map[string]string{"TALK": "1000"}, true)
			c := caller(t, a, "uac_call.xml", "hangup_caller.part", "102", map[string]string{"TALK": "1000"})
			waitBoth(t, c, target)
			rec := lastRecord(t, a, 1)
			if rec.State != "CallerHangUp" || rec.Callee != "103" || rec.Dialed != "102" || rec.RTPToCaller < 20 {
				t.Fatalf("history record %+v", rec)
			}
		})
	}
}

// TestForwardToOutsideNumberThroughTrunk: 102 forwards unconditionally to
// 95551234, which the dial plan sends out through the trunk (9 stripped):
// the provider (SIPp, challenging with 407) gets the INVITE for 5551234
// and answers.
func TestForwardToOutsideNumberThroughTrunk(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	provider, cfg := trunkOutConfig(t)
	cfg.Dialplan.Forwards = []dialplan.Forward{{Extension: "102", Always: "95551234"}}
	a := startTestApp(t, cfg)
	waitTrunkRegistered(t, a, "provider")
	if rec := callOut(t, a, provider, "102"); rec.Dialed != "102" {
		t.Fatalf("history record %+v, want dialled 102", rec)
	}
}

// TestRingGroupSequential: 102 rings for its step's ring time and is
// cancelled, then 103 rings and answers.
func TestRingGroupSequential(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.Dialplan.RingGroups = []dialplan.RingGroup{{Number: "600", Strategy: dialplan.Sequential, Members: []string{"102", "103"}, RingTime: time.Second}}
	a := startTestApp(t, cfg)
	first := phone(t, a, "102", "uas_ring_cancel.xml", "", map[string]string{}, false)
	second := phone(t, a, "103", "uas_answer.xml", "uas_wait.part", map[string]string{"TALK": "1000"}, true)
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", "600", map[string]string{"TALK": "1000"})
	for name, p := range map[string]*sipptest.Peer{"caller": c, "102 (rung first, cancelled)": first, "103": second} {
		if err := p.Wait(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if rec := lastRecord(t, a, 1); rec.State != "CallerHangUp" || rec.Callee != "103" || rec.Dialed != "600" || rec.RTPToCaller < 20 {
		t.Fatalf("history record %+v", rec)
	}
}

// waitTrunkRegistered waits until ListExtensions shows the trunk name
// connected.
func waitTrunkRegistered(t *testing.T, a *App, name string) {
	t.Helper()
	waitFor(t, "trunk "+name+" registered", func() bool {
		for _, x := range (apiExtensions{a}).Extensions() {
			if x.Number == name && x.Type == extensionTypeTrunk && x.Connected {
				return true
			}
		}
		return false
	})
}

// answeredCallID waits for the appliance's only call to be answered and
// returns its ID (from the core: these configs have no API user); the
// caller's SIPp ending first fails the test with its error.
func answeredCallID(t *testing.T, a *App, caller *sipptest.Peer) string {
	t.Helper()
	var id string
	waitFor(t, "one call answered", func() bool {
		cs := a.Core().Calls()
		if len(cs) == 1 && !cs[0].Answer.IsZero() {
			id = cs[0].ID
			return true
		}
		if caller.Exited() {
			t.Fatalf("the caller ended before its call was answered: %v", caller.Wait())
		}
		return false
	})
	return id
}

// TestForwardToAPIExtensionNamesIt: 102 forwards everything to the API
// extension 200, whose script beeps and hangs up: the history names 200
// as the callee (who answered), 102 as dialled.
func TestForwardToAPIExtensionNamesIt(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := apiExtConfig(t, map[string]string{"200": "beep.ozml"})
	writeFile(t, filepath.Join(cfg.DataDir, "scripts", "beep.ozml"), `<Response><Beep/><Hangup/></Response>`)
	cfg.Dialplan.Forwards = []dialplan.Forward{{Extension: "102", Always: "200"}}
	a := startTestApp(t, cfg)
	c := caller(t, a, "uac_call.xml", "hangup_wait.part", "102", map[string]string{})
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if rec := lastRecord(t, a, 1); rec.Callee != "200" || rec.Dialed != "102" || rec.Answer.IsZero() {
		t.Fatalf("history record %+v, want callee 200 dialled 102", rec)
	}
}
