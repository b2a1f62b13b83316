package app

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/media/wav"
	"github.com/gatepbx/gatepbx/sip/sipptest"
	"github.com/gatepbx/gatepbx/sip/trunk"
)

// tourOzML is an on-device script that runs the verbs that need no
// speech engine on a real call: a ForEach over an Array plays a WAV file
// of the data dir twice, Beep, SendDTMF to the caller, Hold (the caller
// hears music on hold) and Unhold, file moves and deletes (the ones
// leaving the data dir refused), then a message to the other script
// (202), whose answer picks the application URL it goes to.
const tourOzML = `<OzML>
  <Array id="plays"><item>sounds/tone.wav</item><item>sounds/tone.wav</item></Array>
  <ForEach source="plays"><Play>$item</Play></ForEach>
  <Beep/>
  <SendDTMF>12#</SendDTMF>
  <Hold/><Delay>1.5</Delay><Unhold/>
  <MoveFile Source="inbox/*.txt" Target="archive"/>
  <DeleteFile>../outside.txt</DeleteFile>
  <MoveFile Source="archive/a.txt" Target="/tmp"/>
  <DeleteFile Source="archive/old.txt"/>
  <SendMsg ToConnection="202">ping</SendMsg>
  <WaitForMsg Connection="201" Id="reply" Timeout="20"/>
  <GoTo>APP/a-$reply</GoTo>
</OzML>`

// TestOzmlScriptVerbs: two scripts at once, 201 on the device and 202
// from the application, talk over the message bus; 201 runs tourOzML.
// The caller of 201 hears the WAV twice, the beep and music on hold and
// receives the keys as RFC 4733 events; the files move inside the data
// dir and nothing outside it is touched; each script ends at the
// document its message chose (202's, from the application, goes on to a
// script on the device).
func TestOzmlScriptVerbs(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{
		"/b": `<Response><Beep/><WaitForMsg Connection="202" Id="m" Timeout="20"/>` +
			`<SendMsg ToConnection="201">pong</SendMsg><GoTo>b-$m</GoTo></Response>`,
		"/b-ping": `<Response><GoTo>script:bye.ozml</GoTo></Response>`, // from a URL to a script on the device
		"/a-pong": `<Response><Exit/><Beep/></Response>`,
	})
	cfg := apiExtConfig(t, map[string]string{"201": "tour.ozml", "202": app.srv.URL + "/b"})
	data := cfg.DataDir
	writeFile(t, filepath.Join(data, "scripts", "tour.ozml"), strings.ReplaceAll(tourOzML, "APP", app.srv.URL))
	writeFile(t, filepath.Join(data, "scripts", "bye.ozml"), `<Response><Play>sounds/tone.wav</Play><Hangup/><Beep/></Response>`)
	writeToneWAV(t, filepath.Join(data, "sounds", "tone.wav"), time.Second)
	writeFile(t, filepath.Join(data, "inbox", "a.txt"), "a")
	writeFile(t, filepath.Join(data, "archive", "old.txt"), "old")
	outside := filepath.Join(filepath.Dir(data), "outside.txt")
	writeFile(t, outside, "keep")
	a, logs := startLoggedApp(t, cfg)

	media := newRTPPhone(t)
	start := time.Now()
	tour := mediaCaller(t, a, media, "hangup_wait.part", "201", map[string]string{})
	otherMedia := newRTPPhone(t)
	other := mediaCaller(t, a, otherMedia, "hangup_wait.part", "202", map[string]string{})
	for _, c := range []*sipptest.Peer{tour, other} {
		if err := c.Wait(); err != nil {
			t.Fatalf("caller: %v", err)
		}
	}
	var paths []string
	for len(paths) < 3 {
		paths = append(paths, app.next(t, tour).path)
	}
	slices.Sort(paths)
	if !slices.Equal(paths, []string{"/a-pong", "/b", "/b-ping"}) {
		t.Fatalf("the application got %v", paths)
	}
	// Two seconds of the WAV, the beep and 1.5 s of music on hold.
	if n := media.loud(start, time.Now()); n < 150 {
		t.Fatalf("the caller heard %d loud packets", n)
	}
	// 202: its beep, then bye.ozml's second of WAV.
	if n := otherMedia.loud(start, time.Now()); n < 60 {
		t.Fatalf("202's caller heard %d loud packets", n)
	}
	if k := media.received(); k != "12#" {
		t.Fatalf("the caller received keys %q, want 12#", k)
	}
	for name, want := range map[string]bool{
		"archive/a.txt": true, "inbox/a.txt": false, "archive/old.txt": false, "sounds/tone.wav": true,
	} {
		if _, err := os.Stat(filepath.Join(data, name)); (err == nil) != want {
			t.Errorf("%s: exists=%v, want %v", name, err == nil, want)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the file outside the data dir: %v", err)
	}
	for _, s := range []string{
		`verb=DeleteFile line=8 reason="\"../outside.txt\": path is outside the data dir"`,
		`verb=MoveFile line=9 reason="Target: \"`, // the path, relative to the data dir, then
		`": path is outside the data dir"`,
	} {
		if !logs.contains(s) {
			t.Errorf("the log lacks %q", s)
		}
	}
	for _, verb := range []string{"verb=Hold", "verb=Unhold", "verb=SendDTMF", "verb=Play", "verb=WaitForMsg"} {
		if logs.contains(verb) {
			t.Errorf("%s failed or was skipped", verb)
		}
	}
	recs := waitRecords(t, a, 2)
	for _, r := range recs {
		if r.State != "CalleeHangUp" || r.Answer.IsZero() {
			t.Errorf("history %+v", r)
		}
	}
}

