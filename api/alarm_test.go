package api

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatepbx/gatepbx/media/contactid"
)

// SendAlarm is the fake core's alarm caller: API extension 801 (or none
// named) places it, number 105 cannot be rung.
func (f *fakeCalls) SendAlarm(_ context.Context, a AlarmRequest) (string, error) {
	if err := f.originate("SendAlarm", a.APIExtension, a.PhoneNumber, "", a.PhoneNumber, a.APIExtension, a.ResultURL, a.Message.String(), a.User); err != nil {
		return "", err
	}
	return "Al4rm", nil
}

// alarmQuery is a valid SendAlarmNotification with some parameters
// replaced (an empty value drops the parameter).
func alarmQuery(over ...string) string {
	p := []string{"command", "SendAlarmNotification", "PhoneNumber", "101", "AccountNumber", "1234", "EventCode", "110",
		"PartitionNumber", "1", "ZoneNumber", "10", "ResultUrl", "http://app/alarm"}
	for i := 0; i+1 < len(over); i += 2 {
		found := false
		for j := 0; j+1 < len(p); j += 2 {
			if p[j] == over[i] {
				p[j+1], found = over[i+1], true
			}
		}
		if !found {
			p = append(p, over[i], over[i+1])
		}
	}
	var kept []string
	for j := 0; j+1 < len(p); j += 2 {
		if p[j+1] != "" {
			kept = append(kept, p[j], p[j+1])
		}
	}
	return query(kept...)
}

func TestSendAlarmNotification(t *testing.T) {
	bad := func(param string) string {
		return fmt.Sprintf("Missing or invalid parameter '%s' for command 'SendAlarmNotification'", param)
	}
	tests := []commandCase{
		{name: "reference example", query: alarmQuery(), wantCode: 200,
			wantLog: "SendAlarm101http://app/alarm1234 18 1 110 01 010app"},
		{name: "restore from an API extension, hex account", query: alarmQuery("ApiExtension", "801", "EventQualifier", "NewRestore", "AccountNumber", "12bf", "ResultUrl", ""),
			wantCode: 200, wantLog: "SendAlarm10180112BF 18 3 110 01 010app"},
		{name: "status report by code, names in any case", query: strings.ToLower(alarmQuery("EventQualifier", "6")), wantCode: 200,
			wantLog: "SendAlarm101http://app/alarm1234 18 6 110 01 010app"},
		{name: "unknown API extension", query: alarmQuery("ApiExtension", "299"), wantCode: 401,
			wantMsg: "API extension '299' unavailable, please check configuration or permissions"},
		{name: "number that cannot be rung", query: alarmQuery("PhoneNumber", "105"), wantCode: 402,
			wantMsg: "Call connect to '105' failed with result state 'NotRegistered'"},
		{name: "no PhoneNumber", query: alarmQuery("PhoneNumber", ""), wantCode: 302, wantMsg: bad("PhoneNumber")},
		{name: "PhoneNumber with a space", query: alarmQuery("PhoneNumber", "1 2"), wantCode: 302, wantMsg: bad("PhoneNumber")},
		{name: "no AccountNumber", query: alarmQuery("AccountNumber", ""), wantCode: 302, wantMsg: bad("AccountNumber")},
		{name: "3-digit account", query: alarmQuery("AccountNumber", "123"), wantCode: 302, wantMsg: bad("AccountNumber")},
		{name: "5-digit account", query: alarmQuery("AccountNumber", "12345"), wantCode: 302, wantMsg: bad("AccountNumber")},
		{name: "account with a letter outside B-F", query: alarmQuery("AccountNumber", "12G4"), wantCode: 302, wantMsg: bad("AccountNumber")},
		{name: "no EventCode", query: alarmQuery("EventCode", ""), wantCode: 302, wantMsg: bad("EventCode")},
		{name: "4-digit EventCode", query: alarmQuery("EventCode", "1100"), wantCode: 302, wantMsg: bad("EventCode")},
		{name: "negative EventCode", query: alarmQuery("EventCode", "-1"), wantCode: 302, wantMsg: bad("EventCode")},
		{name: "3-digit partition", query: alarmQuery("PartitionNumber", "100"), wantCode: 302, wantMsg: bad("PartitionNumber")},
		{name: "no partition", query: alarmQuery("PartitionNumber", ""), wantCode: 302, wantMsg: bad("PartitionNumber")},
		{name: "4-digit zone", query: alarmQuery("ZoneNumber", "1000"), wantCode: 302, wantMsg: bad("ZoneNumber")},
		{name: "zone not a number", query: alarmQuery("ZoneNumber", "1a"), wantCode: 302, wantMsg: bad("ZoneNumber")},
		{name: "unknown qualifier", query: alarmQuery("EventQualifier", "Maybe"), wantCode: 302, wantMsg: bad("EventQualifier")},
		{name: "ResultUrl not http", query: alarmQuery("ResultUrl", "file:///etc/passwd"), wantCode: 302, wantMsg: bad("ResultUrl")},
		{name: "ApiExtension with a quote", query: alarmQuery("ApiExtension", `8"1`), wantCode: 302, wantMsg: bad("ApiExtension")},
	}
	runCommandCases(t, tests)
}

