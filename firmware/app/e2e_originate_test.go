package app

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// End-to-end tests of the calls the appliance places: HTTP Call (an API
// extension calls a SIPp phone and runs OzML on it), CallSetup (click to
// dial between two SIPp phones) and Request.

// originateReply is a Call/CallSetup/Request response.
type originateReply struct {
	Code    int    `xml:"Code"`
	Message string `xml:"Message"`
	CallID  string `xml:"CallId"`
}

// originate sends command with the name/value pairs as a form POST, as an
// application would.
func originate(t *testing.T, a *App, command string, pairs ...string) originateReply {
	t.Helper()
	v := url.Values{"Command": {command}, "Username": {apiTestUser}, "Password": {apiTestPassword}}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	res, err := (&http.Client{Timeout: apiTimeout}).PostForm("http://"+a.APIAddr()+"/api", v)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r originateReply
	if err := xml.Unmarshal(body, &r); err != nil {
		t.Fatalf("not XML: %v\n%s", err, body)
	}
	return r
}

// mediaPhoneAt starts a SIPp phone for number answering with PCMA and
// telephone events on media's socket, then part (e.g. uas_wait.part),
// and registers it.
func mediaPhoneAt(t *testing.T, a *App, number string, media *rtpPhone, scen, part string, vars map[string]string) *sipptest.Peer {
	t.Helper()
	vars["SDPMEDIA"] = sdpMedia("m=audio "+media.port()+" RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=ptime:20")
	return phone(t, a, number, scen, part, vars, false)
}

// nextPost waits up to 20 s for a notification.
func (o *ozmlApp) nextPost(t *testing.T) post {
	t.Helper()
	select {
	case p := <-o.posts:
		return p
	case <-time.After(20 * time.Second):
		t.Fatal("no notification reached the application")
	}
	return post{}
}

