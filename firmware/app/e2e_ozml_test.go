package app

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

type historyRecord = history.Record

// End-to-end tests of API extensions: a SIPp caller (its media on a test
// RTP socket that decodes what the caller hears) calls an extension whose
// application is a loopback HTTP server answering OzML, or whose script
// is a file on the device.

// seedOzML is the example, as written.
const seedOzML = `<?xml version="1.0"?> <Response> <Speak>You will be blind transfered to 102 in 1 seconds.</Speak> <Delay>1</Delay> <BlindTransfer>102</BlindTransfer> <Speak>Sorry, but blind transfer failed to extension 102</Speak> </Response>`

// TestOzmlSeedBlindTransfer: 101 calls API extension 200; the application
// gets IncomingCall and answers the seed script: 101 hears the sentence,
// a second of silence (the Delay), then is connected to 102 (success), or
// hears the apology and is hung up (102 not registered, busy, or not
// answering within the ring timeout).
func TestOzmlSeedBlindTransfer(t *testing.T) {
	needSpeech(t)
	for _, callee := range []string{"transferred", "102 unregistered", "102 busy", "102 no answer"} {
		success := callee == "transferred"
		t.Run(callee, func(t *testing.T) {
			t.Parallel()
			app := newOzmlApp(t, map[string]string{"/incoming": seedOzML})
			cfg := apiExtConfig(t, map[string]string{"200": app.srv.URL + "/incoming?app=seed"})
			cfg.SIP.RingTimeout = 4 * time.Second
			a := startTestApp(t, cfg)
			switch callee {
			case "transferred":
				// 102 answers, speaks (a capture) for 3 s and hangs up.
				phone(t, a, "102", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "3000"}, false)
			case "102 busy":
				phone(t, a, "102", "uas_busy.xml", "", map[string]string{}, false)
			case "102 no answer":
				phone(t, a, "102", "uas_ring_cancel.xml", "", map[string]string{}, false)
			}
			media := newRTPPhone(t)
			start := time.Now()
			c := mediaCaller(t, a, media, "hangup_wait.part", "200", map[string]string{})

			p := app.next(t, c)
			f := p.form
			if p.path != "/incoming" || f.Get("NotificationName") != "IncomingCall" || f.Get("CallId") == "" || f.Get("Caller") != "101" ||
				f.Get("CallerId") != "101" || f.Get("Callee") != "200" || f.Get("Dialed") != "200" || f.Get("ApiExtension") != "200" ||
				f.Get("CallState") != "Ringing" || !f.Has("CallerDisplayName") {
				t.Fatalf("IncomingCall notification %s %v", p.path, f)
			}
			if err := c.Wait(); err != nil {
				t.Fatalf("caller: %v", err)
			}
			end := time.Now()
			// The sentence, then the Delay: the longest quiet stretch,
			// at least a second, comes after at least a second of speech
			// and before the apology or 102.
			quietFrom, quietTo := media.longestQuiet(start, end)
			if gap := quietTo.Sub(quietFrom); gap < 950*time.Millisecond {
				t.Fatalf("longest silence %v: the Delay of 1 s was not heard", gap)
			}
			if n := media.loud(start, quietFrom.Add(time.Millisecond)); n < 50 {
				t.Fatalf("%d loud packets before the Delay: the sentence was not heard", n)
			}
			if n := media.loud(quietTo, end); n < 25 {
				t.Fatalf("%d loud packets after the Delay", n)
			}
			if success {
				recs := waitRecords(t, a, 2)
				final, seg := recs[0], recs[1]
				if seg.State != "Transferred" || seg.Callee != "200" || seg.CallID != f.Get("CallId") {
					t.Fatalf("API extension's part %+v", seg)
				}
				if final.State != "CalleeHangUp" || final.Caller != "101" || final.Callee != "102" || final.RTPToCaller < 50 || final.RTPFromCallee < 50 {
					t.Fatalf("the caller and 102 %+v", final)
				}
				// The sentence (about 3 s) before 102 answered; 102's
				// capture after.
				if n := media.loud(start, seg.End); n < 50 {
					t.Fatalf("%d loud packets before the transfer: the sentence was not heard", n)
				}
				if n := media.loud(seg.End, end); n < 25 {
					t.Fatalf("%d loud packets from 102", n)
				}
				return
			}
			rec := waitRecords(t, a, 1)[0]
			if rec.State != "CalleeHangUp" || rec.Callee != "200" || rec.Answer.IsZero() {
				t.Fatalf("history %+v", rec)
			}
			// Two sentences, about 5 s of speech; the apology after the
			// Delay.
			if n := media.loud(start, end); n < 100 {
				t.Fatalf("%d loud packets: the sentence and the apology were not heard", n)
			}
			if n := media.loud(quietTo, end); n < 50 {
				t.Fatalf("%d loud packets after the Delay: the apology was not heard", n)
			}
		})
	}
}

// waitRecords waits for n history records and returns them, newest first.
func waitRecords(t *testing.T, a *App, n int) []historyRecord {
	t.Helper()
	waitFor(t, "call history records", func() bool { return a.hist.Len() >= n })
	return a.hist.Recent(n)
}

