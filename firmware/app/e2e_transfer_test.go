package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// End-to-end tests of transfers and hold with SIPp phones: through the
// HTTP API and from the phones themselves (REFER, hold re-INVITEs). Both
// paths run the same core code.

// TestAPIBlindTransfer: 101 calls 102; BlindTransfer TransferorParty=caller
// Target=103: 103 rings and answers, 102 is bridged to 103, 101 gets BYE;
// the call keeps its ID with the new parties, and the history has the
// transferred conversation and the new one.
func TestAPIBlindTransfer(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	transferee := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	transferor := caller(t, a, "uac_call.xml", "hangup_wait.part", "102", map[string]string{})
	// 103 answers, speaks for 3 s and hangs up; 102 echoes what it hears.
	target := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "3000"}, false)
	id := waitInCall(t, a).CallId
	// The application's FinishedUrl, with its own query string.
	finished := make(chan url.Values, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err == nil && r.Method == http.MethodPost {
			select {
			case finished <- r.Form:
			default:
			}
		}
	}))
	defer app.Close()

	r := apiGet(t, a, "command", "BlindTransfer", "CallId", id, "TransferorParty", "caller", "Target", "103", "FinishedUrl", app.URL+"/finished?app=7")
	if r.Code != 200 || r.Message != "Command successfully executed" {
		t.Fatalf("BlindTransfer: %d %q", r.Code, r.Message)
	}
	calls := apiGet(t, a, "command", "ListActiveCalls").ActiveCalls
	if len(calls) != 1 || calls[0].CallId != id || calls[0].Source != "103" || calls[0].Destination != "102" ||
		calls[0].CallerDialed != "103" || calls[0].CallState != "InCall" {
		t.Fatalf("active calls after the transfer: %+v", calls)
	}
	waitBoth(t, transferor, transferee) // 101 and 102 each pass only with their BYE
	if err := target.Wait(); err != nil {
		t.Fatalf("target: %v", err)
	}

	waitFor(t, "two history records", func() bool { return a.hist.Len() >= 2 })
	recs := a.hist.Recent(2) // newest first
	final, seg := recs[0], recs[1]
	if seg.CallID != id || seg.State != "Transferred" || seg.Caller != "101" || seg.Callee != "102" {
		t.Fatalf("transferred conversation %+v", seg)
	}
	if final.CallID != id || final.State != "CallerHangUp" || final.Caller != "103" || final.Callee != "102" || final.Answer.IsZero() {
		t.Fatalf("call after the transfer %+v", final)
	}
	// 103's speech reached 102 and 102's echo of it came back to 103.
	if final.RTPFromCaller < 50 || final.RTPToCaller < 50 || final.RTPToCallee-seg.RTPToCallee < 50 || final.RTPFromCallee-seg.RTPFromCallee < 50 {
		t.Fatalf("RTP not relayed between 102 and 103: before %+v, after %+v", seg, final)
	}
	select {
	case f := <-finished:
		if f.Get("NotificationName") != "CallFinished" || f.Get("CallId") != id || f.Get("Caller") != "103" || f.Get("Callee") != "102" ||
			f.Get("CallState") != "CallerHangUp" || f.Get("app") != "7" || f.Get("Duration") == "" {
			t.Fatalf("FinishedUrl request %v", f)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("FinishedUrl not requested")
	}
	h := apiGet(t, a, "command", "ListCallHistory", "CallId", id)
	if h.TotalRecords != 2 || len(h.CallHistory) != 2 || h.CallHistory[0].State != "CallerHangUp" || h.CallHistory[1].State != "Transferred" ||
		h.CallHistory[0].Source != "103" || h.CallHistory[1].Source != "101" {
		t.Fatalf("ListCallHistory: %+v", h)
	}
}