// writeToneWAV writes d of a loud 440 Hz tone as an 8 kHz WAV file.
func writeToneWAV(t *testing.T, name string, d time.Duration) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := wav.CreateAtomic(name, wav.EncodingPCM16, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]int16, int(d.Seconds()*8000))
	for i := range s {
		s[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	if err := f.WriteSamples(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
}

// optionsMenuOzML is a menu with the UserInput options the seed menu
// does not use: a prompt replayed after Timeout (Repeat), a multi-digit
// key, BackKey out of a submenu, MinDigits/MaxDigits and the older
// spellings ForwardToURL and enteredUrl. The prompts are a WAV file and
// beeps, so no speech engine is needed.
const optionsMenuOzML = `<Response>
  <UserInput Timeout="1.5" Repeat="true">
    <InitialCommands><Play>sounds/tone.wav</Play></InitialCommands>
    <Inputs>
      <Input key="9">
        <UserInput MinDigits="2" MaxDigits="4" Timeout="5" BackKey="*" enteredUrl="never">
          <InitialCommands><Beep/></InitialCommands>
        </UserInput>
        <Speak>not after BackKey</Speak>
      </Input>
      <Input key="71">
        <UserInput Digits="3" Timeout="5" ForwardToURL="code"><InitialCommands><Beep/></InitialCommands></UserInput>
      </Input>
    </Inputs>
  </UserInput>
</Response>`

// TestOzmlMenuOptions: the caller lets the first prompt time out and
// hears it again, enters submenu 9 and leaves it by BackKey (the top
// prompt plays again), picks the two-digit key 71 and enters a three-
// digit code (DtmfEntered to ForwardToURL), then two digits of a
// MinDigits=2 input that ends on its timeout (DtmfEntered to enteredUrl),
// then three of a MaxDigits=3 input that ends on the third key.
func TestOzmlMenuOptions(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{
		"/ivr/start": optionsMenuOzML,
		"/ivr/code": `<Response><UserInput MinDigits="2" MaxDigits="4" Timeout="1.5" enteredUrl="digits">` +
			`<InitialCommands><Beep/></InitialCommands></UserInput><Beep/></Response>`,
		// MaxDigits reached: the input ends at once, long before Timeout.
		"/ivr/digits": `<Response><UserInput MinDigits="2" MaxDigits="3" Timeout="30" enteredUrl="max">` +
			`<InitialCommands><Beep/></InitialCommands></UserInput><Beep/></Response>`,
		"/ivr/max": " ",
	})
	cfg := apiExtConfig(t, map[string]string{"200": app.srv.URL + "/ivr/start"})
	writeToneWAV(t, filepath.Join(cfg.DataDir, "sounds", "tone.wav"), time.Second)
	a := startTestApp(t, cfg)
	media := newRTPPhone(t)
	start := time.Now()
	c := mediaCaller(t, a, media, "hangup_wait.part", "200", map[string]string{})
	incoming := app.next(t, c)
	media.waitLoud(t, start, 40) // the prompt
	media.waitQuiet(t, time.Second)
	quiet := time.Now()
	media.waitLoud(t, quiet, 40) // Repeat after the Timeout
	media.pressRFC4733("9")
	media.waitQuiet(t, 700*time.Millisecond) // barge-in, then the submenu's beep
	media.pressRFC4733("*")
	back := time.Now()
	media.waitLoud(t, back, 40) // BackKey: the top prompt again
	media.pressRFC4733("71")
	media.waitQuiet(t, 700*time.Millisecond)
	media.pressRFC4733("123")
	p := app.next(t, c)
	if p.path != "/ivr/code" || p.form.Get("NotificationName") != "DtmfEntered" || p.form.Get("DtmfDigits") != "123" ||
		p.form.Get("CallId") != incoming.form.Get("CallId") {
		t.Fatalf("ForwardToURL: %s %v", p.path, p.form)
	}
	media.waitQuiet(t, 300*time.Millisecond)
	media.pressRFC4733("45")
	p = app.next(t, c)
	if p.path != "/ivr/digits" || p.form.Get("DtmfDigits") != "45" {
		t.Fatalf("enteredUrl: %s %v", p.path, p.form)
	}
	media.waitQuiet(t, 300*time.Millisecond)
	media.pressRFC4733("678") // no terminator; the 30 s Timeout is longer than next waits
	p = app.next(t, c)
	if p.path != "/ivr/max" || p.form.Get("NotificationName") != "DtmfEntered" || p.form.Get("DtmfDigits") != "678" {
		t.Fatalf("MaxDigits: %s %v", p.path, p.form)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if rec := lastRecord(t, a, 1); rec.State != "CalleeHangUp" || rec.Callee != "200" {
		t.Fatalf("history %+v", rec)
	}
}

// requestOzML places three calls with the Request verb and records in
// variables which blocks ran; the GoTo at the end tells the application.
const requestOzML = `<Response>
  <Beep/>
  <Request DialedAddress="102" RingTime="20">
    <OnSetup><Var id="s">setup</Var></OnSetup>
    <OnRinging><Var id="r">ringing</Var></OnRinging>
    <OnInCall><Play>sounds/tone.wav</Play></OnInCall>
    <OnCompleted><Var id="c">completed</Var></OnCompleted>
    <OnError><Var id="c">error</Var></OnError>
  </Request>
  <Request DialedAddress="555">
    <OnNotFound><Var id="n">notfound</Var></OnNotFound>
    <OnCompleted><Var id="n">wrong</Var></OnCompleted>
  </Request>
  <Request DialedAddress="sip:103@localhost">
    <OnBusy><Var id="b">busy</Var></OnBusy>
    <OnRejected><Var id="b">rejected</Var></OnRejected>
  </Request>
  <GoTo>done-$s-$r-$c-$n-$b</GoTo>
</Response>`

// TestOzmlRequestVerb: a script's Request blocks run as the calls they
// place go: 102 answers and hears OnInCall's WAV (then the BYE), an
// unknown number runs OnNotFound, a busy 103 OnBusy.
func TestOzmlRequestVerb(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/start": requestOzML, "/done-setup-ringing-completed-notfound-busy": " "})
	cfg := apiExtConfig(t, map[string]string{"200": app.srv.URL + "/start"})
	writeToneWAV(t, filepath.Join(cfg.DataDir, "sounds", "tone.wav"), time.Second)
	a := startTestApp(t, cfg)
	m102 := newRTPPhone(t)
	p102 := mediaPhoneAt(t, a, "102", m102, "uas_media.xml", "uas_wait.part", map[string]string{})
	p103 := phone(t, a, "103", "uas_busy.xml", "", map[string]string{}, false)
	start := time.Now()
	c := mediaCaller(t, a, newRTPPhone(t), "hangup_wait.part", "200", map[string]string{})
	if p := app.next(t, c); p.path != "/start" {
		t.Fatalf("IncomingCall: %s", p.path)
	}
	if p := app.next(t, c); p.path != "/done-setup-ringing-completed-notfound-busy" || p.form.Get("NotificationName") != "GoTo" {
		t.Fatalf("the blocks that ran: %s", p.path)
	}
	for _, p := range []*sipptest.Peer{c, p102, p103} {
		if err := p.Wait(); err != nil {
			t.Fatalf("SIPp: %v", err)
		}
	}
	if n := m102.loud(start, time.Now()); n < 40 {
		t.Fatalf("102 heard %d loud packets of OnInCall's WAV", n)
	}
}

// requestFailOzML places two calls with Request that fail differently:
// 102 declines (OnRejected), 95551234 goes by a route to a trunk that is
// down (503, OnError); the variables say which blocks ran.
const requestFailOzML = `<Response>
  <Beep/>
  <Request DialedAddress="102">
    <OnRejected><Var id="r">rejected</Var></OnRejected>
    <OnError><Var id="r">error</Var></OnError>
    <OnBusy><Var id="r">busy</Var></OnBusy>
    <OnCompleted><Var id="r">completed</Var></OnCompleted>
  </Request>
  <Request DialedAddress="95551234">
    <OnError><Var id="e">error</Var></OnError>
    <OnRejected><Var id="e">rejected</Var></OnRejected>
    <OnNotFound><Var id="e">notfound</Var></OnNotFound>
  </Request>
  <GoTo>done-$r-$e</GoTo>
</Response>`

// TestOzmlRequestRejectedAndError: a Request to a phone that answers 603
// runs OnRejected; one the dial plan sends to a trunk that is down (503)
// runs OnError.
func TestOzmlRequestRejectedAndError(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/start": requestFailOzML, "/done-rejected-error": " "})
	cfg := apiExtConfig(t, map[string]string{"200": app.srv.URL + "/start"})
	cfg.Trunks = []trunk.Config{{Name: "down", Registrar: "127.0.0.1:9", Username: "nobody", Password: "x-Secret-2", Register: true}}
	cfg.Dialplan.Routes = []dialplan.Route{{Name: "out", Priority: 10, Prefix: "9", MinLength: 4, Strip: 1,
		Target: dialplan.Target{Kind: dialplan.TargetTrunk, Name: "down"}}}
	a := startTestApp(t, cfg)
	declines := phone(t, a, "102", "uas_reject.xml", "", map[string]string{"CODE": "603", "REASON": "Decline"}, false)
	c := mediaCaller(t, a, newRTPPhone(t), "hangup_wait.part", "200", map[string]string{})
	if p := app.next(t, c); p.path != "/start" {
		t.Fatalf("IncomingCall: %s", p.path)
	}
	if p := app.next(t, c); p.path != "/done-rejected-error" || p.form.Get("NotificationName") != "GoTo" {
		t.Fatalf("the blocks that ran: %s", p.path)
	}
	for _, p := range []*sipptest.Peer{c, declines} {
		if err := p.Wait(); err != nil {
			t.Fatalf("SIPp: %v", err)
		}
	}
}

// TestOzmlForwardCall: ForwardCall as the first verb sends the ringing
// call to 102, which answers and talks; one to an unregistered 103 fails
// and the script falls through to the next verb.
func TestOzmlForwardCall(t *testing.T) {
	sipptest.Need(t)
	for _, ok := range []bool{true, false} {
		t.Run(map[bool]string{true: "to 102", false: "103 unregistered"}[ok], func(t *testing.T) {
			t.Parallel()
			app := newOzmlApp(t, map[string]string{
				"/start": `<Response><ForwardCall>102</ForwardCall><Beep/><Delay>0.5</Delay></Response>`,
				"/fail":  `<Response><Forward Destination="103"/><Beep/><Delay>0.5</Delay></Response>`,
			})
			target := map[bool]string{true: "/start", false: "/fail"}[ok]
			a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + target}))
			if ok {
				phone(t, a, "102", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "2000"}, false)
			}
			media := newRTPPhone(t)
			start := time.Now()
			c := mediaCaller(t, a, media, "hangup_wait.part", "200", map[string]string{})
			if err := c.Wait(); err != nil {
				t.Fatalf("caller: %v", err)
			}
			rec := lastRecord(t, a, 1)
			if ok {
				if rec.Callee != "102" || rec.State != "CalleeHangUp" || rec.RTPFromCallee < 50 {
					t.Fatalf("history %+v", rec)
				}
				if n := media.loud(start, time.Now()); n < 25 {
					t.Fatalf("%d loud packets from 102", n)
				}
				return
			}
			if rec.Callee != "200" || rec.State != "CalleeHangUp" || rec.Answer.IsZero() {
				t.Fatalf("history %+v", rec)
			}
			if n := media.loud(start, time.Now()); n < 15 {
				t.Fatalf("%d loud packets: the Beep after the failed forward was not heard", n)
			}
		})
	}
}

