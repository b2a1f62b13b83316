package ozml

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const twoLevelMenu = `<Response>
<UserInput Timeout="5" BackKey="*">
  <InitialCommands><Speak>main menu</Speak></InitialCommands>
  <Inputs>
    <Input key="1"><Speak>one</Speak></Input>
    <Input Key="2">
      <UserInput Timeout="5" BackKey="*">
        <InitialCommands><Speak>sub menu</Speak></InitialCommands>
        <Inputs><Input key="3"><Speak>sub three</Speak></Input></Inputs>
      </UserInput>
    </Input>
  </Inputs>
</UserInput>
<Speak>after</Speak>
</Response>`

func TestUserInput(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		pre     string // keys already pressed when the run starts
		steps   []step
		waited  time.Duration // virtual time spent waiting
		fetched string        // "target NotificationName" list
		form    string        // DtmfDigits posted
	}{
		{
			name: "barge-in: a key stops the prompt and selects",
			doc:  twoLevelMenu,
			steps: []step{{op: "answer"}, {op: "speak main menu", press: "1", block: true},
				{op: "speak one"}, {op: "speak after"}, {op: "hangup"}},
		},
		{
			name: "nested menu, back key returns to the main menu",
			doc:  twoLevelMenu,
			steps: []step{{op: "answer"}, {op: "speak main menu", press: "2", block: true},
				{op: "speak sub menu", press: "*", block: true},
				{op: "speak main menu", press: "2", block: true},
				{op: "speak sub menu", press: "3"},
				{op: "speak sub three"}, {op: "speak after"}, {op: "hangup"}},
		},
		{
			name: "back key at the top level goes on after the UserInput",
			doc:  twoLevelMenu,
			steps: []step{{op: "answer"}, {op: "speak main menu", press: "*", block: true},
				{op: "speak after"}, {op: "hangup"}},
		},
		{
			name:  "a key pressed as the prompt ends",
			doc:   twoLevelMenu,
			steps: []step{{op: "answer"}, {op: "speak main menu", press: "1"}, {op: "speak one"}, {op: "speak after"}, {op: "hangup"}},
		},
		{
			name:   "timeout without repeat goes on",
			doc:    `<Response><UserInput Timeout="7"><InitialCommands><Speak>menu</Speak></InitialCommands><Inputs><Input key="1"><Speak>one</Speak></Input></Inputs></UserInput><Speak>after</Speak></Response>`,
			steps:  []step{{op: "answer"}, {op: "speak menu"}, {op: "speak after"}, {op: "hangup"}},
			waited: 7 * time.Second,
		},
		{
			name:   "default timeout is 10 s",
			doc:    `<Response><UserInput><InitialCommands><Speak>menu</Speak></InitialCommands></UserInput></Response>`,
			steps:  []step{{op: "answer"}, {op: "speak menu"}, {op: "hangup"}},
			waited: 10 * time.Second,
		},
		{
			name: "repeat replays the prompt after a timeout",
			doc:  `<Response><UserInput Timeout="5" Repeat="true"><InitialCommands><Speak>menu</Speak></InitialCommands><Inputs><Input key="1"><Speak>one</Speak></Input></Inputs></UserInput></Response>`,
			steps: []step{{op: "answer"}, {op: "speak menu"}, {op: "speak menu"}, {op: "speak menu", press: "1"},
				{op: "speak one"}, {op: "hangup"}},
			waited: 10 * time.Second,
		},
		{
			name: "repeat replays after unmatched input",
			doc:  `<Response><UserInput Timeout="5" Repeat="true"><InitialCommands><Speak>menu</Speak></InitialCommands><Inputs><Input key="1"><Speak>one</Speak></Input></Inputs></UserInput></Response>`,
			steps: []step{{op: "answer"}, {op: "speak menu", press: "9"}, {op: "speak menu", press: "1"},
				{op: "speak one"}, {op: "hangup"}},
		},
		{
			name:  "multi-digit keys wait for the longer key",
			doc:   `<Response><UserInput Timeout="3"><Inputs><Input key="1"><Speak>one</Speak></Input><Input key="12"><Speak>twelve</Speak></Input><Input key="3"><Speak>three</Speak></Input></Inputs></UserInput></Response>`,
			pre:   "12",
			steps: []step{{op: "answer"}, {op: "speak twelve"}, {op: "hangup"}},
		},
		{
			name:   "multi-digit keys: the shorter key after the inter-digit timeout",
			doc:    `<Response><UserInput Timeout="3"><Inputs><Input key="1"><Speak>one</Speak></Input><Input key="12"><Speak>twelve</Speak></Input></Inputs></UserInput></Response>`,
			pre:    "1",
			steps:  []step{{op: "answer"}, {op: "speak one"}, {op: "hangup"}},
			waited: 3 * time.Second,
		},
		{
			name:  "type-ahead skips the prompt",
			doc:   `<Response><Speak>welcome</Speak><UserInput><InitialCommands><Speak>menu</Speak></InitialCommands><Inputs><Input key="#"><Speak>hash</Speak></Input></Inputs></UserInput></Response>`,
			steps: []step{{op: "answer"}, {op: "speak welcome", press: "#"}, {op: "speak hash"}, {op: "hangup"}},
		},
		{
			name: "Digits collects exactly n keys and posts them to ForwardToUrl",
			doc:  `<Response><UserInput Digits="4" ForwardToUrl="http://app/pin"><InitialCommands><Speak>enter pin</Speak></InitialCommands></UserInput><Speak>never</Speak></Response>`,
			steps: []step{{op: "answer"}, {op: "speak enter pin", press: "1234", block: true},
				{op: "speak pin ok 1234"}, {op: "hangup"}},
			pre:     "",
			fetched: "http://app/pin DtmfEntered",
			form:    "1234",
		},
		{
			name:   "Digits: too few keys count as no input",
			doc:    `<Response><UserInput Digits="4" Timeout="2" ForwardToUrl="http://app/pin"></UserInput><Speak>after $dtmfdigits</Speak></Response>`,
			pre:    "12",
			steps:  []step{{op: "answer"}, {op: "speak after $dtmfdigits"}, {op: "hangup"}},
			waited: 2 * time.Second,
		},
		{
			name:    "MinDigits/MaxDigits end at the timeout; ForwardToURL spelling",
			doc:     `<Response><UserInput MinDigits="2" MaxDigits="6" Timeout="4" ForwardToURL="http://app/pin"/></Response>`,
			pre:     "123",
			steps:   []step{{op: "answer"}, {op: "speak pin ok 123"}, {op: "hangup"}},
			waited:  4 * time.Second,
			fetched: "http://app/pin DtmfEntered",
			form:    "123",
		},
		{
			name:    "MaxDigits reached ends at once; enteredUrl spelling",
			doc:     `<Response><UserInput MaxDigits="3" enteredUrl="http://app/pin"/></Response>`,
			pre:     "4567",
			steps:   []step{{op: "answer"}, {op: "speak pin ok 456"}, {op: "hangup"}},
			fetched: "http://app/pin DtmfEntered",
			form:    "456",
		},
		{
			name:    "an empty ForwardToUrl reply goes on after the UserInput",
			doc:     `<Response><UserInput ForwardToUrl="http://app/empty"/><Speak>after $DtmfDigits</Speak></Response>`,
			pre:     "7",
			steps:   []step{{op: "answer"}, {op: "speak after 7"}, {op: "hangup"}},
			fetched: "http://app/empty DtmfEntered",
			form:    "7",
		},
		{
			name:    "a failing ForwardToUrl goes on after the UserInput",
			doc:     `<Response><UserInput ForwardToUrl="http://app/down"/><Speak>after</Speak></Response>`,
			pre:     "7",
			steps:   []step{{op: "answer"}, {op: "speak after"}, {op: "hangup"}},
			fetched: "http://app/down DtmfEntered",
			form:    "7",
		},
		{
			name:  "a matched key does not go to ForwardToUrl",
			doc:   `<Response><UserInput ForwardToUrl="http://app/pin"><Inputs><Input key="5"><Speak>five</Speak></Input></Inputs></UserInput></Response>`,
			pre:   "5",
			steps: []step{{op: "answer"}, {op: "speak five"}, {op: "hangup"}},
		},
		{
			name:   "a prompt may not nest UserInput or Record",
			doc:    `<Response><UserInput Timeout="1"><InitialCommands><Record/><Speak>menu</Speak></InitialCommands></UserInput></Response>`,
			steps:  []step{{op: "answer"}, {op: "speak menu"}, {op: "hangup"}},
			waited: time.Second,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newFakeEnv(t, map[string]string{
				"http://app/pin":   `<Response><Speak>pin ok $DtmfDigits</Speak></Response>`,
				"http://app/empty": ``,
				"http://app/down":  `ERROR`,
			})
			h := newHarness(t, env)
			call := newFakeCall(t, tc.steps...)
			for i := range len(tc.pre) {
				call.digits <- tc.pre[i]
			}
			res := h.run(t, call, tc.doc)
			if res.Outcome != HungUp || res.Err != nil {
				t.Errorf("result %+v", res)
			}
			if got := h.clock.total(); got != tc.waited {
				t.Errorf("waited %v, want %v", got, tc.waited)
			}
			if got := strings.Join(env.fetched, ","); got != tc.fetched {
				t.Errorf("fetched %q, want %q", got, tc.fetched)
			}
			if tc.form != "" && (len(env.forms) != 1 || env.forms[0].Get("DtmfDigits") != tc.form || env.forms[0].Get("CallId") != "Nt3uh") {
				t.Errorf("forms %v, want DtmfDigits=%s", env.forms, tc.form)
			}
		})
	}
}

