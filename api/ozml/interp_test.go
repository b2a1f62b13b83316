package ozml

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const seedExample = `<?xml version="1.0"?> <Response> <Speak>You will be blind transfered to 102 in 1 seconds.</Speak> <Delay>1</Delay> <BlindTransfer>102</BlindTransfer> <Speak>Sorry, but blind transfer failed to extension 102</Speak> </Response>`

func TestSeedExampleTransferSucceeds(t *testing.T) {
	h := newHarness(t, newFakeEnv(t, nil))
	call := newFakeCall(t,
		step{op: "answer"},
		step{op: "speak You will be blind transfered to 102 in 1 seconds."},
		step{op: "blindtransfer 102"},
	)
	res := h.run(t, call, seedExample)
	wantResult(t, res, LeftScript, "BlindTransfer to 102")
	if got := h.clock.total(); got != time.Second {
		t.Errorf("virtual time waited = %v, want 1s", got)
	}
}

func TestSeedExampleTransferFails(t *testing.T) {
	for _, cause := range []string{"busy", "unregistered", "no answer"} {
		t.Run(cause, func(t *testing.T) {
			h := newHarness(t, newFakeEnv(t, nil))
			call := newFakeCall(t,
				step{op: "answer"},
				step{op: "speak You will be blind transfered to 102 in 1 seconds."},
				step{op: "blindtransfer 102", err: errors.New(cause)},
				step{op: "speak Sorry, but blind transfer failed to extension 102"},
				step{op: "hangup"},
			)
			res := h.run(t, call, seedExample)
			wantResult(t, res, HungUp, "end of script")
			if res.Err != nil {
				t.Errorf("Err = %v", res.Err)
			}
		})
	}
}

func TestCallerHangsUpDuringScript(t *testing.T) {
	h := newHarness(t, newFakeEnv(t, nil))
	call := newFakeCall(t,
		step{op: "answer"},
		step{op: "speak hello", err: fmt.Errorf("bye received: %w", ErrCallEnded)},
	)
	res := h.run(t, call, `<Response><Speak>hello</Speak><Speak>never</Speak></Response>`)
	wantResult(t, res, CallGone, "call ended")
}

func TestReject(t *testing.T) {
	tests := []struct {
		name  string
		code  int
		doc   string
		steps []step
		want  Outcome
	}{
		{"first verb, default 603", 0, `<Response><Reject/></Response>`, []step{{op: "reject 603"}}, Rejected},
		{"first verb, 486 configured", 486, `<response><reject/><Speak>x</Speak></response>`, []step{{op: "reject 486"}}, Rejected},
		{"other codes mean 603", 404, `<Response><Reject/></Response>`, []step{{op: "reject 603"}}, Rejected},
		{"not first: ignored", 0, `<Response><Speak>hi</Speak><Reject/></Response>`,
			[]step{{op: "answer"}, {op: "speak hi"}, {op: "hangup"}}, HungUp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, newFakeEnv(t, nil))
			h.opts.RejectCode = tc.code
			res := h.run(t, newFakeCall(t, tc.steps...), tc.doc)
			if res.Outcome != tc.want {
				t.Errorf("outcome = %v, want %v", res.Outcome, tc.want)
			}
		})
	}
}