// attendedOzML consults 103 with the Call verb (the placed call's own
// script tells this one its CallId over the message bus), then joins the
// caller to that call.
const attendedOzML = `<Response>
  <Beep/>
  <Call Dialed="103"><ResponseOzML>
    <SendMsg ToConnection="consult-$apiextension">$callid</SendMsg><Delay>30</Delay>
  </ResponseOzML></Call>
  <WaitForMsg Connection="consult-200" Id="consult" Timeout="20"/>
  <AttendedTransfer TargetCallId="$consult"/>
  <Speak>never</Speak>
</Response>`

// TestOzmlAttendedTransfer: 101 calls API extension 200, whose script
// places a call to 103 and joins 101 to it by AttendedTransfer: 101 then
// hears 103 in the consultation call (which keeps its ID), and both of
// the extension's legs leave.
func TestOzmlAttendedTransfer(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/start": attendedOzML})
	a, logs := startLoggedApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/start"}))
	target := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "5000"}, false)
	media := newRTPPhone(t)
	c := mediaCaller(t, a, media, "hangup_wait.part", "200", map[string]string{})
	app.next(t, c)
	var consultID string
	waitFor(t, "the consultation call", func() bool {
		for _, call := range apiGet(t, a, "command", "ListActiveCalls").ActiveCalls {
			if call.Destination == "103" && call.CallState == "InCall" {
				consultID = call.CallId
				return true
			}
		}
		return false
	})
	waitFor(t, "the join", func() bool { return len(apiGet(t, a, "command", "ListActiveCalls").ActiveCalls) == 1 })
	joined := time.Now()
	if err := c.Wait(); err != nil { // 101's BYE comes when 103 hangs up
		t.Fatalf("101: %v", err)
	}
	if err := target.Wait(); err != nil {
		t.Fatalf("103: %v", err)
	}
	if n := media.loud(joined, time.Now()); n < 50 {
		t.Fatalf("101 heard %d loud packets from 103 after the join", n)
	}
	// The consultation call's ID has two records (200→103 until the join,
	// then the joined call), written as each part ends: wait for the last.
	var records []history.Record
	waitFor(t, "the joined call's history record", func() bool {
		records = a.hist.Recent(a.hist.Len())
		return slices.ContainsFunc(records, func(r history.Record) bool { return r.CallID == consultID && r.Caller == "101" })
	})
	i := slices.IndexFunc(records, func(r history.Record) bool { return r.CallID == consultID && r.Caller == "101" })
	if final := records[i]; final.State != "CalleeHangUp" || final.Callee != "103" {
		t.Fatalf("joined call %+v", final)
	}
	if logs.contains("verb=AttendedTransfer") || logs.contains("never") {
		t.Fatal("the transfer failed and the script went on")
	}
}