// TestAPICallResponseOzML: Call from API extension 200 to 102 with an
// inline script: 102 rings, answers, hears the sentence, and gets the
// BYE at the end of the script; FinishedUrl gets CallFinished.
func TestAPICallResponseOzML(t *testing.T) {
	needSpeech(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/finished": " "})
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/incoming"}))
	media := newRTPPhone(t)
	callee := mediaPhoneAt(t, a, "102", media, "uas_media.xml", "uas_wait.part", map[string]string{})
	start := time.Now()
	r := originate(t, a, "Call", "Dialed", "102", "ApiExtension", "200", "CallerId", "5550100",
		"ResponseOzML", "<Response><Speak>Hello, this is your appliance calling.</Speak></Response>",
		"FinishedUrl", app.srv.URL+"/finished?app=call")
	if r.Code != 200 || r.CallID == "" {
		t.Fatalf("Call: %+v", r)
	}
	if err := callee.Wait(); err != nil {
		t.Fatalf("102: %v", err)
	}
	if n := media.loud(start, time.Now()); n < 50 {
		t.Fatalf("102 heard %d loud packets: the sentence did not arrive", n)
	}
	p := app.nextPost(t)
	f := p.form
	if p.path != "/finished" || f.Get("NotificationName") != "CallFinished" || f.Get("CallId") != r.CallID ||
		f.Get("Caller") != "5550100" || f.Get("Callee") != "102" || f.Get("ApiExtension") != "200" || f.Get("CallState") != "CallerHangUp" {
		t.Fatalf("FinishedUrl %s %v", p.path, f)
	}
	rec := lastRecord(t, a, 1)
	if rec.CallID != r.CallID || rec.Caller != "5550100" || rec.Callee != "102" || rec.State != "CallerHangUp" || rec.Answer.IsZero() {
		t.Fatalf("history %+v", rec)
	}
}

// TestAPICallConnectedURL: without ResponseOzML the answered call asks
// Url (CallConnected) for its script.
func TestAPICallConnectedURL(t *testing.T) {
	needSpeech(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/connected": "<Response><Speak>Your order has shipped.</Speak></Response>"})
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/incoming"}))
	media := newRTPPhone(t)
	callee := mediaPhoneAt(t, a, "102", media, "uas_media.xml", "uas_wait.part", map[string]string{})
	start := time.Now()
	r := originate(t, a, "Call", "Dialed", "102", "ApiExtension", "200", "Url", app.srv.URL+"/connected?order=7")
	if r.Code != 200 || r.CallID == "" {
		t.Fatalf("Call: %+v", r)
	}
	p := app.nextPost(t)
	if f := p.form; p.path != "/connected" || f.Get("NotificationName") != "CallConnected" || f.Get("CallId") != r.CallID ||
		f.Get("Caller") != "200" || f.Get("Dialed") != "102" || f.Get("CallState") != "InCall" {
		t.Fatalf("CallConnected %s %v", p.path, f)
	}
	if err := callee.Wait(); err != nil {
		t.Fatalf("102: %v", err)
	}
	if n := media.loud(start, time.Now()); n < 25 {
		t.Fatalf("102 heard %d loud packets", n)
	}
}

// TestAPICallFailures: an unregistered number reaches ErrorUrl as
// CallError; a busy one too; an unknown API extension is 401; bad
// parameters 302.
func TestAPICallFailures(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/error": " "})
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/incoming"}))

	r := originate(t, a, "Call", "Dialed", "103", "ApiExtension", "200", "ResponseOzML", "<Response><Hangup/></Response>",
		"ErrorUrl", app.srv.URL+"/error")
	if r.Code != 200 || r.CallID == "" {
		t.Fatalf("Call to unregistered 103: %+v", r)
	}
	p := app.nextPost(t)
	if f := p.form; p.path != "/error" || f.Get("NotificationName") != "CallError" || f.Get("CallId") != r.CallID ||
		f.Get("Dialed") != "103" || f.Get("CallState") != "NotAvailable" || f.Get("ErrorMessage") == "" {
		t.Fatalf("ErrorUrl %s %v", p.path, f)
	}

	busy := phone(t, a, "102", "uas_busy.xml", "", map[string]string{}, false)
	r = originate(t, a, "Call", "Dialed", "102", "ApiExtension", "200", "ResponseOzML", "<Response><Hangup/></Response>",
		"ErrorUrl", app.srv.URL+"/error")
	if r.Code != 200 {
		t.Fatalf("Call to busy 102: %+v", r)
	}
	if f := app.nextPost(t).form; f.Get("CallState") != "Busy" || f.Get("Dialed") != "102" {
		t.Fatalf("ErrorUrl for busy: %v", f)
	}
	if err := busy.Wait(); err != nil {
		t.Fatalf("102: %v", err)
	}

	tests := []struct {
		name  string
		pairs []string
		code  int
		msg   string
	}{
		{"unknown API extension", []string{"Dialed", "102", "ApiExtension", "299"}, 401,
			"API extension '299' unavailable, please check configuration or permissions"},
		{"SIP extension as API extension", []string{"Dialed", "102", "ApiExtension", "101"}, 401,
			"API extension '101' unavailable, please check configuration or permissions"},
		{"no Dialed", []string{"ApiExtension", "200"}, 302, "Missing or invalid parameter 'Dialed' for command 'Call'"},
		{"bad Url", []string{"Dialed", "102", "ApiExtension", "200", "Url", "ftp://x"}, 302, "Missing or invalid parameter 'Url' for command 'Call'"},
		{"bad OzML", []string{"Dialed", "102", "ApiExtension", "200", "ResponseOzML", "<Response><Speak>"}, 302,
			"Missing or invalid parameter 'ResponseOzML' for command 'Call'"},
		{"unknown number", []string{"Dialed", "999", "ApiExtension", "200", "ErrorUrl", app.srv.URL + "/error"}, 200, "Command successfully executed"},
	}
	for _, tc := range tests {
		r := originate(t, a, "Call", tc.pairs...)
		if r.Code != tc.code || r.Message != tc.msg {
			t.Errorf("%s: %d %q, want %d %q", tc.name, r.Code, r.Message, tc.code, tc.msg)
		}
	}
	if f := app.nextPost(t).form; f.Get("CallState") != "NotFound" || f.Get("Dialed") != "999" {
		t.Fatalf("ErrorUrl for an unknown number: %v", f)
	}
}

// TestAPICallSetup: click to dial 101 → 102: 101 rings first and
// answers, then 102 rings and answers; audio flows both ways until 102
// hangs up.
func TestAPICallSetup(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	m101, m102 := newRTPPhone(t), newRTPPhone(t)
	p101 := mediaPhoneAt(t, a, "101", m101, "uas_media.xml", "uas_wait.part", map[string]string{})
	p102 := mediaPhoneAt(t, a, "102", m102, "uas_media.xml", "uas_hangup.part", map[string]string{"TALK": "3000"})
	m101.speakTone(4 * time.Second)
	m102.speakTone(2 * time.Second)
	start := time.Now()
	if r := originate(t, a, "CallSetup", "Caller", "101", "Callee", "102"); r.Code != 200 {
		t.Fatalf("CallSetup: %+v", r)
	}
	if err := p102.Wait(); err != nil {
		t.Fatalf("102: %v", err)
	}
	if err := p101.Wait(); err != nil {
		t.Fatalf("101: %v", err)
	}
	rec := lastRecord(t, a, 1)
	if rec.Caller != "101" || rec.Callee != "102" || rec.State != "CalleeHangUp" || rec.RTPFromCaller < 50 || rec.RTPFromCallee < 50 {
		t.Fatalf("history %+v", rec)
	}
	if n := m102.loud(start, time.Now()); n < 25 {
		t.Fatalf("102 heard %d loud packets from 101", n)
	}
	if n := m101.loud(start, time.Now()); n < 25 {
		t.Fatalf("101 heard %d loud packets from 102", n)
	}
}

// TestAPICallSetupCallerBusy: the caller is rung first; busy, it reaches
// ErrorUrl (102, not registered, is never tried).
func TestAPICallSetupCallerBusy(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/error": " "})
	a := startTestApp(t, apiTestConfig(t))
	busy := phone(t, a, "101", "uas_busy.xml", "", map[string]string{}, false)
	if r := originate(t, a, "CallSetup", "Caller", "101", "Callee", "102", "ErrorUrl", app.srv.URL+"/error"); r.Code != 200 {
		t.Fatalf("CallSetup: %+v", r)
	}
	p := app.nextPost(t)
	if f := p.form; f.Get("NotificationName") != "CallError" || f.Get("Caller") != "101" || f.Get("Callee") != "102" || f.Get("CallState") != "Busy" {
		t.Fatalf("ErrorUrl %v", f)
	}
	if err := busy.Wait(); err != nil {
		t.Fatalf("101: %v", err)
	}
	// An unregistered caller fails at once: 402.
	r := originate(t, a, "CallSetup", "Caller", "103", "Callee", "102")
	if r.Code != 402 || r.Message != "Call connect to '103' failed with result state 'NotRegistered'" {
		t.Fatalf("unregistered caller: %+v", r)
	}
}

// TestAPIRequest: Request runs OnInCall on the answered call (102 hears
// it, then the BYE) and OnCompleted after; a busy number runs OnBusy.
func TestAPIRequest(t *testing.T) {
	needSpeech(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/completed": " ", "/busy": " "})
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/incoming"}))
	media := newRTPPhone(t)
	callee := mediaPhoneAt(t, a, "102", media, "uas_media.xml", "uas_wait.part", map[string]string{})
	busy := phone(t, a, "103", "uas_busy.xml", "", map[string]string{}, false)
	blocks := `<OnInCall><Speak>Your appointment is tomorrow at ten.</Speak></OnInCall>` +
		`<OnCompleted><GoTo>` + app.srv.URL + `/completed</GoTo></OnCompleted>` +
		`<OnBusy><GoTo>` + app.srv.URL + `/busy</GoTo></OnBusy>`
	start := time.Now()
	if r := originate(t, a, "Request", "DialedAddress", "102@localhost", "ExtensionAddress", "200", "RequestOzML", blocks); r.Code != 200 {
		t.Fatalf("Request: %+v", r)
	}
	if err := callee.Wait(); err != nil {
		t.Fatalf("102: %v", err)
	}
	if n := media.loud(start, time.Now()); n < 50 {
		t.Fatalf("102 heard %d loud packets", n)
	}
	if p := app.nextPost(t); p.path != "/completed" || p.form.Get("NotificationName") != "GoTo" {
		t.Fatalf("OnCompleted: %s %v", p.path, p.form)
	}
	if r := originate(t, a, "Request", "DialedAddress", "sip:103@localhost", "ExtensionAddress", "200", "RequestOzML",
		"<Response><Request>"+blocks+"</Request></Response>"); r.Code != 200 {
		t.Fatalf("Request: %+v", r)
	}
	if p := app.nextPost(t); p.path != "/busy" {
		t.Fatalf("OnBusy: %s %v", p.path, p.form)
	}
	if err := busy.Wait(); err != nil {
		t.Fatalf("103: %v", err)
	}
	if r := originate(t, a, "Request", "DialedAddress", "102", "ExtensionAddress", "299", "RequestOzML", blocks); r.Code != 401 {
		t.Fatalf("unknown extension: %+v", r)
	}
	if r := originate(t, a, "Request", "DialedAddress", "102", "ExtensionAddress", "200"); r.Code != 302 {
		t.Fatalf("no RequestOzML: %+v", r)
	}
}

// TestOzmlCallVerb: 101 calls API extension 200, whose script places a
// call to 102 with the Call verb (102 hears its ResponseOzML) and goes on
// speaking to 101.
func TestOzmlCallVerb(t *testing.T) {
	needSpeech(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/incoming": `<Response>
  <Call Dialed="102"><ResponseOzML><Speak>Somebody is waiting for you on the line.</Speak></ResponseOzML></Call>
  <Speak>We are calling the operator for you.</Speak>
</Response>`})
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/incoming"}))
	m102 := newRTPPhone(t)
	p102 := mediaPhoneAt(t, a, "102", m102, "uas_media.xml", "uas_wait.part", map[string]string{})
	m101 := newRTPPhone(t)
	start := time.Now()
	c := mediaCaller(t, a, m101, "hangup_wait.part", "200", map[string]string{})
	if p := app.next(t, c); p.form.Get("NotificationName") != "IncomingCall" {
		t.Fatalf("IncomingCall: %v", p.form)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("101: %v", err)
	}
	if err := p102.Wait(); err != nil {
		t.Fatalf("102: %v", err)
	}
	if n := m101.loud(start, time.Now()); n < 25 {
		t.Fatalf("101 heard %d loud packets", n)
	}
	if n := m102.loud(start, time.Now()); n < 25 {
		t.Fatalf("102 heard %d loud packets", n)
	}
	recs := waitRecords(t, a, 2)
	for _, r := range recs {
		if r.State != "CallerHangUp" && r.State != "CalleeHangUp" {
			t.Fatalf("history %+v", r)
		}
	}
}

// TestAPICallRingTime: 102 rings and never answers; after RingTime the
// appliance cancels it and ErrorUrl gets CallError with NoAnswer.
func TestAPICallRingTime(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/error": " "})
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/incoming"}))
	ringing := phone(t, a, "102", "uas_ring_cancel.xml", "", map[string]string{}, false)
	r := originate(t, a, "Call", "Dialed", "102", "ApiExtension", "200", "RingTime", "1.5", "ResponseOzML", "<Response><Hangup/></Response>",
		"ErrorUrl", app.srv.URL+"/error")
	if r.Code != 200 || r.CallID == "" {
		t.Fatalf("Call: %+v", r)
	}
	if f := app.nextPost(t).form; f.Get("NotificationName") != "CallError" || f.Get("CallId") != r.CallID || f.Get("CallState") != "NoAnswer" {
		t.Fatalf("ErrorUrl %v", f)
	}
	if err := ringing.Wait(); err != nil {
		t.Fatalf("102 (expects CANCEL): %v", err)
	}
	if rec := lastRecord(t, a, 1); rec.CallID != r.CallID || rec.State != "Cancelled" || !rec.Answer.IsZero() {
		t.Fatalf("history %+v", rec)
	}
}

// TestOzmlCallSetupVerb: a script's CallSetup rings 101 first, then
// connects it to 102.
func TestOzmlCallSetupVerb(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{"/start": `<Response><CallSetup Caller="101" Callee="102"/></Response>`})
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/start"}))
	m101, m102 := newRTPPhone(t), newRTPPhone(t)
	p101 := mediaPhoneAt(t, a, "101", m101, "uas_media.xml", "uas_wait.part", map[string]string{})
	p102 := mediaPhoneAt(t, a, "102", m102, "uas_media.xml", "uas_hangup.part", map[string]string{"TALK": "2000"})
	m101.speakTone(3 * time.Second)
	// A SIPp caller (as 101) reaches the script, which sets up 101 → 102
	// and ends (480 to the caller: the script never answered).
	c := caller(t, a, "uac_fail.xml", "", "200", map[string]string{"CODE": "480"})
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if err := p102.Wait(); err != nil {
		t.Fatalf("102: %v", err)
	}
	if err := p101.Wait(); err != nil {
		t.Fatalf("101: %v", err)
	}
	waitFor(t, "the set-up call's record", func() bool {
		for _, r := range a.hist.Recent(0) {
			if r.Caller == "101" && r.Callee == "102" && r.State == "CalleeHangUp" && r.RTPFromCaller > 25 {
				return true
			}
		}
		return false
	})
}