// TestAPIBlindTransferFailures: every failure leaves the original call up.
func TestAPIBlindTransferFailures(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	// 101 speaks for 5 s and hangs up; 102 echoes.
	c := caller(t, a, "uac_call.xml", "hangup_caller.part", "102", map[string]string{"TALK": "5000"})
	id := waitInCall(t, a).CallId

	steps := []struct {
		name     string
		before   func() *sipptest.Peer // a phone for the target, waited for after the step
		pairs    []string
		wantCode int
		wantMsg  string
	}{
		{name: "missing Target", pairs: []string{"CallId", id, "TransferorParty", "caller"},
			wantCode: 302, wantMsg: "Missing or invalid parameter 'Target' for command 'BlindTransfer'"},
		{name: "missing TransferorParty", pairs: []string{"CallId", id, "Target", "103"},
			wantCode: 302, wantMsg: "Missing or invalid parameter 'TransferorParty' for command 'BlindTransfer'"},
		{name: "unknown CallId", pairs: []string{"CallId", "Nt3uh", "TransferorParty", "caller", "Target", "103"},
			wantCode: 601, wantMsg: "Call not found with ID 'Nt3uh'"},
		{name: "unknown target", pairs: []string{"CallId", id, "TransferorParty", "caller", "Target", "555"},
			wantCode: 402, wantMsg: "Call connect to '555' failed with result state 'NotFound'"},
		{name: "target not registered", pairs: []string{"CallId", id, "TranferorParty", "callee", "Target", "103"},
			wantCode: 402, wantMsg: "Call connect to '103' failed with result state 'NotRegistered'"},
		{name: "target busy", before: func() *sipptest.Peer { return phone(t, a, "103", "uas_busy.xml", "", map[string]string{}, false) },
			pairs: []string{"CallId", id, "TransferorParty", "caller", "Target", "103"}, wantCode: 402,
			wantMsg: "Call connect to '103' failed with result state 'Busy'"},
	}
	for _, st := range steps {
		var p *sipptest.Peer
		if st.before != nil {
			p = st.before()
		}
		r := apiGet(t, a, append([]string{"command", "BlindTransfer"}, st.pairs...)...)
		if r.Code != st.wantCode || r.Message != st.wantMsg {
			t.Fatalf("%s: %d %q, want %d %q", st.name, r.Code, r.Message, st.wantCode, st.wantMsg)
		}
		if p != nil {
			if err := p.Wait(); err != nil {
				t.Fatalf("%s: target: %v", st.name, err)
			}
		}
		if call := waitInCall(t, a); call.CallId != id || call.Source != "101" || call.Destination != "102" {
			t.Fatalf("%s: the original call changed: %+v", st.name, call)
		}
	}
	waitBoth(t, c, b)
	// Still bridged after the failures: the 5 s of speech (250 packets)
	// and its echo were relayed, far more than the steps took.
	rec := lastRecord(t, a, 1)
	if rec.State != "CallerHangUp" || rec.Caller != "101" || rec.Callee != "102" || rec.RTPToCaller < 150 || rec.RTPToCallee < 150 {
		t.Fatalf("history record %+v, want the original call, relayed, ending CallerHangUp", rec)
	}
}

// TestHoldByReInvite: 101 holds with a re-INVITE in each of the three
// forms; 102 hears music on hold from the appliance while 101 sends
// nothing (its echo of the music has audio energy), and 101's phone is
// never told about it; resume restores the bridge (the last row: 101
// talks after the resume, and 102's echo of it reaches 101).
func TestHoldByReInvite(t *testing.T) {
	sipptest.Need(t)
	tests := []struct {
		name, conn, dir, answer string
		talk                    bool // 101 plays audio after the resume
	}{
		{"sendonly", "[media_ip]", "a=sendonly", "a=recvonly", false},
		{"inactive", "[media_ip]", "a=inactive", "a=inactive", false},
		{"c=0.0.0.0", "0.0.0.0", "a=sendrecv", "a=recvonly", false},
		{"resume restores the bridge", "[media_ip]", "a=sendonly", "a=recvonly", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startTestApp(t, testConfig(t.TempDir()))
			b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0) // echoes what it hears
			vars := map[string]string{"HOLDCONN": tc.conn, "HOLDDIR": tc.dir, "ANSWERDIR": tc.answer, "HOLD": "2000", "TALK": "500", "RESUMED": ""}
			if tc.talk {
				vars["TALK"], vars["RESUMED"] = "3000", `<nop><action><exec play_pcap_audio="`+sipptest.PCAP+`"/></action></nop>`
			}
			c := caller(t, a, "uac_dialog.xml", "hold_caller.part", "102", vars)
			// 102 echoes what reaches it: the level of its RTP is the
			// level of the music on hold (101 sends nothing while held).
			var heard energyTap
			_, calleeEP, ok := a.Core().Endpoints(answeredCallID(t, a, c))
			if !ok {
				t.Fatal("no endpoints for the call")
			}
			calleeEP.SetAudioTap(heard.tap())
			waitBoth(t, c, b) // 102's scenario fails on any re-INVITE: it never sees 101's hold SDP
			rec := lastRecord(t, a, 1)
			if rec.State != "CallerHangUp" {
				t.Fatalf("history record %+v, want CallerHangUp", rec)
			}
			if tc.talk {
				// 3 s of talk after the resume: 101's audio reaches 102 and
				// 102's echo of it comes back to 101.
				if rec.RTPFromCaller < 50 || rec.RTPToCaller < 50 {
					t.Fatalf("bridge not restored after the resume: %+v", rec)
				}
				return
			}
			t.Logf("music on hold at 102: %.1f dBm0", heard.dBm0())
			if lvl := heard.dBm0(); lvl < -40 {
				t.Fatalf("music on hold reached 102 at %.1f dBm0, want audio", lvl)
			}
			// 101 sent nothing: every packet 102 got was music on hold
			// (2 s is 100 packets), and 102's echo of it stayed away from
			// 101 but for what was in flight at the resume.
			if rec.RTPFromCaller != 0 || rec.RTPToCallee < 40 || rec.RTPFromCallee < 40 || rec.RTPToCaller > 10 {
				t.Fatalf("hold media wrong: %+v", rec)
			}
		})
	}
}

