package ozml

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// smsEnv is a fakeEnv that sends SMS, failing for recipient "fail".
type smsEnv struct {
	*fakeEnv
	sent []SMS
}

func (e *smsEnv) SendSMS(_ context.Context, m SMS) error {
	if m.Recipient == "fail" {
		return errors.New("no route")
	}
	e.sent = append(e.sent, m)
	return nil
}

// TestSendSMSThroughEnv: the text as element text or Message, the
// reference's DelivaryReportURL spelling, $variables; a failed send is
// logged and the script goes on.
func TestSendSMSThroughEnv(t *testing.T) {
	env := &smsEnv{fakeEnv: newFakeEnv(t, nil)}
	h := newHarness(t, env)
	res := h.run(t, newFakeCall(t, step{op: "hangup"}), `<Response>
		<Var id="n">7</Var>
		<SendSMS Recipient="fail">lost</SendSMS>
		<SendSms Recipient="+3620$n" Sender="200" DelivaryReportURL="http://app/dr">code $n</SendSms>
		<SendSMS Recipient="102" Message="attr" DeliveryReportURL="http://app/x"/>
	</Response>`)
	wantResult(t, res, HungUp, "end of script")
	want := []SMS{
		{Recipient: "+36207", Sender: "200", Message: "code 7", DeliveryReportURL: "http://app/dr"},
		{Recipient: "102", Message: "attr", DeliveryReportURL: "http://app/x"},
	}
	if len(env.sent) != len(want) || env.sent[0] != want[0] || env.sent[1] != want[1] {
		t.Errorf("sent %+v, want %+v", env.sent, want)
	}
	if !strings.Contains(h.logs(), "no route") {
		t.Errorf("log: %s", h.logs())
	}
}
