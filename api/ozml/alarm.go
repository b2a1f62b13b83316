package ozml

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Contact ID alarms: SendAlarmNotification hands its parameters to the
// Env's AlarmSender (the call is placed in the background; ResultUrl
// learns the outcome). ReceiveAlarmNotification makes the script's own
// call a Contact ID receiver through the Call's AlarmReceiver and runs
// its <Received> block once per report, with the report's variables.

// AlarmReceiver is implemented by calls that can act as a Contact ID
// receiver (the firmware's API extension legs).
type AlarmReceiver interface {
	// ReceiveAlarm runs the receiver on the answered call (handshake,
	// reports, kissoffs) until the sender stops or hangs up, and returns
	// the valid reports in order. Reports received before the call ended
	// are returned with a nil error: a panel hangs up right after its
	// kissoff.
	ReceiveAlarm(ctx context.Context) ([]ReceivedAlarm, error)
}

// ReceivedAlarm is one Contact ID report as ReceiveAlarmNotification's
// variables give it: Account "1234", EventQualifier "NewEvent",
// "NewRestore" or "StatusReport", EventCode "131", EventName "Perimeter"
// (empty for codes outside the table), Partition "01", Zone "015": the
// digits as they were sent.
type ReceivedAlarm struct {
	Account, EventQualifier, EventCode, EventName, Partition, Zone string
}

// receivedGrace bounds the <Received> block that runs after the sender
// has hung up (the usual case), when the call's context is already over.
const receivedGrace = 30 * time.Second

// sendAlarm runs SendAlarmNotification. ApiExtension defaults to this
// call's API extension (the reference: it may be omitted in a reply to a
// call notification). The verb returns once the call is started; a
// parameter the Env refuses is logged and the script goes on.
func (r *run) sendAlarm(ctx context.Context, n *Node) error {
	s, ok := r.in.env.(AlarmSender)
	if !ok {
		return r.callErr(ctx, n, fmt.Errorf("%s: %w", n.DisplayName(), ErrNotAvailable))
	}
	a := Alarm{
		PhoneNumber: r.str(n, "phonenumber"), AccountNumber: r.str(n, "accountnumber"),
		EventCode: r.str(n, "eventcode"), PartitionNumber: r.str(n, "partitionnumber"), ZoneNumber: r.str(n, "zonenumber"),
		EventQualifier: r.str(n, "eventqualifier"), APIExtension: r.str(n, "apiextension"), ResultURL: r.str(n, "resulturl"),
	}
	if strings.TrimSpace(a.APIExtension) == "" && r.call != nil {
		a.APIExtension = r.call.Info()["ApiExtension"]
	}
	return r.callErr(ctx, n, s.SendAlarm(ctx, a))
}

// receiveAlarm runs ReceiveAlarmNotification on the (answered) call.
// Decisions: when no valid report arrives (no digits, checksum errors
// only, the caller hung up first) the verb fails with a logged reason
// and the script falls through to the next verb, as failed transfers do.
// Each report runs <Received> once, with $account, $eventqualifier,
// $eventcode, $eventname, $partition and $zone set (they stay set for
// the verbs after); a report repeated because its kissoff was lost runs
// it only once. When the sender has already hung up, the block still
// runs, detached from the call for at most receivedGrace: SendEmail,
// SendSMS, SendMsg, GoTo's notification, Call and Request work; verbs on
// the call itself find it gone (call control ends the script, a prompt
// plays to nobody). The script ends after the block.
func (r *run) receiveAlarm(ctx context.Context, n *Node) error {
	rc, ok := r.call.(AlarmReceiver)
	if !ok {
		return r.callErr(ctx, n, fmt.Errorf("%s: %w", n.DisplayName(), ErrNotAvailable))
	}
	alarms, err := rc.ReceiveAlarm(ctx)
	if len(alarms) == 0 {
		if err == nil {
			err = errors.New("no alarm report received")
		}
		return r.callErr(ctx, n, err)
	}
	bctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), min(receivedGrace, r.remaining()))
		defer cancel()
	}
	block := n.Child("received")
	for i, a := range alarms {
		if i > 0 && a == alarms[i-1] {
			continue
		}
		r.log.Info("ozml: alarm received", "account", a.Account, "qualifier", a.EventQualifier, "event", a.EventCode,
			"name", a.EventName, "partition", a.Partition, "zone", a.Zone)
		for _, v := range [...]struct{ name, val string }{
			{"account", a.Account}, {"eventqualifier", a.EventQualifier}, {"eventcode", a.EventCode},
			{"eventname", a.EventName}, {"partition", a.Partition}, {"zone", a.Zone},
		} {
			if err := r.vars.set(v.name, v.val); err != nil {
				return err
			}
		}
		if block == nil {
			continue
		}
		if err := r.block(bctx, block.Children); err != nil {
			return err
		}
	}
	return nil
}