// TestOzmlIncomingCallFailures: an application that cannot give OzML
// (or a hostile document over the limits) ends the call with a clear
// status; Reject as the first verb refuses it.
func TestOzmlIncomingCallFailures(t *testing.T) {
	sipptest.Need(t)
	tests := []struct {
		name, doc, code string
	}{
		{"HTTP 500", "500", "502"},
		{"not XML", "<Response><Speak>unclosed", "500"},
		{"unknown verb", "<Response><Dance/></Response>", "500"},
		{"empty reply", " ", "480"},
		{"unreachable", "", "503"},
		{"Reject", "<Response><Reject/><Speak>never</Speak></Response>", "603"},
		{"huge document", "<Response>" + strings.Repeat("<Delay>0</Delay>", 20000) + "</Response>", "500"},
		{"deep nesting", "<Response>" + strings.Repeat("<UserInput><Inputs><Input key='1'>", 40) + "</Response>", "500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := newOzmlApp(t, map[string]string{"/incoming": tc.doc})
			target := app.srv.URL + "/incoming"
			if tc.doc == "" {
				app.srv.Close()
			}
			a := startTestApp(t, apiExtConfig(t, map[string]string{"200": target}))
			c := caller(t, a, "uac_fail.xml", "", "200", map[string]string{"CODE": tc.code})
			if err := c.Wait(); err != nil {
				t.Fatalf("caller: %v", err)
			}
			if rec := lastRecord(t, a, 1); rec.Callee != "200" || !rec.Answer.IsZero() {
				t.Fatalf("history %+v", rec)
			}
		})
	}
}

// menuOzML is a two-level menu: 1 leads to a two-digit code that goes to
// the application (DtmfEntered), 2 to a message.
const menuOzML = `<Response>
  <UserInput Timeout="8" Repeat="true">
    <InitialCommands><Speak>Press 1 for sales or 2 for support.</Speak></InitialCommands>
    <Inputs>
      <Input key="1">
        <UserInput Digits="2" Timeout="8" ForwardToUrl="digits?menu=sales">
          <InitialCommands><Speak>Sales. Enter your two digit code.</Speak></InitialCommands>
        </UserInput>
      </Input>
      <Input key="2"><Speak>Support is closed.</Speak></Input>
    </Inputs>
  </UserInput>
</Response>`

// TestOzmlMenuDTMF: the caller picks 1 in the first menu (barging in on
// the prompt) and enters 42 in the second, by RFC 4733 events or in-band
// tones; the application gets DtmfEntered with DtmfDigits=42 and its
// reply ends the call.
func TestOzmlMenuDTMF(t *testing.T) {
	needSpeech(t)
	for _, how := range []string{"rfc4733", "inband"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			app := newOzmlApp(t, map[string]string{
				"/ivr/incoming": menuOzML,
				"/ivr/digits":   `<Response><Speak>You entered $DtmfDigits. Goodbye.</Speak></Response>`,
			})
			a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/ivr/incoming"}))
			media := newRTPPhone(t)
			press := func(keys string) {
				if how == "rfc4733" {
					media.pressRFC4733(keys)
				} else {
					media.pressInBand(t, keys)
				}
			}
			start := time.Now()
			c := mediaCaller(t, a, media, "hangup_wait.part", "200", map[string]string{})
			incoming := app.next(t, c)
			media.waitLoud(t, start, 10) // the first prompt plays
			press("1")
			pressed := time.Now()
			// The second prompt: speech again after the barge-in.
			media.waitLoud(t, pressed.Add(500*time.Millisecond), 10)
			press("42")
			p := app.next(t, c)
			if p.path != "/ivr/digits" || p.form.Get("NotificationName") != "DtmfEntered" || p.form.Get("DtmfDigits") != "42" ||
				p.form.Get("CallId") != incoming.form.Get("CallId") || p.form.Get("ApiExtension") != "200" {
				t.Fatalf("DtmfEntered %s %v", p.path, p.form)
			}
			if err := c.Wait(); err != nil {
				t.Fatalf("caller: %v", err)
			}
			if rec := lastRecord(t, a, 1); rec.State != "CalleeHangUp" || rec.Callee != "200" {
				t.Fatalf("history %+v", rec)
			}
		})
	}
}