// TestAPIHoldUnhold: Hold Party=caller makes 101 hear music on hold
// while 102 hears nothing; Unhold restores the bridge.
func TestAPIHoldUnhold(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	b := silentCallee(t, a, "uas_answer.xml", "uas_wait.part")
	c := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_dialog.xml", map[string]string{"USER": "101"}, "hangup_wait.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(), Echo: true})
	id := waitInCall(t, a).CallId

	if r := apiGet(t, a, "command", "Hold", "CallId", id, "Party", "caller"); r.Code != 200 {
		t.Fatalf("Hold: %d %q", r.Code, r.Message)
	}
	if calls := apiGet(t, a, "command", "ListActiveCalls").ActiveCalls; len(calls) != 1 || calls[0].CallState != "Hold" {
		t.Fatalf("active calls while held: %+v", calls)
	}
	// 101 hears the music and echoes it; the echo is not relayed to 102.
	waitFor(t, "music on hold to 101 and its echo", func() bool {
		caller, _, _ := a.Core().RTPStats(id)
		return caller.TxPackets >= 50 && caller.RxPackets >= 25
	})
	if r := apiGet(t, a, "command", "Unhold", "CallId", id); r.Code != 200 {
		t.Fatalf("Unhold: %d %q", r.Code, r.Message)
	}
	waitInCall(t, a)
	if r := apiGet(t, a, "command", "Hold", "CallId", id, "Party", "nobody"); r.Code != 302 {
		t.Fatalf("Hold with a bad party: %d %q", r.Code, r.Message)
	}
	if r := apiGet(t, a, "command", "Hangup", "CallId", id); r.Code != 200 {
		t.Fatalf("Hangup: %d %q", r.Code, r.Message)
	}
	waitBoth(t, c, b)
	rec := lastRecord(t, a, 1)
	if rec.RTPFromCallee != 0 || rec.RTPToCallee > 10 || rec.RTPToCaller < 50 {
		t.Fatalf("hold media wrong: %+v", rec)
	}
}

