package app

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// TestReferDuringPlay: 101 calls 102 (whose audio the test handles) and
// the HTTP API's Play repeats a tone to 102 for up to an hour; 101's
// phone then sends a REFER, blind (to 103) or attended (Replaces naming
// its dialog with 103 from another phone). The core stops the prompt and
// the transfer goes ahead (202, NOTIFY 200, not 491): 101 leaves, 102
// talks to 103 (which echoes what it hears), and the tone is gone.
func TestReferDuringPlay(t *testing.T) {
	sipptest.Need(t)
	tests := []struct {
		name     string
		attended bool
	}{
		{"blind", false},
		{"attended", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startTestApp(t, apiTestConfig(t))
			// Rings 200 ms (the blind transferor expects the NOTIFY with 180).
			target := phone(t, a, "103", "uas_answer.xml", "uas_wait.part", map[string]string{"RINGMS": "200"}, true)
			// The REFER waits for the test's Play (PAUSE after the answer).
			vars := map[string]string{"USER": "101", "TARGET": "103", "REFERPARAMS": "", "FINAL": "200 OK", "PAUSE": "2500"}
			parts := []string{"pause.part", "refer_send.part", "notify_ringing.part", "notify_final.part", "hangup_wait.part"}
			var consult *sipptest.Peer
			if tc.attended {
				logFile := filepath.Join(t.TempDir(), "dialog.log")
				consult = sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_dialog.xml", map[string]string{"USER": "101"}, "log_dialog.part", "hangup_wait.part"),
					Service: "103", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(), Extra: []string{"-trace_logs", "-log_file", logFile}})
				vars["REFERPARAMS"] = "?Replaces=" + url.QueryEscape(loggedReplaces(t, logFile))
				parts = []string{"pause.part", "refer_send.part", "notify_final.part", "hangup_wait.part"}
			}
			media := newRTPPhone(t)
			transferee := mediaPhoneAt(t, a, "102", media, "uas_media.xml", "uas_wait.part", map[string]string{})
			// 101 sends no audio: what 102 hears loud is the prompt.
			transferor := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_dialog.xml", vars, parts...),
				Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
			id := inCallTo(t, a, "102")
			since := time.Now()
			if r := apiGet(t, a, "command", "Play", "CallId", id, "AudioFile", "tone:busy", "Repeat", "true", "Party", "callee"); r.Code != 200 {
				t.Fatalf("Play: %d %q", r.Code, r.Message)
			}
			media.waitLoud(t, since, 10)
			if err := transferor.Wait(); err != nil { // 202, NOTIFY 200 OK, BYE
				t.Fatalf("transferor: %v", err)
			}
			if consult != nil {
				if err := consult.Wait(); err != nil {
					t.Fatalf("transferor's consultation call (BYE expected): %v", err)
				}
			}
			media.waitQuiet(t, time.Second) // the prompt (and the ringback) stopped
			since = time.Now()
			media.speakTone(time.Second)
			media.waitLoud(t, since, 10) // 103 echoes 102's tone: audio both ways
			calls := apiGet(t, a, "command", "ListActiveCalls").ActiveCalls
			if len(calls) != 1 || calls[0].CallState != "InCall" {
				t.Fatalf("active calls after the transfer: %+v", calls)
			}
			if r := apiGet(t, a, "command", "Hangup", "CallId", calls[0].CallId); r.Code != 200 {
				t.Fatalf("Hangup: %d %q", r.Code, r.Message)
			}
			waitBoth(t, target, transferee)
			if h := apiGet(t, a, "command", "ListCallHistory", "State", "Transferred"); h.TotalRecords < 1 {
				t.Fatalf("no Transferred record: %+v", h)
			}
			records := 2 // the 101–102 part, then 102 with 103
			if tc.attended {
				records = 3 // and the 101–103 part
			}
			final := lastRecord(t, a, records)
			if !(final.Caller == "103" && final.Callee == "102") && !(final.Caller == "102" && final.Callee == "103") {
				t.Fatalf("final record %+v, want 102 talking to 103", final)
			}
		})
	}
}

// inCallTo waits for an answered call to dest and returns its ID.
func inCallTo(t *testing.T, a *App, dest string) string {
	t.Helper()
	var id string
	waitFor(t, "the call to "+dest, func() bool {
		for _, c := range apiGet(t, a, "command", "ListActiveCalls").ActiveCalls {
			if c.Destination == dest && c.CallState == "InCall" {
				id = c.CallId
				return true
			}
		}
		return false
	})
	return id
}
