package api

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/media/contactid"
)

// SendAlarmNotification: an API extension calls PhoneNumber and delivers
// one Ademco Contact ID report by DTMF; the outcome is posted to
// ResultUrl (api/API.md, section SendAlarmNotification). ParseAlarm
// checks the parameters for the HTTP command and the OzML verb alike.

// AlarmSender places Contact ID alarm calls. The Calls implementation
// provides it; without it SendAlarmNotification answers 401.
type AlarmSender interface {
	// SendAlarm starts the call and returns its ID once dialling has
	// started. Errors: ErrNoAPIExtension, a *ConnectError.
	SendAlarm(ctx context.Context, a AlarmRequest) (callID string, err error)
}

// AlarmParams are SendAlarmNotification's parameters as given.
type AlarmParams struct {
	PhoneNumber, AccountNumber, EventCode, PartitionNumber, ZoneNumber string
	EventQualifier, APIExtension, ResultURL                            string
}

// AlarmRequest is a checked SendAlarmNotification.
type AlarmRequest struct {
	PhoneNumber  string
	APIExtension string // "": the appliance's default API extension
	ResultURL    string // "": no result notification
	Message      contactid.Message
	// User is the API user who asked (its notify_secret signs the
	// ResultUrl notification); "" for OzML.
	User string
}

// AlarmParamError names the parameter ParseAlarm refused (302).
type AlarmParamError struct {
	Param string // the reference's spelling, e.g. "AccountNumber"
	Err   error
}

func (e *AlarmParamError) Error() string {
	return fmt.Sprintf("SendAlarmNotification: %s: %v", e.Param, e.Err)
}

func (e *AlarmParamError) Unwrap() error { return e.Err }

// errAlarmParam is what AlarmParamError wraps for a malformed value.
var errAlarmParam = errors.New("missing or malformed")

// decimalField reads 1..maxDigits decimal digits.
func decimalField(v string, maxDigits int) (int, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > maxDigits {
		return 0, false
	}
	n := 0
	for i := range len(v) {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int(v[i]-'0')
	}
	return n, true
}

// numberLike is what number() accepts: 1..maxNumberParam bytes with no
// blanks, quotes or angle brackets.
func numberLike(v string) bool {
	return v != "" && len(v) <= maxNumberParam && !strings.ContainsAny(v, " \t\r\n<>\"")
}

// ParseAlarm checks p in the order of the reference's table: PhoneNumber,
// AccountNumber (4 digits; the Contact ID hex digits B-F are accepted
// too), EventCode (1-3 digits), PartitionNumber (1-2), ZoneNumber (1-3),
// EventQualifier (NewEvent, the default, NewRestore, StatusReport, or
// their codes 1, 3, 6), ApiExtension, ResultUrl (http or https). The
// first bad one is returned as an *AlarmParamError.
func ParseAlarm(p AlarmParams) (AlarmRequest, error) {
	bad := func(param string, err error) (AlarmRequest, error) {
		return AlarmRequest{}, &AlarmParamError{Param: param, Err: err}
	}
	a := AlarmRequest{
		PhoneNumber: strings.TrimSpace(p.PhoneNumber), APIExtension: strings.TrimSpace(p.APIExtension),
		ResultURL: strings.TrimSpace(p.ResultURL),
	}
	if !numberLike(a.PhoneNumber) {
		return bad("PhoneNumber", errAlarmParam)
	}
	acct := strings.ToUpper(strings.TrimSpace(p.AccountNumber))
	if len(acct) != 4 || strings.Trim(acct, "0123456789BCDEF") != "" {
		return bad("AccountNumber", fmt.Errorf("want 4 digits: %w", errAlarmParam))
	}
	m := contactid.Message{Account: acct, Type: contactid.TypeContactID}
	var ok bool
	for _, f := range []struct {
		param, value string
		max          int
		dst          *int
	}{{"EventCode", p.EventCode, 3, &m.Event}, {"PartitionNumber", p.PartitionNumber, 2, &m.Partition}, {"ZoneNumber", p.ZoneNumber, 3, &m.Zone}} {
		if *f.dst, ok = decimalField(f.value, f.max); !ok {
			return bad(f.param, fmt.Errorf("want 1 to %d digits: %w", f.max, errAlarmParam))
		}
	}
	q, err := contactid.ParseQualifier(p.EventQualifier)
	if err != nil {
		return bad("EventQualifier", err)
	}
	m.Qualifier = q
	if a.APIExtension != "" && !numberLike(a.APIExtension) {
		return bad("ApiExtension", errAlarmParam)
	}
	if a.ResultURL != "" {
		if err := notify.CheckURL(a.ResultURL); err != nil {
			return bad("ResultUrl", err)
		}
	}
	if err := m.Validate(); err != nil { // cannot fail after the checks above
		return bad("AccountNumber", err)
	}
	a.Message = m
	return a, nil
}

// sendAlarmNotification: PhoneNumber, AccountNumber, EventCode,
// PartitionNumber, ZoneNumber, EventQualifier, ApiExtension, ResultUrl
// → 200 with <CallId> once dialling has started; 302 for a bad
// parameter; 401 when the API extension is unknown (or none is
// configured); 402 when the call cannot be started.
func (h *Handler) sendAlarmNotification(req *request) reply {
	v := req.params.value
	a, err := ParseAlarm(AlarmParams{
		PhoneNumber: v("PhoneNumber"), AccountNumber: v("AccountNumber"), EventCode: v("EventCode"),
		PartitionNumber: v("PartitionNumber"), ZoneNumber: v("ZoneNumber"), EventQualifier: v("EventQualifier"),
		APIExtension: v("ApiExtension"), ResultURL: v("ResultUrl"),
	})
	if pe, ok := errors.AsType[*AlarmParamError](err); ok {
		return req.invalid(pe.Param)
	}
	if req.user != nil {
		a.User = req.user.Name
	}
	s, _ := h.opts.Calls.(AlarmSender)
	if s == nil {
		return reply{code: CodeAPIExtensionUnavailable, args: []string{a.APIExtension}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), originateWait)
	defer cancel()
	id, err := s.SendAlarm(ctx, a)
	if err != nil {
		return h.originateReply(req, a.APIExtension, a.PhoneNumber, "", err)
	}
	return reply{code: CodeOK, body: func(w *xmlWriter) { w.leaf("CallId", id) }}
}
