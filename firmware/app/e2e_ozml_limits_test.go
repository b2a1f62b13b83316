package app

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/sip/sipptest"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// logLines keeps what the appliance logs, for tests that check a reason
// was logged.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.buf.String(), s)
}

// startLoggedApp is startTestApp keeping the log.
func startLoggedApp(t *testing.T, cfg config.Config) (*App, *logLines) {
	t.Helper()
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &logLines{}
	return startTestAppLogging(t, cfg, ua.Listeners{TCP: tcp}, logs), logs
}

// TestOzmlConfiguredLimits: every api.ozml limit is a config value; a
// hostile document that goes over one ends its script with the reason
// logged and the call ended cleanly: a BYE once answered (the documents
// beep first, so the call is answered), a final status before. Reject
// answers the configured status; an application slower than
// answer_timeout counts as unreachable; a malformed document is logged
// with its line and column.
func TestOzmlConfiguredLimits(t *testing.T) {
	sipptest.Need(t)
	tight := func(o *config.OzML) {
		o.MaxLoopIterations, o.MaxGoToHops, o.MaxRunTime = 5, 3, 3*time.Second
		o.MaxDocumentBytes, o.MaxDepth, o.MaxElements = 4096, 6, 50
		o.RejectCode, o.AnswerTimeout = 486, time.Second
	}
	items := strings.Repeat("<item>x</item>", 10)
	tests := []struct {
		name     string
		docs     map[string]string // /start is the extension's URL
		answered bool              // the caller waits for a BYE, else for code
		code     string
		log      string // in the appliance's log
	}{
		{name: "loop iterations", answered: true, log: "more than 5 loop iterations",
			docs: map[string]string{"/start": `<Response><Beep/><Array id="a">` + items + `</Array><ForEach source="a"><Delay>0.05</Delay></ForEach><Speak>never</Speak></Response>`}},
		{name: "UserInput rounds", answered: true, log: "more than 5 loop iterations",
			docs: map[string]string{"/start": `<Response><Beep/><UserInput Timeout="0.1" Repeat="true"><Inputs><Input key="1"><Exit/></Input></Inputs></UserInput></Response>`}},
		{name: "GoTo hops", answered: true, log: "more than 3 documents in one run",
			docs: map[string]string{"/start": `<Response><Beep/><GoTo>start</GoTo></Response>`}},
		{name: "run time", answered: true, log: "script ran longer than 3s",
			docs: map[string]string{"/start": `<Response><Beep/><Delay>60</Delay><Beep/></Response>`}},
		{name: "document size", code: "500", log: "body too large",
			docs: map[string]string{"/start": "<Response>" + strings.Repeat("<Delay>0</Delay>", 400) + "</Response>"}},
		{name: "nesting depth", code: "500", log: "nesting deeper than 6",
			docs: map[string]string{"/start": "<Response>" + strings.Repeat("<UserInput><Inputs><Input key='1'>", 3) + "</Input></Inputs></UserInput></Input></Inputs></UserInput></Input></Inputs></UserInput></Response>"}},
		{name: "element count", code: "500", log: "line 1, column 354: more than 50 elements",
			docs: map[string]string{"/start": "<Response>" + strings.Repeat("<Beep/>", 60) + "</Response>"}},
		{name: "malformed XML", code: "500", log: "line 2, column 17: element <Speak> closed by </Delay>",
			docs: map[string]string{"/start": "<Response>\n<Speak>x</Delay></Response>"}},
		{name: "unknown verb", code: "500", log: "line 2, column 3: unknown element <Dance>",
			docs: map[string]string{"/start": "<Response>\n  <Dance/></Response>"}},
		{name: "Reject as configured", code: "486",
			docs: map[string]string{"/start": `<Response><Reject/><Speak>never</Speak></Response>`}},
		{name: "application too slow", code: "503", log: "API extension call refused",
			docs: map[string]string{"/start": "slow"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := newOzmlApp(t, tc.docs)
			cfg := apiExtConfig(t, map[string]string{"200": app.srv.URL + "/start"})
			tight(&cfg.API.OzML)
			a, logs := startLoggedApp(t, cfg)
			if tc.answered {
				media := newRTPPhone(t)
				c := mediaCaller(t, a, media, "hangup_wait.part", "200", map[string]string{})
				if err := c.Wait(); err != nil {
					t.Fatalf("caller (waiting for the appliance's BYE): %v", err)
				}
				if rec := lastRecord(t, a, 1); rec.State != "CalleeHangUp" || rec.Callee != "200" || rec.Answer.IsZero() {
					t.Fatalf("history %+v", rec)
				}
				if media.packets() == 0 {
					t.Fatal("the caller heard nothing before the hangup")
				}
			} else {
				c := caller(t, a, "uac_fail.xml", "", "200", map[string]string{"CODE": tc.code})
				if err := c.Wait(); err != nil {
					t.Fatalf("caller: %v", err)
				}
			}
			if tc.log != "" {
				waitFor(t, "the reason in the log", func() bool { return logs.contains(tc.log) })
			}
		})
	}
}
