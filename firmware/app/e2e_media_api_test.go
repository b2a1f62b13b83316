package app

import (
	"testing"
	"time"
)

// TestAPIPlaySpeakRecord: on a call from 101 to 102, the HTTP API's
// Speak and Play reach 101 (decoded from the RTP it receives) and Record
// records it, posting RecordCompleted with a RecordURL that downloads
// the file; failures answer their codes and leave the call up.
func TestAPIPlaySpeakRecord(t *testing.T) {
	needSpeech(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/rec": " "})
	a := startTestApp(t, apiTestConfig(t))
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	media := newRTPPhone(t)
	c := mediaCaller(t, a, media, "hangup_caller.part", "102", map[string]string{"TALK": "12000"})
	id := waitInCall(t, a).CallId

	errs := []struct {
		pairs    []string
		wantCode int
		wantMsg  string
	}{
		{[]string{"command", "Play", "CallId", "Nt3uh", "AudioFile", "tone:busy"}, 601, "Call not found with ID 'Nt3uh'"},
		{[]string{"command", "Play", "CallId", id, "AudioFile", "missing.wav"}, 302, "Missing or invalid parameter 'AudioFile' for command 'Play'"},
		{[]string{"command", "Speak", "CallId", id}, 302, "Missing or invalid parameter 'Text' for command 'Speak'"},
		{[]string{"command", "Record", "CallId", id, "RecordPath", "../outside.wav"}, 302, "Missing or invalid parameter 'RecordPath' for command 'Record'"},
	}
	for _, e := range errs {
		if r := apiGet(t, a, e.pairs...); r.Code != e.wantCode || r.Message != e.wantMsg {
			t.Fatalf("%v: %d %q, want %d %q", e.pairs, r.Code, r.Message, e.wantCode, e.wantMsg)
		}
	}

	since := time.Now()
	if r := apiGet(t, a, "command", "Speak", "CallId", id, "Party", "caller", "Text", "Hello from the application."); r.Code != 200 {
		t.Fatalf("Speak: %d %q", r.Code, r.Message)
	}
	media.waitLoud(t, since, 25)
	media.waitQuiet(t, 300*time.Millisecond)
	since = time.Now()
	if r := apiGet(t, a, "command", "Play", "CallId", id, "AudioFile", "tone:busy", "Repeat", "true", "Timeout", "1"); r.Code != 200 {
		t.Fatalf("Play: %d %q", r.Code, r.Message)
	}
	media.waitLoud(t, since, 10)
	media.waitQuiet(t, 300*time.Millisecond)

	if r := apiGet(t, a, "command", "Record", "CallId", id, "Format", "wav", "Duration", "2", "FinishedUrl", app.srv.URL+"/rec"); r.Code != 200 {
		t.Fatalf("Record: %d %q", r.Code, r.Message)
	}
	media.speakTone(3 * time.Second)
	p := app.next(t, c)
	if p.path != "/rec" || p.form.Get("NotificationName") != "RecordCompleted" || p.form.Get("CallId") != id || p.form.Get("Caller") != "101" {
		t.Fatalf("RecordCompleted %s %v", p.path, p.form)
	}
	checkRecording(t, p.form.Get("RecordURL"), 4000)
	if call := waitInCall(t, a); call.CallId != id {
		t.Fatalf("the call changed: %+v", call)
	}
	waitBoth(t, c, b)
}