// TestOzmlScriptGoToRecord: extension 201 runs an on-device script that
// greets, goes to a second script, beeps and records the caller until #;
// the application gets RecordCompleted with a RecordURL that downloads
// the WAV file from the appliance, then the script thanks the caller by a
// variable set in the first document and hangs up.
func TestOzmlScriptGoToRecord(t *testing.T) {
	needSpeech(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/recorded": " "})
	cfg := apiExtConfig(t, map[string]string{"201": "ivr/main.ozml"})
	scripts := filepath.Join(cfg.DataDir, "scripts", "ivr")
	writeFile(t, filepath.Join(scripts, "main.ozml"), `<OzML><Var id="who">dear caller</Var><Speak>Welcome.</Speak><GoTo>record.ozml</GoTo><Speak>never</Speak></OzML>`)
	writeFile(t, filepath.Join(scripts, "record.ozml"), `<response><beep/><record format="wav" duration="10" finishdigits="#" finishedurl="`+
		app.srv.URL+`/recorded"/><speak>Thank you, $who.</speak></response>`)
	a := startTestApp(t, cfg)
	media := newRTPPhone(t)
	start := time.Now()
	c := mediaCaller(t, a, media, "hangup_wait.part", "201", map[string]string{})
	media.waitLoud(t, start, 30) // the welcome and the beep
	media.waitQuiet(t, 400*time.Millisecond)
	media.speakTone(3 * time.Second)
	media.pressRFC4733("#")
	p := app.next(t, c)
	f := p.form
	if p.path != "/recorded" || f.Get("NotificationName") != "RecordCompleted" || f.Get("ApiExtension") != "201" || f.Get("RecordURL") == "" {
		t.Fatalf("RecordCompleted %s %v", p.path, f)
	}
	if d, err := strconv.ParseFloat(f.Get("Duration"), 64); err != nil || d < 1 || d > 9 {
		t.Fatalf("Duration %q", f.Get("Duration"))
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	checkRecording(t, f.Get("RecordURL"), 8000)
	name := path.Base(f.Get("RecordURL"))
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "recordings", name)); err != nil {
		t.Fatalf("recording not in the data dir: %v", err)
	}
	for _, bad := range []string{"nosuch.wav", "..%2fgatepbx.yaml", strings.TrimSuffix(name, ".wav")} {
		u := "http://" + a.APIAddr() + "/recordings/" + bad
		resp := httpGet(t, u)
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("GET %s: %s", u, resp.Status)
		}
	}
	if rec := lastRecord(t, a, 1); rec.State != "CalleeHangUp" || rec.Callee != "201" {
		t.Fatalf("history %+v", rec)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkRecording downloads a WAV recording and checks it holds at least
// loud samples well above silence (the caller's tone).
func checkRecording(t *testing.T, u string, loud int) {
	t.Helper()
	resp := httpGet(t, u)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("RIFF")) {
		t.Fatalf("RecordURL %s: %d, %d bytes", u, resp.StatusCode, len(body))
	}
	n := 0
	for i := 44; i+1 < len(body); i += 2 {
		if s := int16(binary.LittleEndian.Uint16(body[i:])); s > 4000 || s < -4000 {
			n++
		}
	}
	if n < loud {
		t.Fatalf("recording has %d loud samples, want %d", n, loud)
	}
}

// TestOzmlScriptsAtOnce: scripts run side by side; hostile ones (an
// endless GoTo loop, a document with an unknown verb, a GoTo to an
// application that is not there) end their own calls only, while the
// others speak to their callers to the end.
func TestOzmlScriptsAtOnce(t *testing.T) {
	needSpeech(t)
	t.Parallel()
	const speech = `<Response><Speak>This call is not disturbed by the others. It goes on to the end.</Speak></Response>`
	app := newOzmlApp(t, map[string]string{"/loop": `<Response><GoTo>loop</GoTo></Response>`, "/speak": speech,
		"/bad": `<Response><Dance/></Response>`, "/gone": `<Response><Beep/><GoTo>http://127.0.0.1:1/nothing</GoTo><Speak>never</Speak></Response>`})
	cfg := apiExtConfig(t, map[string]string{"200": app.srv.URL + "/loop", "201": app.srv.URL + "/speak", "202": "speak.ozml",
		"203": app.srv.URL + "/bad", "204": app.srv.URL + "/gone"})
	writeFile(t, filepath.Join(cfg.DataDir, "scripts", "speak.ozml"), speech)
	a := startTestApp(t, cfg)
	start := time.Now()
	var phones []*rtpPhone
	var callers []*sipptest.Peer
	for _, n := range []string{"201", "202"} {
		m := newRTPPhone(t)
		phones = append(phones, m)
		callers = append(callers, mediaCaller(t, a, m, "hangup_wait.part", n, map[string]string{}))
	}
	hostile := []*sipptest.Peer{
		caller(t, a, "uac_fail.xml", "", "200", map[string]string{"CODE": "480"}),
		caller(t, a, "uac_fail.xml", "", "203", map[string]string{"CODE": "500"}),
		mediaCaller(t, a, newRTPPhone(t), "hangup_wait.part", "204", map[string]string{}),
	}
	for i, c := range hostile {
		if err := c.Wait(); err != nil {
			t.Fatalf("hostile script %d's caller: %v", i, err)
		}
	}
	for i, c := range callers {
		if err := c.Wait(); err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if n := phones[i].loud(start, time.Now()); n < 100 {
			t.Fatalf("caller %d heard %d loud packets", i, n)
		}
	}
	recs := waitRecords(t, a, 5)
	states := map[string]string{}
	for _, r := range recs {
		states[r.Callee] = r.State
	}
	if states["200"] != "NoAnswer" || states["201"] != "CalleeHangUp" || states["202"] != "CalleeHangUp" ||
		states["203"] == "" || states["204"] != "CalleeHangUp" {
		t.Fatalf("history states %v", states)
	}
}
