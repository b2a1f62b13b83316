package app

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// End-to-end tests of the SIP dialog and registrar details: OPTIONS,
// un-registration, registration limits, failed-auth blocking, re-INVITE,
// INFO, stray requests, refused offers, TCP and the media timeout.

// silentCallee is callee without -rtp_echo: a phone that sends no RTP.
func silentCallee(t *testing.T, a *App, scen, part string) *sipptest.Peer {
	t.Helper()
	return phone(t, a, "102", scen, part, map[string]string{}, false)
}

// waitBoth waits for the caller and the callee SIPp.
func waitBoth(t *testing.T, caller, callee *sipptest.Peer) {
	t.Helper()
	if err := caller.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if err := callee.Wait(); err != nil {
		t.Fatalf("callee: %v", err)
	}
}

func TestOptions(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "options.xml", nil, ""), Service: "101", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
}

func TestRegisterBindings(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	const contactA, contactB = "<sip:101@127.0.0.1:5071>", "<sip:101@127.0.0.1:5073>"
	// Steps run in order on one appliance; each is one SIPp REGISTER with
	// its own Call-ID.
	steps := []struct {
		name, contact, expires string
		wantBindings           int
	}{
		{"register", contactA, "300", 1},
		{"unregister", contactA, "0", 0},
		{"first contact", contactA, "300", 1},
		{"second contact", contactB, "300", 2},
		{"wildcard removes all", "*", "0", 0},
	}
	for _, st := range steps {
		vars := map[string]string{"CONTACT": st.contact, "EXPIRES": st.expires}
		sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "register_expires.xml", vars, ""), Service: "101", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
		if got := len(a.sip.Registrar().Lookup("101")); got != st.wantBindings {
			t.Fatalf("%s: 101 has %d bindings, want %d: %+v", st.name, got, st.wantBindings, a.sip.Registrar().Lookup("101"))
		}
	}
}

func TestRegisterIntervalTooBrief(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	a := startTestApp(t, cfg)
	vars := map[string]string{"EXPIRES": "10", "MIN": strconv.Itoa(cfg.SIP.RegisterMinExpires)}
	sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "register_too_brief.xml", vars, ""), Service: "101", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
	if b := a.sip.Registrar().Lookup("101"); len(b) != 0 {
		t.Fatalf("too brief a registration was kept: %+v", b)
	}
}

func TestRegisterFailedAuthBlocksSource(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.SIP.AuthFailureLimit = 3
	a := startTestApp(t, cfg)
	target := a.SIPUDPAddr()
	// limit wrong-password registrations, each challenged then refused.
	sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "register_rejected.xml", nil, ""), Service: "102", User: "102", Password: "not-the-password", Target: target,
		Extra: []string{"-m", strconv.Itoa(cfg.SIP.AuthFailureLimit), "-r", "20"}})
	// Now blocked: no challenge, 403 at once, for a wrong and for the right password.
	tests := []struct{ name, user, password string }{
		{"wrong password", "102", "not-the-password"},
		{"right password", "101", testPasswords["101"]},
	}
	for _, tc := range tests {
		sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "register_blocked.xml", nil, ""), Service: tc.user, User: tc.user, Password: tc.password, Target: target})
		if b := a.sip.Registrar().Lookup(tc.user); len(b) != 0 {
			t.Fatalf("%s: blocked source registered %s: %+v", tc.name, tc.user, b)
		}
	}
}

func TestReInviteHoldAndResume(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	vars := map[string]string{"TALK": "500", "OURIP": regexp.QuoteMeta(a.SIPUDPAddr().Addr().String())}
	c := caller(t, a, "uac_dialog.xml", "reinvite_caller.part", "102", vars)
	waitBoth(t, c, b)
	rec := lastRecord(t, a, 1)
	if rec.State != "CallerHangUp" || rec.Answer.IsZero() {
		t.Fatalf("history record %+v, want an answered call ending CallerHangUp", rec)
	}
	if rec.RTPFromCaller == 0 || rec.RTPToCallee == 0 {
		t.Fatalf("caller's RTP not relayed across the re-INVITEs: %+v", rec)
	}
}

