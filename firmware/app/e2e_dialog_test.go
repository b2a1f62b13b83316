package app

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

// End-to-end tests of the SIP dialog and registrar details: OPTIONS,
// un-registration, registration limits, failed-auth blocking, re-INVITE,
// INFO, stray requests, refused offers, TCP and the media timeout.

// runSipp starts SIPp and fails the test unless every call succeeded.
func runSipp(t *testing.T, a sippArgs) {
	t.Helper()
	if err := startSipp(t, a).wait(t); err != nil {
		t.Fatal(err)
	}
}

// silentCallee is callee without -rtp_echo: a phone that sends no RTP.
func silentCallee(t *testing.T, a *App, scen, part string) *sippRun {
	t.Helper()
	r := startSipp(t, sippArgs{scenario: scenario(t, scen, map[string]string{"{{USER}}": "102"}, part),
		service: "102", user: "102", password: testPasswords["102"], target: a.SIPUDPAddr()})
	runSipp(t, sippArgs{scenario: scenario(t, "register_contact.xml", map[string]string{"{{CONTACTPORT}}": strconv.Itoa(r.port)}, ""),
		service: "102", user: "102", password: testPasswords["102"], target: a.SIPUDPAddr()})
	waitFor(t, "102 registered", func() bool { return len(a.sip.Registrar().Lookup("102")) > 0 })
	return r
}

// waitBoth waits for the caller and the callee SIPp.
func waitBoth(t *testing.T, caller, callee *sippRun) {
	t.Helper()
	if err := caller.wait(t); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if err := callee.wait(t); err != nil {
		t.Fatalf("callee: %v", err)
	}
}

func TestOptions(t *testing.T) {
	needSipp(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	runSipp(t, sippArgs{scenario: scenario(t, "options.xml", map[string]string{}, ""), service: "101", user: "101", password: testPasswords["101"], target: a.SIPUDPAddr()})
}

func TestRegisterBindings(t *testing.T) {
	needSipp(t)
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
		vars := map[string]string{"{{CONTACT}}": st.contact, "{{EXPIRES}}": st.expires}
		runSipp(t, sippArgs{scenario: scenario(t, "register_expires.xml", vars, ""), service: "101", user: "101", password: testPasswords["101"], target: a.SIPUDPAddr()})
		if got := len(a.sip.Registrar().Lookup("101")); got != st.wantBindings {
			t.Fatalf("%s: 101 has %d bindings, want %d: %+v", st.name, got, st.wantBindings, a.sip.Registrar().Lookup("101"))
		}
	}
}

func TestRegisterIntervalTooBrief(t *testing.T) {
	needSipp(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	a := startTestApp(t, cfg)
	vars := map[string]string{"{{EXPIRES}}": "10", "{{MIN}}": strconv.Itoa(cfg.SIP.RegisterMinExpires)}
	runSipp(t, sippArgs{scenario: scenario(t, "register_too_brief.xml", vars, ""), service: "101", user: "101", password: testPasswords["101"], target: a.SIPUDPAddr()})
	if b := a.sip.Registrar().Lookup("101"); len(b) != 0 {
		t.Fatalf("too brief a registration was kept: %+v", b)
	}
}

func TestRegisterFailedAuthBlocksSource(t *testing.T) {
	needSipp(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.SIP.AuthFailureLimit = 3
	a := startTestApp(t, cfg)
	target := a.SIPUDPAddr()
	// limit wrong-password registrations, each challenged then refused.
	runSipp(t, sippArgs{scenario: scenario(t, "register_rejected.xml", map[string]string{}, ""), service: "102", user: "102", password: "not-the-password", target: target,
		extra: []string{"-m", strconv.Itoa(cfg.SIP.AuthFailureLimit), "-r", "20"}})
	// Now blocked: no challenge, 403 at once, for a wrong and for the right password.
	tests := []struct{ name, user, password string }{
		{"wrong password", "102", "not-the-password"},
		{"right password", "101", testPasswords["101"]},
	}
	for _, tc := range tests {
		runSipp(t, sippArgs{scenario: scenario(t, "register_blocked.xml", map[string]string{}, ""), service: tc.user, user: tc.user, password: tc.password, target: target})
		if b := a.sip.Registrar().Lookup(tc.user); len(b) != 0 {
			t.Fatalf("%s: blocked source registered %s: %+v", tc.name, tc.user, b)
		}
	}
}

func TestReInviteHoldAndResume(t *testing.T) {
	needSipp(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	vars := map[string]string{"{{TALK}}": "500", "{{OURIP}}": regexp.QuoteMeta(a.SIPUDPAddr().Addr().String())}
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
	needSipp(t)
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
	needSipp(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_answer.xml", "uas_reinvite.part", 0)
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", "102", map[string]string{"{{TALK}}": "1500"})
	waitBoth(t, c, b)
	if rec := lastRecord(t, a, 1); rec.State != "CallerHangUp" {
		t.Fatalf("history record %+v, want CallerHangUp", rec)
	}
}

func TestInfoInDialog(t *testing.T) {
	needSipp(t)
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
	needSipp(t)
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
			vars := map[string]string{"{{METHOD}}": tc.method, "{{TOTAG}}": tc.toTag, "{{CODE}}": tc.code}
			runSipp(t, sippArgs{scenario: scenario(t, "request_status.xml", vars, ""), service: "102", user: "101", password: testPasswords["101"], target: a.SIPUDPAddr()})
		})
	}
	if n := a.Core().ActiveCalls(); n != 0 {
		t.Fatalf("%d calls started by stray requests", n)
	}
}

func TestInviteOfferRefused(t *testing.T) {
	needSipp(t)
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
			vars := map[string]string{"{{USER}}": "101", "{{BODY_HEADERS}}": tc.headers, "{{BODY}}": tc.body, "{{CODE}}": tc.code}
			runSipp(t, sippArgs{scenario: scenario(t, "uac_offer.xml", vars, ""), service: "102", user: "101", password: testPasswords["101"], target: a.SIPUDPAddr()})
		})
	}
	if n := a.Core().ActiveCalls(); n != 0 {
		t.Fatalf("%d calls started by refused offers", n)
	}
}

func TestRegisterOverTCP(t *testing.T) {
	needSipp(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	target := a.SIPTCPAddr()
	if !target.IsValid() {
		t.Fatal("test appliance has no SIP TCP listener")
	}
	runSipp(t, sippArgs{scenario: scenario(t, "register.xml", map[string]string{}, ""), service: "101", user: "101", password: testPasswords["101"], target: target, extra: []string{"-t", "t1"}})
	b := a.sip.Registrar().Lookup("101")
	if len(b) != 1 || b[0].Transport != "TCP" {
		t.Fatalf("bindings after a TCP REGISTER: %+v, want one TCP binding", b)
	}
}

func TestMediaTimeout(t *testing.T) {
	needSipp(t)
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
