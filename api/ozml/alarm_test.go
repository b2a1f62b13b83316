package ozml

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// alarmCall is a fakeCall that acts as a Contact ID receiver: it returns
// alarms and err, and hangs up first (ends the run's context) when
// hangUp is set, as a panel does after its kissoff.
type alarmCall struct {
	*fakeCall
	alarms []ReceivedAlarm
	err    error
	hangUp context.CancelFunc
}

func (c *alarmCall) ReceiveAlarm(ctx context.Context) ([]ReceivedAlarm, error) {
	if err := c.simple(ctx, "receivealarm"); err != nil {
		return nil, err
	}
	if c.hangUp != nil {
		c.hangUp()
	}
	return c.alarms, c.err
}

// alarmEnv is a fakeEnv that sends alarms.
type alarmEnv struct {
	*fakeEnv
	sent []Alarm
}

func (e *alarmEnv) SendAlarm(_ context.Context, a Alarm) error {
	e.sent = append(e.sent, a)
	return nil
}

var (
	perimeter = ReceivedAlarm{Account: "1234", EventQualifier: "NewEvent", EventCode: "131", EventName: "Perimeter", Partition: "01", Zone: "015"}
	closing   = ReceivedAlarm{Account: "1234", EventQualifier: "NewRestore", EventCode: "401", EventName: "Open/close by user", Partition: "02", Zone: "007"}
)

const receiveDoc = `<Response><ReceiveAlarmNotification><Received>` +
	`<Speak>$account $eventqualifier $eventcode $eventname $partition $zone</Speak></Received></ReceiveAlarmNotification>` +
	`<Speak>after $zone</Speak></Response>`

func TestReceiveAlarmNotification(t *testing.T) {
	tests := []struct {
		name   string
		alarms []ReceivedAlarm
		err    error
		steps  []step
		log    string
	}{
		{name: "one report", alarms: []ReceivedAlarm{perimeter},
			steps: []step{{op: "answer"}, {op: "receivealarm"}, {op: "speak 1234 NewEvent 131 Perimeter 01 015"}, {op: "speak after 015"}, {op: "hangup"}},
			log:   "alarm received"},
		{name: "a retried report runs the block once, the next one again", alarms: []ReceivedAlarm{perimeter, perimeter, closing},
			steps: []step{{op: "answer"}, {op: "receivealarm"}, {op: "speak 1234 NewEvent 131 Perimeter 01 015"},
				{op: "speak 1234 NewRestore 401 Open/close by user 02 007"}, {op: "speak after 007"}, {op: "hangup"}}},
		{name: "checksum errors only: falls through", err: errors.New("no valid message (4 rejected)"),
			steps: []step{{op: "answer"}, {op: "receivealarm"}, {op: "speak after $zone"}, {op: "hangup"}},
			log:   "4 rejected"},
		{name: "nothing at all: falls through",
			steps: []step{{op: "answer"}, {op: "receivealarm"}, {op: "speak after $zone"}, {op: "hangup"}},
			log:   "no alarm report received"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, newFakeEnv(t, nil))
			call := &alarmCall{fakeCall: newFakeCall(t, tc.steps...), alarms: tc.alarms, err: tc.err}
			wantResult(t, h.run(t, call, receiveDoc), HungUp, "end of script")
			if tc.log != "" && !strings.Contains(h.logs(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, h.logs())
			}
		})
	}
}

// The panel hangs up right after the kissoff: the block still runs,
// detached from the call, so its notification goes out; then the script
// ends without a hang-up of its own.
func TestReceiveAlarmAfterHangup(t *testing.T) {
	const target = "http://app/alarm?account=1234&zone=015"
	env := newFakeEnv(t, map[string]string{target: "<Response><Speak>never</Speak></Response>"})
	h := newHarness(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	call := &alarmCall{fakeCall: newFakeCall(t, step{op: "answer"}, step{op: "receivealarm"}), alarms: []ReceivedAlarm{perimeter}, hangUp: cancel}
	doc, err := Parse([]byte(`<Response><ReceiveAlarmNotification><Received><GoTo>http://app/alarm?account=$account&amp;zone=$zone</GoTo>`+
		`</Received></ReceiveAlarmNotification><Speak>never</Speak></Response>`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res := New(h.env, h.opts).Run(ctx, call, doc, RunOptions{})
	wantResult(t, res, CallGone, "call ended")
	if len(env.fetched) != 1 || env.fetched[0] != target+" GoTo" {
		t.Fatalf("fetched %q, want the GoTo to %s", env.fetched, target)
	}
}

func TestAlarmVerbsWithoutService(t *testing.T) {
	h := newHarness(t, newFakeEnv(t, nil))
	doc := `<Response><ReceiveAlarmNotification><Received><Speak>x</Speak></Received></ReceiveAlarmNotification><Speak>next</Speak></Response>`
	res := h.run(t, newFakeCall(t, step{op: "answer"}, step{op: "speak next"}, step{op: "hangup"}), doc)
	wantResult(t, res, HungUp, "end of script")
	if !strings.Contains(h.logs(), "ReceiveAlarmNotification: not available yet") {
		t.Errorf("log lacks the reason:\n%s", h.logs())
	}
}

func TestSendAlarmNotificationVerb(t *testing.T) {
	env := &alarmEnv{fakeEnv: newFakeEnv(t, nil)}
	h := newHarness(t, env)
	doc := `<OzML><Var id="z">10</Var><SendAlarmNotification PhoneNumber="1000" AccountNumber="1234" EventCode="110" PartitionNumber="1" ` +
		`ZoneNumber="$z" EventQualifier="NewRestore" ResultUrl="http://app/result"/>` +
		`<SendAlarmNotification PhoneNumber="1001" AccountNumber="1234" EventCode="110" PartitionNumber="1" ZoneNumber="1" ApiExtension="801"/></OzML>`
	res := h.run(t, newFakeCall(t, step{op: "hangup"}), doc)
	wantResult(t, res, HungUp, "end of script")
	want := []Alarm{
		{PhoneNumber: "1000", AccountNumber: "1234", EventCode: "110", PartitionNumber: "1", ZoneNumber: "10", EventQualifier: "NewRestore",
			APIExtension: "500", ResultURL: "http://app/result"},
		{PhoneNumber: "1001", AccountNumber: "1234", EventCode: "110", PartitionNumber: "1", ZoneNumber: "1", APIExtension: "801"},
	}
	if len(env.sent) != len(want) || env.sent[0] != want[0] || env.sent[1] != want[1] {
		t.Fatalf("sent %+v, want %+v", env.sent, want)
	}
}
