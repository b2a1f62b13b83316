package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/media/contactid"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/media/wav"
)

// End-to-end Contact ID alarms on one running appliance: the HTTP API's
// SendAlarmNotification makes API extension 200 call another API
// extension whose OzML is the receiver. The sender's DTMF and the
// receiver's handshake and kissoff go through both legs' pacers, G.711
// RTP and the core's relay bridge; the outcome reaches the ResultUrl.

// alarmPosts collects n notifications by the first segment of their
// path (the order of the receiver's and the sender's is not fixed).
func alarmPosts(t *testing.T, app *ozmlApp, n int) map[string]post {
	t.Helper()
	got := map[string]post{}
	deadline := time.After(alarmWait)
	for len(got) < n {
		select {
		case p := <-app.posts:
			first, _, _ := strings.Cut(strings.TrimPrefix(p.path, "/"), "/")
			got[first] = p
		case <-deadline:
			t.Fatalf("%d notifications within %v, want %d: %v", len(got), alarmWait, n, got)
		}
	}
	return got
}

// alarmWait bounds one alarm call on a loaded machine (the exchange
// itself takes about 5 s; a report without kissoff about 13 s).
const alarmWait = 90 * time.Second

// writeDataFile writes name under the config's data dir.
func writeDataFile(t *testing.T, dataDir, name string, body []byte) {
	t.Helper()
	p := filepath.Join(dataDir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAlarmEndToEnd: SendAlarmNotification to 300, an on-device script
// that receives the report and posts its variables (in the GoTo's path);
// the ResultUrl hears of the success.
func TestAlarmEndToEnd(t *testing.T) {
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/result": " "})
	cfg := apiExtConfig(t, map[string]string{"200": app.srv.URL + "/incoming", "300": "alarm.xml"})
	writeDataFile(t, cfg.DataDir, "scripts/alarm.xml", []byte(`<Response><ReceiveAlarmNotification><Received>`+
		`<GoTo>`+app.srv.URL+`/received/$account/$eventqualifier/$eventcode/$eventname/$partition/$zone</GoTo>`+
		`</Received></ReceiveAlarmNotification></Response>`))
	a := startTestApp(t, cfg)
	r := originate(t, a, "SendAlarmNotification", "PhoneNumber", "300", "AccountNumber", "1234", "EventCode", "131",
		"PartitionNumber", "1", "ZoneNumber", "15", "EventQualifier", "NewRestore", "ApiExtension", "200",
		"ResultUrl", app.srv.URL+"/result")
	if r.Code != 200 || r.CallID == "" {
		t.Fatalf("SendAlarmNotification: %+v", r)
	}
	posts := alarmPosts(t, app, 2)
	got := posts["received"]
	if want := "/received/1234/NewRestore/131/Perimeter/01/015"; got.path != want {
		t.Errorf("the receiver's variables: %s, want %s", got.path, want)
	}
	for k, want := range map[string]string{"NotificationName": "GoTo", "ApiExtension": "300", "Caller": "200"} {
		if got.form.Get(k) != want {
			t.Errorf("received %s = %q, want %q (all: %v)", k, got.form.Get(k), want, got.form)
		}
	}
	res := posts["result"].form
	for k, want := range map[string]string{"NotificationName": "AlarmResult", "CallId": r.CallID, "Result": "Success",
		"PhoneNumber": "300", "AccountNumber": "1234", "EventCode": "131", "EventQualifier": "NewRestore", "PartitionNumber": "1",
		"ZoneNumber": "15", "ApiExtension": "200", "Attempts": "1", "ErrorMessage": ""} {
		if res.Get(k) != want {
			t.Errorf("ResultUrl %s = %q, want %q (all: %v)", k, res.Get(k), want, res)
		}
	}
	waitFor(t, "the alarm call in the history", func() bool {
		for _, rec := range a.hist.Recent(0) {
			if rec.CallID == r.CallID && !rec.Answer.IsZero() {
				return true
			}
		}
		return false
	})
}

// TestAlarmWithoutKissoff: the receiver (an application's OzML) plays
// the handshake and then only listens; the sender tries four times and
// the ResultUrl hears of the failure. Without ApiExtension the first API
// extension of the config places the call.
func TestAlarmWithoutKissoff(t *testing.T) {
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/deaf": `<Response><Play>handshake.wav</Play><Delay>60</Delay></Response>`, "/result": " "})
	cfg := apiExtConfig(t, nil)
	cfg = withAPIExtensions(cfg, "200", app.srv.URL+"/incoming", "301", app.srv.URL+"/deaf")
	writeHandshake(t, filepath.Join(cfg.DataDir, "handshake.wav"))
	a := startTestApp(t, cfg)
	r := originate(t, a, "SendAlarmNotification", "PhoneNumber", "301", "AccountNumber", "1234", "EventCode", "110",
		"PartitionNumber", "1", "ZoneNumber", "10", "ResultUrl", app.srv.URL+"/result")
	if r.Code != 200 || r.CallID == "" {
		t.Fatalf("SendAlarmNotification: %+v", r)
	}
	res := alarmPosts(t, app, 2)["result"].form // IncomingCall to /deaf, and the result
	if res.Get("Result") != "Failed" || res.Get("Attempts") != "4" || !strings.Contains(res.Get("ErrorMessage"), "no kissoff") ||
		res.Get("ApiExtension") != "200" || res.Get("CallId") != r.CallID {
		t.Fatalf("ResultUrl: %v", res)
	}
}

// TestAlarmRefused: bad parameters and unknown extensions are answered
// at once, and no call is placed.
func TestAlarmRefused(t *testing.T) {
	t.Parallel()
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": "http://127.0.0.1:9/incoming"}))
	for _, tc := range []struct {
		pairs []string
		code  int
	}{
		{[]string{"PhoneNumber", "300", "AccountNumber", "12345", "EventCode", "110", "PartitionNumber", "1", "ZoneNumber", "1"}, 302},
		{[]string{"PhoneNumber", "300", "AccountNumber", "1234", "EventCode", "110", "PartitionNumber", "1", "ZoneNumber", "1", "ApiExtension", "999"}, 401},
	} {
		if r := originate(t, a, "SendAlarmNotification", tc.pairs...); r.Code != tc.code {
			t.Errorf("%v: %+v, want %d", tc.pairs, r, tc.code)
		}
	}
	if calls := a.core.Calls(); len(calls) != 0 {
		t.Fatalf("calls placed: %+v", calls)
	}
}

// withAPIExtensions appends API extensions in the given order (number,
// url pairs), so which one is first is known.
func withAPIExtensions(cfg config.Config, pairs ...string) config.Config {
	for i := 0; i+1 < len(pairs); i += 2 {
		cfg.Extensions = append(cfg.Extensions, config.Extension{Number: pairs[i], Kind: config.KindAPI, URL: pairs[i+1]})
	}
	return cfg
}

// writeHandshake writes a receiver's handshake (after half a second of
// silence) as a WAV file.
func writeHandshake(t *testing.T, path string) {
	t.Helper()
	hs, err := contactid.Handshake(-8)
	if err != nil {
		t.Fatal(err)
	}
	var g tone.Generator
	if err := g.Reset(hs); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wav.NewWriter(f, wav.EncodingPCM16)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSamples(make([]int16, 4000)); err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	for done := false; !done; {
		done = g.Fill(frame)
		if err := w.WriteSamples(frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAlarmUnreachable: the number cannot be rung (102 is not
// registered): the ResultUrl hears of the failure with the call's state,
// and nothing was sent.
func TestAlarmUnreachable(t *testing.T) {
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/result": " "})
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/incoming"}))
	r := originate(t, a, "SendAlarmNotification", "PhoneNumber", "102", "AccountNumber", "1234", "EventCode", "110",
		"PartitionNumber", "1", "ZoneNumber", "10", "ApiExtension", "200", "ResultUrl", app.srv.URL+"/result")
	if r.Code != 200 {
		t.Fatalf("SendAlarmNotification: %+v", r)
	}
	res := alarmPosts(t, app, 1)["result"].form
	if res.Get("Result") != "Failed" || res.Get("Attempts") != "0" || res.Get("CallState") == "Completed" || res.Get("ErrorMessage") == "" {
		t.Fatalf("ResultUrl: %v", res)
	}
	t.Logf("unreachable: %s: %s", res.Get("CallState"), res.Get("ErrorMessage"))
}
