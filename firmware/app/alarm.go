package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/firmware/apiext"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/media/contactid"
)

// Contact ID alarms: SendAlarmNotification (HTTP command and OzML verb)
// becomes an apiext alarm call from an API extension; its outcome is
// posted to the ResultUrl as an AlarmResult notification.
// ReceiveAlarmNotification needs no wiring here: apiext's legs are the
// ozml.AlarmReceiver.

// SendAlarm implements api.AlarmSender.
func (m apiCallsMedia) SendAlarm(_ context.Context, r api.AlarmRequest) (string, error) {
	return m.a.sendAlarm(r)
}

// SendAlarm implements ozml.AlarmSender: the same checks as the HTTP
// command, then the same call.
func (e ozmlEnv) SendAlarm(_ context.Context, p ozml.Alarm) error {
	r, err := api.ParseAlarm(api.AlarmParams{
		PhoneNumber: p.PhoneNumber, AccountNumber: p.AccountNumber, EventCode: p.EventCode,
		PartitionNumber: p.PartitionNumber, ZoneNumber: p.ZoneNumber, EventQualifier: p.EventQualifier,
		APIExtension: p.APIExtension, ResultURL: p.ResultURL,
	})
	if err != nil {
		return err
	}
	_, err = e.a.sendAlarm(r)
	return err
}

// defaultAlarmExtension is the API extension that places an alarm call
// naming none: the first extension of kind api in the config.
func (a *App) defaultAlarmExtension() string {
	for _, x := range a.Config().Extensions {
		if x.Kind == config.KindAPI {
			return x.Number
		}
	}
	return ""
}

// sendAlarm starts the alarm call of r and returns its call ID.
func (a *App) sendAlarm(r api.AlarmRequest) (string, error) {
	s := a.scripts
	if s == nil {
		return "", api.ErrNoAPIExtension
	}
	if r.APIExtension == "" {
		r.APIExtension = a.defaultAlarmExtension()
	}
	id, err := s.ext.SendAlarm(apiext.AlarmCall{
		APIExtension: r.APIExtension, PhoneNumber: r.PhoneNumber, Messages: []contactid.Message{r.Message},
		Done: func(res apiext.AlarmResult) { a.alarmResult(r, res) },
	})
	return id, originateError(err)
}

// alarmResult posts an alarm call's outcome to its ResultUrl.
func (a *App) alarmResult(r api.AlarmRequest, res apiext.AlarmResult) {
	m := r.Message
	if res.Err != nil {
		a.log.Warn("Contact ID alarm not delivered", "call", res.CallID, "phone", r.PhoneNumber, "report", m.String(),
			"attempts", res.Attempts, "err", res.Err)
	} else {
		a.log.Info("Contact ID alarm delivered", "call", res.CallID, "phone", r.PhoneNumber, "report", m.String(), "attempts", res.Attempts)
	}
	if r.ResultURL == "" {
		return
	}
	n := notify.Notification{
		Name: notify.AlarmResult, URL: r.ResultURL, Secret: a.notifySecret(r.User),
		CallID: res.CallID, Caller: r.APIExtension, CallerID: r.APIExtension, Callee: r.PhoneNumber, Dialed: r.PhoneNumber,
		APIExtension: r.APIExtension, CallState: "Completed",
		Alarm: notify.AlarmFields{
			PhoneNumber: r.PhoneNumber, AccountNumber: m.Account, EventCode: fmt.Sprintf("%03d", m.Event),
			EventQualifier: m.Qualifier.String(), PartitionNumber: strconv.Itoa(m.Partition), ZoneNumber: strconv.Itoa(m.Zone),
			Result: "Success", Attempts: res.Attempts,
		},
	}
	if res.Err != nil {
		n.Alarm.Result, n.ErrorMessage = "Failed", res.Err.Error()
		var ce *pbx.ConnectError
		if errors.As(res.Err, &ce) {
			n.CallState = ce.State
		}
	}
	a.notifySend(n)
}