// TestVerbs runs one small document per verb and checks the exact calls.
func TestVerbs(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		steps  []step
		want   Outcome
		reason string
		log    string // must appear in the log
	}{
		{"speak attribute with language and voice", `<Response><Speak Text="hi" Language="en-us" Voice="Anna"/></Response>`,
			[]step{{op: "answer"}, {op: "speak hi [en-us/Anna]"}, {op: "hangup"}}, HungUp, "end of script", ""},
		{"names are case-insensitive", `<RESPONSE><sPeAk TEXT="hi"/></RESPONSE>`,
			[]step{{op: "answer"}, {op: "speak hi"}, {op: "hangup"}}, HungUp, "end of script", ""},
		{"play with repeat and timeout", `<Response><Play AudioFile="music/hold.wav" Repeat="true" Timeout="30"/></Response>`,
			[]step{{op: "answer"}, {op: "play music/hold.wav repeat=true timeout=30s"}, {op: "hangup"}}, HungUp, "", ""},
		{"play URL as text", `<Response><Play>http://app/x.mp3</Play></Response>`,
			[]step{{op: "answer"}, {op: "play http://app/x.mp3 repeat=false timeout=4h0m0s"}, {op: "hangup"}}, HungUp, "", ""},
		{"play refuses a path outside the store", `<Response><Play>../../etc/passwd</Play><Play>/etc/passwd</Play></Response>`,
			[]step{{op: "answer"}, {op: "hangup"}}, HungUp, "", "neither an http(s) URL"},
		{"beep", `<Response><Beep/></Response>`, []step{{op: "answer"}, {op: "beep"}, {op: "hangup"}}, HungUp, "", ""},
		{"hangup verb ends without a second hangup", `<Response><Hangup/><Speak>never</Speak></Response>`,
			[]step{{op: "hangup"}}, HungUp, "Hangup", ""},
		{"exit hangs up", `<Response><Speak>a</Speak><Exit/><Speak>never</Speak></Response>`,
			[]step{{op: "answer"}, {op: "speak a"}, {op: "hangup"}}, HungUp, "Exit", ""},
		{"hold, unhold, senddtmf", `<Response><Hold/><Unhold/><SendDTMF Keys="12#"/><SendDTMF>3</SendDTMF></Response>`,
			[]step{{op: "answer"}, {op: "hold"}, {op: "unhold"}, {op: "senddtmf 12#"}, {op: "senddtmf 3"}, {op: "hangup"}}, HungUp, "", ""},
		{"senddtmf refuses non-keys", `<Response><SendDTMF Keys="1x"/></Response>`,
			[]step{{op: "answer"}, {op: "hangup"}}, HungUp, "", "not a DTMF key"},
		{"hold failure goes on", `<Response><Hold/><Speak>x</Speak></Response>`,
			[]step{{op: "answer"}, {op: "hold", err: errFake}, {op: "speak x"}, {op: "hangup"}}, HungUp, "", "verb failed"},
		{"forward on the ringing call, without answering", `<Response><Forward Destination="104"/></Response>`,
			[]step{{op: "forwardcall 104"}}, LeftScript, "ForwardCall to 104", ""},
		{"forward failure falls through", `<Response><ForwardCall>104</ForwardCall><Speak>no</Speak></Response>`,
			[]step{{op: "forwardcall 104", err: errFake}, {op: "answer"}, {op: "speak no"}, {op: "hangup"}}, HungUp, "", ""},
		{"attended transfer defaults to this call", `<Response><AttendedTransfer TargetCallId="Ab12"/></Response>`,
			[]step{{op: "answer"}, {op: "attendedtransfer Nt3uh Ab12"}}, LeftScript, "AttendedTransfer", ""},
		{"attended transfer alias spelling", `<Response><AttendedTransfer TranferredCallId="X1" TargetCallId="Ab12"/></Response>`,
			[]step{{op: "answer"}, {op: "attendedtransfer X1 Ab12"}}, LeftScript, "", ""},
		{"variables from call info and Var", `<Response><Var id="who">caller $caller</Var><Speak>$who on $callid</Speak></Response>`,
			[]step{{op: "answer"}, {op: "speak caller 101 on Nt3uh"}, {op: "hangup"}}, HungUp, "", ""},
		{"array and foreach", `<Response><Array id="a"><item>one</item><item>two</item></Array><ForEach source="a"><Speak>$item!</Speak></ForEach></Response>`,
			[]step{{op: "answer"}, {op: "speak one!"}, {op: "speak two!"}, {op: "hangup"}}, HungUp, "", ""},
		{"nested foreach restores item", `<Response><Array id="a"><item>x</item><item>y</item></Array><Array id="b"><item>1</item></Array>` +
			`<ForEach source="a"><ForEach source="b"><Speak>$item</Speak></ForEach><Speak>$item</Speak></ForEach><Speak>$item</Speak></Response>`,
			[]step{{op: "answer"}, {op: "speak 1"}, {op: "speak x"}, {op: "speak 1"}, {op: "speak y"}, {op: "speak $item"}, {op: "hangup"}}, HungUp, "", ""},
		{"foreach over a missing array is skipped", `<Response><ForEach source="nope"><Speak>x</Speak></ForEach></Response>`,
			[]step{{op: "hangup"}}, HungUp, "", `no array`},
		{"route inside a call is ignored", `<Response><Route Destination="101"/></Response>`,
			[]step{{op: "hangup"}}, HungUp, "", "RoutingInterception"},
		{"send email not available yet", `<Response><SendEmail Recipient="a@b">hi</SendEmail><SendSMS Recipient="1">x</SendSMS><SendAlarmNotification/><Speak>go on</Speak></Response>`,
			[]step{{op: "answer"}, {op: "speak go on"}, {op: "hangup"}}, HungUp, "", "SendEmail: not available yet"},
		{"delay with decimals", `<Response><Delay Time="0.25"/></Response>`,
			[]step{{op: "answer"}, {op: "hangup"}}, HungUp, "", ""},
		{"delay without time is skipped", `<Response><Delay/></Response>`,
			[]step{{op: "answer"}, {op: "hangup"}}, HungUp, "", "Time missing"},
		{"answer failure ends the script", `<Response><Speak>x</Speak></Response>`,
			[]step{{op: "answer", err: errFake}, {op: "hangup"}}, HungUp, "error", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, newFakeEnv(t, nil))
			res := h.run(t, newFakeCall(t, tc.steps...), tc.doc)
			wantResult(t, res, tc.want, tc.reason)
			if tc.log != "" && !strings.Contains(h.logs(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, h.logs())
			}
		})
	}
}