// TestReferBlindTransfer: 101 calls 102, then transfers 102 to 103 by
// REFER: 202, NOTIFYs with the progress, 102 bridged to 103 on answer and
// 101 released after the final NOTIFY; on failure 101 is told and keeps
// 102; a transferor that hangs up right after the 202 does not take the
// others down.
func TestReferBlindTransfer(t *testing.T) {
	sipptest.Need(t)
	const answering, busy, absent = "answering", "busy", "absent"
	tests := []struct {
		name        string
		target      string
		parts       []string
		final       string
		transferred bool
		extra       []string
	}{
		{"target answers", answering, []string{"refer_send.part", "notify_ringing.part", "notify_final.part", "hangup_wait.part"}, "200 OK", true, nil},
		{"target busy", busy, []string{"refer_send.part", "notify_final.part", "hangup_caller.part"}, "486 Busy Here", false, nil},
		{"target not registered", absent, []string{"refer_send.part", "notify_final.part", "hangup_caller.part"}, "480 Temporarily Unavailable", false, nil},
		{"transferor hangs up after 202", answering, []string{"refer_send.part", "refer_bye.part"}, "", true, []string{"-aa"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startTestApp(t, testConfig(t.TempDir()))
			transferee := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
			var target *sipptest.Peer
			switch tc.target {
			case answering:
				// Rings 200 ms: the transferor expects the NOTIFY with 180.
				target = phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "3000", "RINGMS": "200"}, false)
			case busy:
				target = phone(t, a, "103", "uas_busy.xml", "", map[string]string{}, false)
			}
			vars := map[string]string{"USER": "101", "TARGET": "103", "REFERPARAMS": "", "FINAL": tc.final, "TALK": "1000"}
			transferor := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", vars, tc.parts...),
				Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(), Extra: tc.extra})
			waitBoth(t, transferor, transferee)
			if target != nil {
				if err := target.Wait(); err != nil {
					t.Fatalf("target: %v", err)
				}
			}
			if !tc.transferred {
				rec := lastRecord(t, a, 1)
				if rec.State != "CallerHangUp" || rec.Caller != "101" || rec.Callee != "102" {
					t.Fatalf("history record %+v, want the original call ending CallerHangUp", rec)
				}
				return
			}
			waitFor(t, "two history records", func() bool { return a.hist.Len() >= 2 })
			recs := a.hist.Recent(2)
			final, seg := recs[0], recs[1]
			if seg.State != "Transferred" || seg.Caller != "101" || final.CallID != seg.CallID || final.State != "CallerHangUp" ||
				final.Caller != "103" || final.Callee != "102" {
				t.Fatalf("history after the transfer: %+v then %+v", seg, final)
			}
			if final.RTPFromCaller < 50 || final.RTPToCallee-seg.RTPToCallee < 50 || final.RTPFromCallee-seg.RTPFromCallee < 50 {
				t.Fatalf("RTP not relayed between 102 and 103: before %+v, after %+v", seg, final)
			}
		})
	}
}

