package apiext

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/media/contactid"
)

// Contact ID alarms on API extension legs: the leg's 20 ms audio drives
// a contactid.Sender (SendAlarm: the extension calls a receiver) or a
// contactid.Receiver (ReceiveAlarm: OzML's ReceiveAlarmNotification on a
// call to the extension), through Exchange, so the DTMF and the tones go
// through the real G.711 RTP path of the call.

// AlarmTiming sets the Contact ID timing of the legs; nil fields take
// the DC-05 defaults (contactid.DefaultSenderConfig and
// DefaultReceiverConfig).
type AlarmTiming struct {
	Sender   *contactid.SenderConfig
	Receiver *contactid.ReceiverConfig
}

func (o *Originator) senderConfig() contactid.SenderConfig {
	if c := o.opts.Alarm.Sender; c != nil {
		return *c
	}
	return contactid.DefaultSenderConfig()
}

func (o *Originator) receiverConfig() contactid.ReceiverConfig {
	if c := o.opts.Alarm.Receiver; c != nil {
		return *c
	}
	return contactid.DefaultReceiverConfig()
}

// ReceiveAlarm implements ozml.AlarmReceiver: the leg is the central
// station. The exchange ends when the sender stops sending (the
// receiver's timeouts), gives up, or hangs up; the reports accepted by
// then are returned, with a nil error even when the call has ended.
func (l *Leg) ReceiveAlarm(ctx context.Context) ([]ozml.ReceivedAlarm, error) {
	r, err := contactid.NewReceiver(l.o.receiverConfig())
	if err != nil {
		return nil, err
	}
	err = l.Exchange(ctx, r.Process)
	l.dropKeys()
	if rej := r.Rejected(); len(rej) > 0 {
		l.log.Info("Contact ID: reports rejected (checksum or incomplete)", "rejected", rej)
	}
	msgs := r.Messages()
	if len(msgs) == 0 {
		if err == nil || errors.Is(err, contactid.ErrNoMessage) {
			return nil, fmt.Errorf("apiext: %w (%d rejected)", contactid.ErrNoMessage, len(r.Rejected()))
		}
		return nil, err
	}
	out := make([]ozml.ReceivedAlarm, len(msgs))
	for i, m := range msgs {
		out[i] = ozml.ReceivedAlarm{
			Account: m.Account, EventQualifier: m.Qualifier.String(), EventCode: fmt.Sprintf("%03d", m.Event),
			EventName: m.Name(), Partition: fmt.Sprintf("%02d", m.Partition), Zone: fmt.Sprintf("%03d", m.Zone),
		}
	}
	return out, nil
}

// dropKeys empties the script's key queue: the DTMF listener heard the
// report's digits too, and they are not keys for a later UserInput.
func (l *Leg) dropKeys() {
	keys := l.media.keys.Digits()
	for {
		select {
		case <-keys:
		default:
			return
		}
	}
}

// AlarmCall is a Contact ID report an API extension delivers by calling
// a receiver.
type AlarmCall struct {
	APIExtension string
	PhoneNumber  string
	Messages     []contactid.Message
	// RingTime gives up an unanswered call (0: the core's ring timeout).
	RingTime time.Duration
	// Done is told the outcome once, on the call's goroutine, after the
	// call has been hung up. Nil: nobody is told.
	Done func(AlarmResult)
}

// AlarmResult is how an AlarmCall ended.
type AlarmResult struct {
	CallID    string
	Delivered int   // reports that got their kissoff
	Attempts  int   // reports sent, retries included
	Err       error // nil: every report got its kissoff; a *pbx.ConnectError when the call was not answered
}

// SendAlarm places c: the extension calls PhoneNumber through the core,
// and once the call is answered and bridged a contactid.Sender waits for
// the handshake, sends the reports and waits for their kissoffs
// (retrying as DC-05 says), then hangs up. It returns the call's ID once
// dialling has started; the outcome goes to c.Done.
func (o *Originator) SendAlarm(c AlarmCall) (string, error) {
	ext, err := o.lookup(c.APIExtension)
	if err != nil {
		return "", err
	}
	s, err := contactid.NewSender(o.senderConfig(), c.Messages...)
	if err != nil {
		return "", fmt.Errorf("apiext: alarm: %w", err)
	}
	org, err := o.place(placed{ext: ext, dialed: strings.TrimSpace(c.PhoneNumber), from: callerOf(ext, "", "")})
	if err != nil {
		return "", err
	}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		org.runAlarm(c, s)
	}()
	return org.callID, nil
}

// runAlarm is the goroutine of an AlarmCall.
func (o *origin) runAlarm(c AlarmCall, s *contactid.Sender) {
	res := AlarmResult{CallID: o.callID}
	defer func() {
		res.Delivered, res.Attempts = s.Delivered(), s.Attempts()
		o.log.Info("Contact ID alarm call ended", "delivered", res.Delivered, "attempts", res.Attempts, "err", res.Err)
		if c.Done != nil {
			c.Done(res)
		}
	}()
	defer o.media.close()
	defer o.Leg.Hangup()
	if ce := o.waitAnswer(o.ctx, c.RingTime, nil); ce != nil {
		res.Err = ce
		return
	}
	o.o.track(o.callID, o.Leg)
	defer o.o.untrack(o.callID, o.Leg)
	if err := o.o.opts.Core.Settled(o.ctx, o.callID); err != nil {
		res.Err = fmt.Errorf("apiext: alarm call: %w", ended(err))
		return
	}
	err := o.Exchange(o.ctx, s.Process)
	if err != nil && o.ctx.Err() != nil {
		err = fmt.Errorf("apiext: the receiver hung up before the kissoff: %w", ozml.ErrCallEnded)
	}
	_ = o.hangup() // the receiver may have hung up first
	res.Err = err
}