func TestSendEmailThroughEnv(t *testing.T) {
	env := &emailEnv{fakeEnv: newFakeEnv(t, nil)}
	h := newHarness(t, env)
	h.opts.DataDir = t.TempDir()
	res := h.run(t, newFakeCall(t, step{op: "hangup"}),
		`<Response><SendEmail Recipient="a@b.c" Subject="s" Attachments="rec/a.wav; rec/b.wav">body</SendEmail><SendEmail Recipient="x" Attachments="../x">y</SendEmail></Response>`)
	wantResult(t, res, HungUp, "end of script")
	if len(env.sent) != 1 || env.sent[0].Message != "body" || strings.Join(env.sent[0].Attachments, ",") != "rec/a.wav,rec/b.wav" {
		t.Errorf("sent = %+v", env.sent)
	}
}

func TestRecord(t *testing.T) {
	env := newFakeEnv(t, map[string]string{
		"http://app/done": `<Response><Speak>saved $recordurl</Speak></Response>`,
	})
	h := newHarness(t, env)
	h.opts.DataDir = t.TempDir()
	call := newFakeCall(t,
		step{op: "answer"},
		step{op: "beep"},
		step{op: "record wav max=1m0s inactivity=5s path=rec/msg.wav", rec: RecordResult{Path: "rec/msg.wav", URL: "http://pbx/rec/msg.wav", Duration: 1500 * time.Millisecond}},
		step{op: "speak saved http://pbx/rec/msg.wav"},
		step{op: "hangup"},
	)
	res := h.run(t, call, `<Response><Beep/><Record Format="wav" Duration="60" Inactivity="5" RecordPath="rec/msg.wav" FinishedURL="http://app/done"/><Speak>never</Speak></Response>`)
	wantResult(t, res, HungUp, "end of script")
	if len(env.forms) != 1 || env.forms[0].Get("RecordURL") != "http://pbx/rec/msg.wav" || env.forms[0].Get("Duration") != "1.500" ||
		env.forms[0].Get("NotificationName") != "RecordCompleted" || env.forms[0].Get("CallId") != "Nt3uh" {
		t.Errorf("RecordCompleted form = %v", env.forms)
	}
}

func TestRecordFinishDigit(t *testing.T) {
	h := newHarness(t, newFakeEnv(t, nil))
	fc := newFakeCall(t,
		step{op: "answer"},
		step{op: "record mp3 max=1h0m0s inactivity=0s path=", press: "5#", rec: RecordResult{Path: "r.mp3"}},
		step{op: "hangup"},
	)
	fc.digits <- '#' // type-ahead from before the Record: discarded
	call := &recordUntilStop{fakeCall: fc}
	res := h.run(t, call, `<Response><Record FinishDigits="#"/></Response>`)
	wantResult(t, res, HungUp, "end of script")
	if !call.stopped {
		t.Error("Record was not stopped by the finish key")
	}
}

