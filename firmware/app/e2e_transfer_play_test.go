package app

import (
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// TestAPIBlindTransferStopsPlay: on a call from 101 to 102, the HTTP
// API's Play repeats a tone to 101 for up to an hour; a BlindTransfer of
// 101 to 103 meanwhile stops it and goes ahead (200, not 303): 102
// leaves, and 101 talks to 103, which sends no audio, so the tone is
// gone. A second Play queued behind the first is dropped too.
func TestAPIBlindTransferStopsPlay(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	transferor := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	target := phone(t, a, "103", "uas_answer.xml", "uas_hangup.part", map[string]string{"TALK": "3000"}, false)
	media := newRTPPhone(t)
	c := mediaCaller(t, a, media, "hangup_wait.part", "102", map[string]string{})
	id := waitInCall(t, a).CallId

	since := time.Now()
	for range 2 {
		if r := apiGet(t, a, "command", "Play", "CallId", id, "AudioFile", "tone:busy", "Repeat", "true", "Party", "caller"); r.Code != 200 {
			t.Fatalf("Play: %d %q", r.Code, r.Message)
		}
	}
	media.waitLoud(t, since, 10)
	if r := apiGet(t, a, "command", "BlindTransfer", "CallId", id, "TransferorParty", "callee", "Target", "103"); r.Code != 200 {
		t.Fatalf("BlindTransfer during Play: %d %q", r.Code, r.Message)
	}
	media.waitQuiet(t, time.Second)
	for _, p := range []*sipptest.Peer{transferor, target, c} {
		if err := p.Wait(); err != nil {
			t.Fatalf("SIPp: %v", err)
		}
	}
	if rec := lastRecord(t, a, 1); rec.CallID != id || rec.Callee != "103" || rec.State != "CalleeHangUp" {
		t.Fatalf("history %+v", rec)
	}
}