func TestUserInputDigitsClosed(t *testing.T) {
	h := newHarness(t, newFakeEnv(t, nil))
	call := newFakeCall(t, step{op: "answer"})
	close(call.digits)
	res := h.run(t, call, `<Response><UserInput><InitialCommands><Speak>menu</Speak></InitialCommands></UserInput></Response>`)
	wantResult(t, res, CallGone, "call ended")
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name  string
		lim   Limits
		doc   string
		docs  map[string]string
		steps []step
		want  string
	}{
		{
			name: "infinite GoTo",
			lim:  Limits{MaxGoToHops: 5},
			doc:  `<Response><GoTo>http://app/loop</GoTo></Response>`,
			docs: map[string]string{"http://app/loop": `<Response><GoTo>loop</GoTo></Response>`},
			want: "more than 5 documents",
		},
		{
			name:  "endless menu repeat: loop iterations",
			lim:   Limits{MaxLoopIterations: 3},
			doc:   `<Response><UserInput Repeat="true" Timeout="1"><InitialCommands><Beep/></InitialCommands></UserInput></Response>`,
			steps: []step{{op: "answer"}, {op: "beep"}, {op: "beep"}, {op: "beep"}},
			want:  "more than 3 loop iterations",
		},
		{
			name:  "endless menu repeat: run time",
			lim:   Limits{MaxRunTime: 25 * time.Second},
			doc:   `<Response><UserInput Repeat="true" Timeout="10"><InitialCommands><Beep/></InitialCommands></UserInput></Response>`,
			steps: []step{{op: "answer"}, {op: "beep"}, {op: "beep"}, {op: "beep"}},
			want:  "ran longer than 25s",
		},
		{
			name:  "long delays: run time",
			lim:   Limits{MaxRunTime: time.Minute},
			doc:   `<Response><Delay>50</Delay><Delay>50</Delay><Speak>never</Speak></Response>`,
			steps: []step{{op: "answer"}},
			want:  "ran longer than 1m0s",
		},
		{
			name: "foreach loops",
			lim:  Limits{MaxLoopIterations: 10},
			doc: `<Response><Array id="a"><item>1</item><item>2</item><item>3</item><item>4</item></Array>` +
				`<ForEach source="a"><ForEach source="a"><Var id="x">$item</Var></ForEach></ForEach></Response>`,
			want: "more than 10 loop iterations",
		},
		{
			name: "doubling variable",
			lim:  Limits{MaxVarBytes: 4096},
			doc: `<Response><Var id="x">0123456789</Var><Array id="a"><item/><item/><item/><item/><item/><item/><item/><item/><item/><item/></Array>` +
				`<ForEach source="a"><Var id="x">$x$x</Var></ForEach></Response>`,
			want: "4096",
		},
		{
			name:  "substitution blow-up",
			lim:   Limits{MaxVarBytes: 1000},
			doc:   `<Response><Var id="x">` + strings.Repeat("y", 900) + `</Var><Speak>$x$x$x</Speak></Response>`,
			steps: []step{{op: "answer"}, {op: "speak " + strings.Repeat("y", 1000)}},
			want:  "longer than 1000 bytes",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, newFakeEnv(t, tc.docs))
			h.opts.Limits = tc.lim
			res := h.run(t, newFakeCall(t, append(tc.steps, step{op: "hangup"})...), tc.doc)
			if res.Outcome != HungUp || res.Reason != "limit" || !errors.Is(res.Err, ErrLimit) || !strings.Contains(res.Err.Error(), tc.want) {
				t.Errorf("result %v %q %v, want a limit with %q", res.Outcome, res.Reason, res.Err, tc.want)
			}
			if !strings.Contains(h.logs(), "script ended") {
				t.Errorf("reason not logged: %s", h.logs())
			}
		})
	}
}