// TestAPIForwardCall: 101 calls 102, which rings; ForwardCall sends the
// call to 103 instead (102 gets CANCEL), 103 answers and the call goes on
// with 101.
func TestAPIForwardCall(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	first := callee(t, a, "uas_ring_cancel.xml", "", 0)
	dest := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "2000"}, false)
	c := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", map[string]string{"USER": "101"}, "hangup_wait.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(), Echo: true})
	var id string
	waitFor(t, "the call ringing", func() bool {
		calls := apiGet(t, a, "command", "ListActiveCalls").ActiveCalls
		if len(calls) == 1 && calls[0].CallState == "Ringing" {
			id = calls[0].CallId
			return true
		}
		return false
	})
	if r := apiGet(t, a, "command", "ForwardCall", "CallId", id, "Destination", "555"); r.Code != 402 {
		t.Fatalf("ForwardCall to an unknown number: %d %q", r.Code, r.Message)
	}
	if r := apiGet(t, a, "command", "ForwardCall", "CallId", id, "Destination", "103"); r.Code != 200 {
		t.Fatalf("ForwardCall: %d %q", r.Code, r.Message)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first callee (CANCEL expected): %v", err)
	}
	if err := dest.Wait(); err != nil {
		t.Fatalf("forward destination: %v", err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	rec := lastRecord(t, a, 1)
	if rec.CallID != id || rec.State != "CalleeHangUp" || rec.Caller != "101" || rec.Callee != "103" || rec.Dialed != "102" ||
		rec.RTPFromCallee < 50 || rec.RTPToCaller < 50 || rec.RTPFromCaller < 50 {
		t.Fatalf("history record %+v, want 101 talking to 103", rec)
	}
	if r := apiGet(t, a, "command", "ForwardCall", "CallId", id, "Destination", "103"); r.Code != 601 {
		t.Fatalf("ForwardCall of an ended call: %d %q", r.Code, r.Message)
	}
}

// TestAPIAttendedTransfer: 101 talks to 102, then (from another phone on
// the same extension) to 103; AttendedTransfer joins 102 and 103 and
// releases 101 from both calls.
func TestAPIAttendedTransfer(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	held := callee(t, a, "uas_answer.xml", "uas_wait.part", 0) // echoes
	first := caller(t, a, "uac_call.xml", "hangup_wait.part", "102", map[string]string{})
	aID := waitInCall(t, a).CallId
	if r := apiGet(t, a, "command", "Hold", "CallId", aID, "Party", "callee"); r.Code != 200 {
		t.Fatalf("Hold: %d %q", r.Code, r.Message)
	}
	target := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "3000"}, false)
	second := caller(t, a, "uac_call.xml", "hangup_wait.part", "103", map[string]string{})
	var bID string
	waitFor(t, "the second call", func() bool {
		for _, c := range apiGet(t, a, "command", "ListActiveCalls").ActiveCalls {
			if c.Destination == "103" && c.CallState == "InCall" {
				bID = c.CallId
				return true
			}
		}
		return false
	})
	if r := apiGet(t, a, "command", "AttendedTransfer", "TransferredCallId", aID, "TargetCallId", "nOpE9"); r.Code != 601 || r.Message != "Call not found with ID 'nOpE9'" {
		t.Fatalf("AttendedTransfer to an unknown call: %d %q", r.Code, r.Message)
	}
	if r := apiGet(t, a, "command", "AttendedTransfer", "TransferredCallId", aID, "TargetCallId", bID); r.Code != 200 {
		t.Fatalf("AttendedTransfer: %d %q", r.Code, r.Message)
	}
	// The handed-over call ends on its own goroutine (its history record,
	// 101's BYE): it leaves the list a moment after the answer.
	waitFor(t, "the handed-over call gone", func() bool { return len(apiGet(t, a, "command", "ListActiveCalls").ActiveCalls) == 1 })
	calls := apiGet(t, a, "command", "ListActiveCalls").ActiveCalls
	if len(calls) != 1 || calls[0].CallId != bID || calls[0].Source != "102" || calls[0].Destination != "103" || calls[0].CallState != "InCall" {
		t.Fatalf("active calls after the transfer: %+v", calls)
	}
	waitBoth(t, first, second) // 101 got BYE in both calls
	waitBoth(t, target, held)
	waitFor(t, "three history records", func() bool { return a.hist.Len() >= 3 })
	final := a.hist.Recent(1)[0]
	if final.CallID != bID || final.State != "CalleeHangUp" || final.Caller != "102" || final.Callee != "103" ||
		final.RTPFromCallee < 50 || final.RTPToCaller < 50 {
		t.Fatalf("joined call %+v, want 102 talking to 103", final)
	}
	h := apiGet(t, a, "command", "ListCallHistory", "State", "Transferred")
	if h.TotalRecords != 2 {
		t.Fatalf("Transferred records: %+v", h)
	}
}

// TestReferAttendedTransfer: 101 talks to 103 from one phone and to 102
// from another; the second sends REFER with Replaces naming the first's
// dialog: 102 takes 101's place in the call with 103, both of 101's
// dialogs end (NOTIFY 200 OK, then BYE).
func TestReferAttendedTransfer(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	target := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "3000"}, false)
	logFile := filepath.Join(t.TempDir(), "dialog.log")
	consult := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_dialog.xml", map[string]string{"USER": "101"}, "log_dialog.part", "hangup_wait.part"),
		Service: "103", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(), Extra: []string{"-trace_logs", "-log_file", logFile}})
	replaces := loggedReplaces(t, logFile)
	transferee := callee(t, a, "uas_answer.xml", "uas_wait.part", 0) // echoes
	vars := map[string]string{"USER": "101", "TARGET": "103", "REFERPARAMS": "?Replaces=" + url.QueryEscape(replaces), "FINAL": "200 OK"}
	transferor := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", vars, "refer_send.part", "notify_final.part", "hangup_wait.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
	waitBoth(t, transferor, consult) // each 101 passes only with its BYE
	waitBoth(t, target, transferee)
	waitFor(t, "three history records", func() bool { return a.hist.Len() >= 3 })
	final := a.hist.Recent(1)[0]
	if final.State != "CalleeHangUp" || final.Caller != "102" || final.Callee != "103" || final.RTPFromCallee < 50 || final.RTPToCaller < 50 {
		t.Fatalf("joined call %+v, want 102 talking to 103", final)
	}
}

