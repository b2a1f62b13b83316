package app

import (
	"testing"
	"time"
)

// TestAPIRecordFinishDigits: the HTTP API's Record with FinishDigits=#
// on a call from 101 (SIPp, its media a Go RTP phone) to 102 stops when
// 101 presses # (as RFC 4733 events, or as in-band tones): RecordCompleted
// arrives while the call is still up, long before its Duration, names the
// key, and its RecordURL downloads a WAV holding the caller's tone. A key
// that is not a finish key (1, pressed first) does not stop it.
func TestAPIRecordFinishDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		press func(t *testing.T, p *rtpPhone, keys string)
	}{
		{"rfc4733", func(_ *testing.T, p *rtpPhone, keys string) { p.pressRFC4733(keys) }},
		{"in-band", func(t *testing.T, p *rtpPhone, keys string) { p.pressInBand(t, keys) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := newOzmlApp(t, map[string]string{"/rec": " "})
			a := startTestApp(t, apiTestConfig(t))
			b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
			media := newRTPPhone(t)
			c := mediaCaller(t, a, media, "hangup_wait.part", "102", map[string]string{})
			id := waitInCall(t, a).CallId

			// The phone answers the appliance's RTP: a tone first.
			since := time.Now()
			if r := apiGet(t, a, "command", "Play", "CallId", id, "Party", "caller", "AudioFile", "tone:busy", "Repeat", "true", "Timeout", "1"); r.Code != 200 {
				t.Fatalf("Play: %d %q", r.Code, r.Message)
			}
			media.waitLoud(t, since, 5)
			if r := apiGet(t, a, "command", "Record", "CallId", id, "Format", "wav", "Duration", "3600",
				"FinishDigits", "#", "FinishedUrl", app.srv.URL+"/rec"); r.Code != 200 {
				t.Fatalf("Record: %d %q", r.Code, r.Message)
			}
			media.speakTone(time.Second)
			tt.press(t, media, "1")
			media.speakTone(500 * time.Millisecond)
			tt.press(t, media, "#")
			p := app.next(t, c)
			f := p.form
			if p.path != "/rec" || f.Get("NotificationName") != "RecordCompleted" || f.Get("CallId") != id || f.Get("DtmfDigits") != "#" {
				t.Fatalf("RecordCompleted %s %v", p.path, f)
			}
			if call := waitInCall(t, a); call.CallId != id {
				t.Fatalf("the call changed: %+v", call)
			}
			checkRecording(t, f.Get("RecordURL"), 4000)
			if r := apiGet(t, a, "command", "Hangup", "CallId", id); r.Code != 200 {
				t.Fatalf("Hangup: %d %q", r.Code, r.Message)
			}
			waitBoth(t, c, b)
		})
	}
}
