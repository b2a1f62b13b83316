package api

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The fake core's originator: API extension 801 exists; number 105
// cannot be rung at all; an inline OzML starting "<bad" does not parse.
// Every request is logged in f.control.

func (f *fakeCalls) originate(name string, ext, target, inline string, fields ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case ext != "" && ext != "801":
		return fmt.Errorf("%w: %s", ErrNoAPIExtension, ext)
	case strings.HasPrefix(inline, "<bad"):
		return ErrBadOzML
	case target == "105":
		return &ConnectError{Target: target, State: "NotRegistered"}
	}
	f.control = append(f.control, name+fmt.Sprint(fields...))
	return nil
}

func (f *fakeCalls) Call(_ context.Context, c CallRequest) (string, error) {
	if err := f.originate("Call", c.APIExtension, c.Dialed, c.ResponseOzML, []any{c}); err != nil {
		return "", err
	}
	return "Xy7Zq", nil
}

func (f *fakeCalls) CallSetup(_ context.Context, s CallSetupRequest) error {
	return f.originate("CallSetup", "", s.Caller, "", []any{s})
}

func (f *fakeCalls) Request(_ context.Context, r RequestRequest) error {
	return f.originate("Request", r.ExtensionAddress, r.DialedAddress, r.RequestOzML, []any{r})
}

func TestOriginate(t *testing.T) {
	tests := []commandCase{
		{name: "call", query: query("command", "Call", "Dialed", "102", "ApiExtension", "801", "CallerId", "555", "CallerDisplayName", "Shop",
			"Url", "http://app/connected?x=1", "ErrorUrl", "http://app/error", "FinishedUrl", "https://app/finished", "RingTime", "30"),
			wantCode: 200, golden: "call_ok",
			wantLog: "Call[{102 801 555 Shop http://app/connected?x=1  http://app/error https://app/finished 30s}]"},
		{name: "call with inline OzML, POST-style names in any case", query: query("COMMAND", "call", "dialed", "102", "apiextension", "801", "responseozml", "<Response><Speak>Hi</Speak></Response>"),
			wantCode: 200, wantLog: "Call[{102 801    <Response><Speak>Hi</Speak></Response>   0s}]"},
		{name: "call with XE Dialled", query: query("command", "Call", "Dialled", "102", "ApiExtension", "801"), wantCode: 200,
			wantLog: "Call[{102 801       0s}]"},
		{name: "call unknown API extension", query: query("command", "Call", "Dialed", "102", "ApiExtension", "299"), wantCode: 401,
			wantMsg: "API extension '299' unavailable, please check configuration or permissions", golden: "call_no_api_extension"},
		{name: "call unreachable number", query: query("command", "Call", "Dialed", "105", "ApiExtension", "801"), wantCode: 402,
			wantMsg: "Call connect to '105' failed with result state 'NotRegistered'"},
		{name: "call bad OzML", query: query("command", "Call", "Dialed", "102", "ApiExtension", "801", "ResponseOzML", "<bad"), wantCode: 302,
			wantMsg: "Missing or invalid parameter 'ResponseOzML' for command 'Call'"},
		{name: "call without Dialed", query: query("command", "Call", "ApiExtension", "801"), wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Dialed' for command 'Call'", golden: "call_missing_dialed"},
		{name: "call without ApiExtension", query: query("command", "Call", "Dialed", "102"), wantCode: 302,
			wantMsg: "Missing or invalid parameter 'ApiExtension' for command 'Call'"},
		{name: "call bad ErrorUrl", query: query("command", "Call", "Dialed", "102", "ApiExtension", "801", "ErrorUrl", "file:///etc/passwd"), wantCode: 302,
			wantMsg: "Missing or invalid parameter 'ErrorUrl' for command 'Call'"},
		{name: "call bad RingTime", query: query("command", "Call", "Dialed", "102", "ApiExtension", "801", "RingTime", "-1"), wantCode: 302,
			wantMsg: "Missing or invalid parameter 'RingTime' for command 'Call'"},
		{name: "call Dialed with a space", query: query("command", "Call", "Dialed", "1 2", "ApiExtension", "801"), wantCode: 302},
		{name: "call setup", query: query("command", "CallSetup", "Caller", "101", "Callee", "103", "ErrorUrl", "http://app/e"), wantCode: 200,
			golden: "call_setup_ok", wantLog: "CallSetup[{101 103 http://app/e 0s}]"},
		{name: "call setup unreachable caller", query: query("command", "CallSetup", "Caller", "105", "Callee", "103"), wantCode: 402,
			wantMsg: "Call connect to '105' failed with result state 'NotRegistered'"},
		{name: "call setup without Callee", query: query("command", "CallSetup", "Caller", "101"), wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Callee' for command 'CallSetup'"},
		{name: "request", query: query("command", "Request", "DialedAddress", "102@localhost", "ExtensionAddress", "801", "RequestOzML", "<OnInCall><Speak>x</Speak></OnInCall>"),
			wantCode: 200, golden: "request_ok", wantLog: "Request[{102@localhost 801   0s <OnInCall><Speak>x</Speak></OnInCall>}]"},
		{name: "request unknown extension", query: query("command", "Request", "DialedAddress", "102", "ExtensionAddress", "299", "RequestOzML", "<OnError/>"),
			wantCode: 401},
		{name: "request without OzML", query: query("command", "Request", "DialedAddress", "102", "ExtensionAddress", "801"), wantCode: 302,
			wantMsg: "Missing or invalid parameter 'RequestOzML' for command 'Request'"},
	}
	runCommandCases(t, tests)
}

func TestOriginateWithoutOriginator(t *testing.T) {
	r := newRig(t, func(o *Options) { o.Calls = nil })
	if resp := decode(t, r.get(t, "/api?"+query("command", "Call", "Dialed", "102", "ApiExtension", "801")+appAuth)); resp.Code != 401 {
		t.Fatalf("Call without an originator: %d", resp.Code)
	}
	if resp := decode(t, r.get(t, "/api?"+query("command", "CallSetup", "Caller", "101", "Callee", "102")+appAuth)); resp.Code != 402 {
		t.Fatalf("CallSetup without an originator: %d", resp.Code)
	}
}

// FuzzOriginate: whatever the parameters of Call, CallSetup and Request,
// the answer is a well-formed envelope with one of their codes.
func FuzzOriginate(f *testing.F) {
	f.Add("Call", "102", "801", "http://app/x", "<Response/>", "30")
	f.Add("CallSetup", "101", "102", "", "", "")
	f.Add("Request", "102@localhost", "801", "ftp://x", "<OnInCall/>", "-1")
	f.Add("Call", "1 2", "", "http://", "<bad", "1e9")
	h := New(Options{Calls: &fakeCalls{calls: testCalls()}, Users: testUsers, CheckPassword: (&fakeChecker{}).check,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.Fuzz(func(t *testing.T, cmd, a, b, u, doc, ring string) {
		q := query("command", cmd, "Dialed", a, "Caller", a, "DialedAddress", a, "ApiExtension", b, "Callee", b, "ExtensionAddress", b,
			"Url", u, "ErrorUrl", u, "ResponseOzML", doc, "RequestOzML", doc, "RingTime", ring) + appAuth
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api?"+q, nil))
		var resp xmlResponse
		if err := xml.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("not XML: %v\n%s", err, rec.Body.Bytes())
		}
		switch resp.Code {
		case 200, 300, 301, 302, 303, 401, 402:
		default:
			t.Fatalf("code %d for %s", resp.Code, q)
		}
	})
}