// TestAPISendDTMF: SendDTMF Keys=123 Party=callee sends RFC 4733 events
// to 102 only (both phones are silent, so every packet counted is ours).
func TestAPISendDTMF(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	b := silentCallee(t, a, "uas_answer.xml", "uas_wait.part")
	c := caller(t, a, "uac_dialog.xml", "hangup_wait.part", "102", map[string]string{})
	id := waitInCall(t, a).CallId
	if r := apiGet(t, a, "command", "SendDTMF", "CallId", id, "Party", "callee", "Keys", "123"); r.Code != 200 {
		t.Fatalf("SendDTMF: %d %q", r.Code, r.Message)
	}
	caller, callee, _ := a.Core().RTPStats(id)
	// Per digit: a start and continuations over 100 ms, then three end packets.
	if callee.TxPackets < 3*7 || caller.TxPackets != 0 {
		t.Fatalf("packets to 102: %d, to 101: %d; want 21+ and 0", callee.TxPackets, caller.TxPackets)
	}
	if r := apiGet(t, a, "command", "Hangup", "CallId", id); r.Code != 200 {
		t.Fatalf("Hangup: %d %q", r.Code, r.Message)
	}
	waitBoth(t, c, b)
}

// TestInviteWithReplaces: 101 talks to 102; 103 sends an INVITE with
// Replaces naming 101's dialog: 103 takes 101's place (101 gets BYE), the
// call keeps its ID, and 102 hears 103.
func TestInviteWithReplaces(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0) // echoes
	logFile := filepath.Join(t.TempDir(), "dialog.log")
	replaced := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_dialog.xml", map[string]string{"USER": "101"}, "log_dialog.part", "hangup_wait.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(), Extra: []string{"-trace_logs", "-log_file", logFile}})
	replaces := loggedReplaces(t, logFile)
	vars := map[string]string{"USER": "103", "INVITEHEADERS": "\n      Replaces: " + replaces, "TALK": "2000"}
	c := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", vars, "hangup_caller.part"),
		Service: "102", User: "103", Password: testPasswords["103"], Target: a.SIPUDPAddr()})
	waitBoth(t, c, b)
	if err := replaced.Wait(); err != nil {
		t.Fatalf("replaced phone (BYE expected): %v", err)
	}
	waitFor(t, "two history records", func() bool { return a.hist.Len() >= 2 })
	recs := a.hist.Recent(2)
	final, seg := recs[0], recs[1]
	if seg.State != "Transferred" || seg.Caller != "101" || final.CallID != seg.CallID || final.State != "CallerHangUp" ||
		final.Caller != "103" || final.Callee != "102" || final.RTPFromCaller < 50 || final.RTPToCallee-seg.RTPToCallee < 50 {
		t.Fatalf("history: %+v then %+v", seg, final)
	}
}

// loggedReplaces waits for log_dialog.part's line in a SIPp log file and
// returns its Replaces value.
func loggedReplaces(t *testing.T, logFile string) string {
	t.Helper()
	var replaces string
	waitFor(t, "the dialog logged", func() bool {
		b, _ := os.ReadFile(logFile)
		_, after, ok := strings.Cut(string(b), "REPLACES ")
		line, _, complete := strings.Cut(after, "\n")
		replaces = strings.TrimSpace(line)
		return ok && complete
	})
	return replaces
}

// TestReferFromCallee: the callee (the appliance's outbound leg) sends the
// REFER: 101 is transferred to 103, 102 gets the NOTIFYs and then BYE.
func TestReferFromCallee(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	target := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "3000", "RINGMS": "200"}, false)
	vars := map[string]string{"TARGET": "103", "FINAL": "200 OK"}
	transferor := phone(t, a, "102", "uas_answer.xml", "refer_callee.part+notify_ringing.part+notify_final.part+uas_wait.part", vars, true)
	c := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_call.xml", map[string]string{"USER": "101"}, "hangup_wait.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(), Echo: true})
	waitBoth(t, c, transferor)
	if err := target.Wait(); err != nil {
		t.Fatalf("target: %v", err)
	}
	waitFor(t, "two history records", func() bool { return a.hist.Len() >= 2 })
	recs := a.hist.Recent(2)
	final, seg := recs[0], recs[1]
	if seg.State != "Transferred" || seg.Callee != "102" || final.State != "CalleeHangUp" || final.Caller != "101" || final.Callee != "103" ||
		final.RTPFromCallee < 50 || final.RTPToCaller-seg.RTPToCaller < 50 {
		t.Fatalf("history: %+v then %+v", seg, final)
	}
}