func TestRecordPathOutsideRefused(t *testing.T) {
	h := newHarness(t, newFakeEnv(t, nil))
	h.opts.DataDir = t.TempDir()
	res := h.run(t, newFakeCall(t, step{op: "answer"}, step{op: "hangup"}), `<Response><Record RecordPath="../x.wav"/></Response>`)
	wantResult(t, res, HungUp, "end of script")
	if !strings.Contains(h.logs(), "outside the data dir") {
		t.Errorf("log: %s", h.logs())
	}
}

func TestGoTo(t *testing.T) {
	env := newFakeEnv(t, map[string]string{
		"http://app/ivr/next.php?step=2": `<Response><Speak>second $caller $x</Speak><GoTo>local/third.xml</GoTo></Response>`,
		"http://app/ivr/local/third.xml": `<OzML><Speak>third</Speak></OzML>`,
	})
	h := newHarness(t, env)
	d, err := Parse([]byte(`<Response><Var id="x">kept</Var><GoTo URL="next.php?step=2"/><Speak>never</Speak></Response>`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d.Source = "http://app/ivr/start.php"
	call := newFakeCall(t, step{op: "answer"}, step{op: "speak second 101 kept"}, step{op: "speak third"}, step{op: "hangup"})
	res := New(env, h.opts).Run(t.Context(), call, d, RunOptions{})
	wantResult(t, res, HungUp, "end of script")
	if got := strings.Join(env.fetched, ","); got != "http://app/ivr/next.php?step=2 GoTo,http://app/ivr/local/third.xml GoTo" {
		t.Errorf("fetched %s", got)
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct{ base, target, want string }{
		{"http://app/ivr/a.php", "b.php?x=1", "http://app/ivr/b.php?x=1"},
		{"http://app/ivr/a.php", "https://other/c", "https://other/c"},
		{"http://app/ivr/a.php", "script:menu/main.ozml", "menu/main.ozml"},
		{"ivr/main.ozml", "record.ozml", "ivr/record.ozml"},
		{"ivr/main.ozml", "http://app/x", "http://app/x"},
		{"ivr/main.ozml", "script:top.ozml", "top.ozml"},
		{"", "x.ozml", "x.ozml"},
	} {
		if got := resolve(tc.base, tc.target); got != tc.want {
			t.Errorf("resolve(%q, %q) = %q, want %q", tc.base, tc.target, got, tc.want)
		}
	}
}

func TestGoToFailureEndsScript(t *testing.T) {
	for name, body := range map[string]string{"unreachable": "ERROR", "unparsable": "<Response><Speak>", "empty": ""} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, newFakeEnv(t, map[string]string{"http://app/x": body}))
			res := h.run(t, newFakeCall(t, step{op: "hangup"}), `<Response><GoTo>http://app/x</GoTo><Speak>no</Speak></Response>`)
			if res.Outcome != HungUp {
				t.Errorf("outcome %v", res.Outcome)
			}
		})
	}
}

func TestAnsweredRunDoesNotAnswer(t *testing.T) {
	h := newHarness(t, newFakeEnv(t, nil))
	d, _ := Parse([]byte(`<Response><Speak>hello $name</Speak></Response>`), Limits{})
	call := newFakeCall(t, step{op: "speak hello Ann"}, step{op: "hangup"})
	res := New(h.env, h.opts).Run(t.Context(), call, d, RunOptions{Answered: true, Vars: map[string]string{"Name": "Ann"}})
	wantResult(t, res, HungUp, "end of script")
}

