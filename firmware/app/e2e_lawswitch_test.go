package app

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatepbx/gatepbx/media/g711"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// TestReInviteSwitchesG711Law: a PCMA call between two PCMA phones; the
// caller then re-offers PCMU only. The appliance answers the re-INVITE
// 200 with PCMU (and telephone-event), leaves the callee on PCMA, and the
// relay now transcodes: the caller's µ-law packets reach the callee as
// the A-law encoding of the same samples, and the callee's A-law reaches
// the caller as µ-law.
func TestReInviteSwitchesG711Law(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	pcma := func(port string) string {
		return sdpMedia("m=audio "+port+" RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000")
	}
	b := startMediaCallee(t, a, "102", pcma)

	conn, port := mediaSocket(t)
	c := mediaPhone{conn: conn, log: filepath.Join(t.TempDir(), "caller.log")}
	vars := map[string]string{
		"USER": "101", "TALK": "6000", "CONTACTTRANSPORT": "udp", "SDPMEDIA": pcma(port),
		"REOFFER": sdpMedia("m=audio "+port+" RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"),
	}
	c.peer = sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_media.xml", vars, "lawswitch_caller.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(),
		Extra: []string{"-trace_logs", "-log_file", c.log}})

	offer := strings.Fields(loggedLine(t, b.peer, b.log, "OFFER "))
	reanswer := strings.Fields(loggedLine(t, c.peer, c.log, "REANSWER "))
	if len(reanswer) < 2 || strings.Join(reanswer[1:], " ") != "0 101" {
		t.Fatalf("re-INVITE answered with %q, want port and formats \"0 101\" (PCMU, telephone-event)", reanswer)
	}
	callerSide, _ := strconv.Atoi(reanswer[0])
	calleeSide, _ := strconv.Atoi(offer[0])
	ulawToAlaw := func(x byte) byte { return g711.Linear2Alaw(g711.Ulaw2Linear(x)) }
	alawToUlaw := func(x byte) byte { return g711.Linear2Ulaw(g711.Alaw2Linear(x)) }
	atCaller, atCallee := exchange(t,
		side{conn: c.conn, port: callerSide, pt: 0, want: alawToUlaw},
		side{conn: b.conn, port: calleeSide, pt: 8, want: ulawToAlaw})
	if atCallee < streamLen/2 || atCaller < streamLen/2 {
		t.Fatalf("after the law switch: %d of %d packets transcoded right at the PCMA callee, %d at the PCMU caller", atCallee, streamLen, atCaller)
	}
	waitBoth(t, c.peer, b.peer)
}