func TestReInviteWithOtherCodecRefused(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	c := caller(t, a, "uac_dialog.xml", "reinvite_codec_caller.part", "102", map[string]string{})
	waitBoth(t, c, b)
	if rec := lastRecord(t, a, 1); rec.State != "CallerHangUp" {
		t.Fatalf("history record %+v, want the call to survive the refused re-INVITE", rec)
	}
}

func TestReInviteFromCallee(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_answer.xml", "uas_reinvite.part", 0)
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", "102", map[string]string{"TALK": "1500"})
	waitBoth(t, c, b)
	if rec := lastRecord(t, a, 1); rec.State != "CallerHangUp" {
		t.Fatalf("history record %+v, want CallerHangUp", rec)
	}
}

func TestInfoInDialog(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	c := caller(t, a, "uac_dialog.xml", "info_caller.part", "102", map[string]string{})
	waitBoth(t, c, b)
	if rec := lastRecord(t, a, 1); rec.State != "CallerHangUp" {
		t.Fatalf("history record %+v, want CallerHangUp", rec)
	}
}

func TestRequestsOutsideDialogs(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	tests := []struct {
		name, method, toTag, code string
	}{
		{"BYE for an unknown dialog", "BYE", ";tag=nosuchdialog", "481"},
		{"CANCEL matching nothing", "CANCEL", "", "481"},
		{"INFO for an unknown dialog", "INFO", ";tag=nosuchdialog", "481"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"METHOD": tc.method, "TOTAG": tc.toTag, "CODE": tc.code}
			sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "request_status.xml", vars, ""), Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
		})
	}
	if n := a.Core().ActiveCalls(); n != 0 {
		t.Fatalf("%d calls started by stray requests", n)
	}
}

func TestInviteOfferRefused(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	const sdpHeaders = "Content-Type: application/sdp\nContent-Length: [len]"
	tests := []struct {
		name, headers, body, code string
	}{
		{"no SDP (late offer)", "Content-Length: 0", "", "488"},
		{"only G.729", sdpHeaders, "v=0\no=sipp 1 1 IN IP4 [local_ip]\ns=-\nc=IN IP4 [media_ip]\nt=0 0\nm=audio [media_port] RTP/AVP 18\na=rtpmap:18 G729/8000\n", "488"},
		{"garbage SDP", sdpHeaders, "this is not SDP\nat all\n", "400"},
		{"not SDP at all", "Content-Type: text/plain\nContent-Length: [len]", "hello\n", "415"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"USER": "101", "BODY_HEADERS": tc.headers, "BODY": tc.body, "CODE": tc.code}
			sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "uac_offer.xml", vars, ""), Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
		})
	}
	if n := a.Core().ActiveCalls(); n != 0 {
		t.Fatalf("%d calls started by refused offers", n)
	}
}

func TestRegisterOverTCP(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	target := a.SIPTCPAddr()
	if !target.IsValid() {
		t.Fatal("test appliance has no SIP TCP listener")
	}
	sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "register.xml", nil, ""), Service: "101", User: "101", Password: testPasswords["101"], Target: target, Extra: []string{"-t", "t1"}})
	b := a.sip.Registrar().Lookup("101")
	if len(b) != 1 || b[0].Transport != "TCP" {
		t.Fatalf("bindings after a TCP REGISTER: %+v, want one TCP binding", b)
	}
}

func TestMediaTimeout(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.RTP.MediaTimeout = 2 * time.Second
	a := startTestApp(t, cfg)
	// Neither side sends RTP; both wait for the appliance's BYE.
	b := silentCallee(t, a, "uas_answer.xml", "uas_wait.part")
	c := caller(t, a, "uac_dialog.xml", "hangup_wait.part", "102", map[string]string{})
	waitBoth(t, c, b)
	rec := lastRecord(t, a, 1)
	if rec.State != "MediaTimeout" || rec.Answer.IsZero() {
		t.Fatalf("history record %+v, want an answered call ending MediaTimeout", rec)
	}
	if held := rec.End.Sub(rec.Answer); held < cfg.RTP.MediaTimeout {
		t.Fatalf("call hung up %v after answer, before the %v media timeout", held, cfg.RTP.MediaTimeout)
	}
	if rec.RTPFromCaller != 0 || rec.RTPFromCallee != 0 {
		t.Fatalf("silent call carried RTP: %+v", rec)
	}
}