func TestSendAlarmNotificationWithoutSender(t *testing.T) {
	r := newRig(t, func(o *Options) { o.Calls = nil })
	if resp := decode(t, r.get(t, "/api?"+alarmQuery()+appAuth)); resp.Code != 401 {
		t.Fatalf("SendAlarmNotification without an alarm sender: %d %s", resp.Code, resp.Message)
	}
}

func TestParseAlarm(t *testing.T) {
	tests := []struct {
		name    string
		p       AlarmParams
		want    contactid.Message
		badName string
	}{
		{name: "padded fields", p: AlarmParams{PhoneNumber: " 200 ", AccountNumber: "0042", EventCode: "7", PartitionNumber: "0", ZoneNumber: "0"},
			want: contactid.Message{Account: "0042", Type: 18, Qualifier: contactid.NewEvent, Event: 7}},
		{name: "largest fields", p: AlarmParams{PhoneNumber: "200", AccountNumber: "FFFF", EventCode: "999", PartitionNumber: "99", ZoneNumber: "999", EventQualifier: "statusreport"},
			want: contactid.Message{Account: "FFFF", Type: 18, Qualifier: contactid.StatusReport, Event: 999, Partition: 99, Zone: 999}},
		{name: "account A is not a digit here", p: AlarmParams{PhoneNumber: "200", AccountNumber: "12A4", EventCode: "1", PartitionNumber: "1", ZoneNumber: "1"},
			badName: "AccountNumber"},
		{name: "space inside a code", p: AlarmParams{PhoneNumber: "200", AccountNumber: "1234", EventCode: "1 1", PartitionNumber: "1", ZoneNumber: "1"},
			badName: "EventCode"},
		{name: "ResultUrl without host", p: AlarmParams{PhoneNumber: "200", AccountNumber: "1234", EventCode: "1", PartitionNumber: "1", ZoneNumber: "1", ResultURL: "http://"},
			badName: "ResultUrl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAlarm(tc.p)
			if tc.badName != "" {
				pe, ok := errors.AsType[*AlarmParamError](err)
				if !ok || pe.Param != tc.badName {
					t.Fatalf("err %v, want a bad %s", err, tc.badName)
				}
				return
			}
			if err != nil || a.Message != tc.want {
				t.Fatalf("%+v %v, want %+v", a.Message, err, tc.want)
			}
			if _, err := a.Message.Encode(); err != nil {
				t.Fatalf("checked message does not encode: %v", err)
			}
		})
	}
}

// FuzzParseAlarm: whatever the parameters, ParseAlarm either names one
// of them or returns a message that encodes; over HTTP the answer is a
// well-formed envelope with one of the command's codes.
func FuzzParseAlarm(f *testing.F) {
	f.Add("101", "1234", "110", "1", "10", "NewEvent", "", "http://app/alarm")
	f.Add("101", "bcdf", "999", "99", "999", "6", "801", "")
	f.Add(" ", "12345", "-1", "100", "1000", "x", "8 1", "ftp://x")
	f.Add("1\x00", "A234", "1e2", "+1", "0x1", "NEWRESTORE", "\"", "http://")
	h := New(Options{Calls: &fakeCalls{calls: testCalls()}, Users: testUsers, CheckPassword: (&fakeChecker{}).check,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.Fuzz(func(t *testing.T, phone, acct, code, part, zone, qual, ext, result string) {
		p := AlarmParams{PhoneNumber: phone, AccountNumber: acct, EventCode: code, PartitionNumber: part, ZoneNumber: zone,
			EventQualifier: qual, APIExtension: ext, ResultURL: result}
		a, err := ParseAlarm(p)
		if err != nil {
			if _, ok := errors.AsType[*AlarmParamError](err); !ok {
				t.Fatalf("error %v names no parameter", err)
			}
		} else if d, err := a.Message.Encode(); err != nil || len(d) != contactid.MessageDigits {
			t.Fatalf("accepted %+v does not encode: %q %v", p, d, err)
		} else if back, err := contactid.Decode(d); err != nil || back.Event != a.Message.Event || back.Zone != a.Message.Zone {
			t.Fatalf("%+v: decodes to %+v %v", a.Message, back, err)
		}
		q := query("command", "SendAlarmNotification", "PhoneNumber", phone, "AccountNumber", acct, "EventCode", code,
			"PartitionNumber", part, "ZoneNumber", zone, "EventQualifier", qual, "ApiExtension", ext, "ResultUrl", result) + appAuth
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api?"+q, nil))
		var resp xmlResponse
		if err := xml.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("not XML: %v\n%s", err, rec.Body.Bytes())
		}
		switch resp.Code {
		case 200, 300, 302, 401, 402:
		default:
			t.Fatalf("code %d for %s", resp.Code, q)
		}
	})
}