func TestOriginate(t *testing.T) {
	env := newFakeEnv(t, nil)
	h := newHarness(t, env)
	res := h.run(t, newFakeCall(t, step{op: "hangup"}), `<Response>
		<Call Url="http://app/connected" RingTime="20" CallerId="$callee">2310</Call>
		<Call Dialled="2311"><ResponseOzML><Speak>inline</Speak></ResponseOzML></Call>
		<Call/>
		<CallSetup Caller="101" Callee="103" ErrorUrl="http://app/err"/>
	</Response>`)
	wantResult(t, res, HungUp, "end of script")
	if len(env.calls) != 2 {
		t.Fatalf("calls = %+v", env.calls)
	}
	c := env.calls[0]
	if c.Dialed != "2310" || c.URL != "http://app/connected" || c.RingTime != 20*time.Second || c.CallerID != "500" || c.APIExtension != "500" {
		t.Errorf("call 1 = %+v", c)
	}
	c = env.calls[1]
	if c.Dialed != "2311" || c.Script == nil || len(c.Script.Root.Children) != 1 || c.Script.Root.Children[0].Text != "inline" {
		t.Errorf("call 2 = %+v", c)
	}
	if len(env.setups) != 1 || env.setups[0] != "101>103 http://app/err" {
		t.Errorf("setups = %v", env.setups)
	}
}

func TestRequest(t *testing.T) {
	env := newFakeEnv(t, nil)
	h := newHarness(t, env)
	placed := newFakeCall(t, step{op: "speak reminder for 500"}, step{op: "hangup"})
	env.events = []RequestEvent{{State: StateSetup}, {State: StateRinging}, {State: StateInCall, Call: placed}, {State: StateCompleted}}
	res := h.run(t, newFakeCall(t, step{op: "answer"}, step{op: "speak setup"}, step{op: "speak done"}, step{op: "speak after"}, step{op: "hangup"}),
		`<Response><Request DialedAddress="102@localhost" RingTime="30">
			<OnSetup><Speak>setup</Speak></OnSetup>
			<OnInCall><Speak>reminder for $apiextension</Speak></OnInCall>
			<OnCompleted><Speak>done</Speak></OnCompleted>
			<OnBusy><Speak>busy</Speak></OnBusy>
		</Request><Speak>after</Speak></Response>`)
	wantResult(t, res, HungUp, "end of script")
	if len(env.requests) != 1 || env.requests[0].DialedAddress != "102@localhost" || env.requests[0].RingTime != 30*time.Second ||
		env.requests[0].ExtensionAddress != "500" { // the call's own API extension by default
		t.Errorf("requests = %+v", env.requests)
	}
}

func TestRequestWithoutCall(t *testing.T) {
	env := newFakeEnv(t, nil)
	env.events = []RequestEvent{{State: StateBusy}}
	h := newHarness(t, env)
	d, _ := Parse([]byte(`<Response><Request DialedAddress="102" ExtensionAddress="200"><OnBusy><Speak>x</Speak><SendMsg To="ops">busy</SendMsg></OnBusy></Request>`+
		`<Request DialedAddress="103"/></Response>`), Limits{})
	res := New(env, h.opts).Run(t.Context(), nil, d, RunOptions{})
	wantResult(t, res, HungUp, "end of script")
	if !strings.Contains(h.logs(), "needs a call") || !strings.Contains(h.logs(), "no message bus") || !strings.Contains(h.logs(), "no ExtensionAddress") {
		t.Errorf("log: %s", h.logs())
	}
	if len(env.requests) != 1 || env.requests[0].ExtensionAddress != "200" {
		t.Errorf("requests = %+v", env.requests)
	}
}

// panicCall breaks in the middle of a script.
type panicCall struct{ *fakeCall }

func (panicCall) Speak(context.Context, string, string, string) error { panic("broken leg") }

func TestPanicEndsOnlyThatScript(t *testing.T) {
	for _, doc := range []string{
		`<Response><Speak>x</Speak></Response>`,
		`<Response><UserInput><InitialCommands><Speak>x</Speak></InitialCommands></UserInput></Response>`, // on the barge-in goroutine
	} {
		h := newHarness(t, newFakeEnv(t, nil))
		res := h.run(t, panicCall{newFakeCall(t, step{op: "answer"}, step{op: "hangup"})}, doc)
		if res.Outcome != HungUp || res.Err == nil || !strings.Contains(res.Err.Error(), "broken leg") {
			t.Errorf("result %+v", res)
		}
	}
}
