package api

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	r := newRig(t, nil)
	tests := []struct {
		name     string
		query    string // after /api?
		wantCode int
		golden   string // testdata/<golden>.xml; "" = none
		check    func(t *testing.T, resp xmlResponse)
	}{
		{name: "hangup", query: "command=Hangup&CallId=Nt3uh" + appAuth, wantCode: 200, golden: "hangup_ok", check: func(t *testing.T, _ xmlResponse) {
			if got := r.calls.hungUp; !slices.Equal(got, []string{"Nt3uh"}) {
				t.Fatalf("core asked to hang up %v", got)
			}
		}},
		{name: "hangup unknown call", query: "command=Hangup&CallId=g67th7" + appAuth, wantCode: 601, golden: "hangup_not_found"},
		{name: "hangup without CallId", query: "command=Hangup" + appAuth, wantCode: 302, golden: "hangup_missing_callid"},
		{name: "hangup lower-case names", query: "COMMAND=hangup&callid=Nt3uh&USERNAME=app&password=app-secret", wantCode: 200},
		{name: "active calls", query: "command=ListActiveCalls" + appAuth, wantCode: 200, golden: "list_active_calls", check: func(t *testing.T, resp xmlResponse) {
			if len(resp.ActiveCalls) != 3 || resp.ActiveCalls[0].CallId != "Nt3uh" || resp.ActiveCalls[0].TalkDuration != "89.251" {
				t.Fatalf("active calls %+v", resp.ActiveCalls)
			}
		}},
		{name: "history first page", query: "command=ListCallHistory" + appAuth, wantCode: 200, golden: "list_call_history", check: func(t *testing.T, resp xmlResponse) {
			if resp.TotalRecords != 30 || len(resp.CallHistory) != defaultRowsPerPage {
				t.Fatalf("total %d, rows %d", resp.TotalRecords, len(resp.CallHistory))
			}
		}},
		{name: "history paged and filtered", query: query("command", "ListCallHistory", "Source", "101", "Direction", "internal", "RowsPerPage", "2", "PageNumber", "1") + appAuth,
			wantCode: 200, golden: "list_call_history_filtered"},
		{name: "history From", query: query("command", "ListCallHistory", "From", "2019-04-08 13:30:00", "RowsPerPage", "100") + appAuth, wantCode: 200, check: func(t *testing.T, resp xmlResponse) {
			if resp.TotalRecords != 3 || resp.CallHistory[len(resp.CallHistory)-1].StartTime != "2019-04-08 13:30:00" {
				t.Fatalf("From filter: total %d, %+v", resp.TotalRecords, resp.CallHistory)
			}
		}},
		{name: "history External", query: query("command", "ListCallHistory", "Direction", "External", "RowsPerPage", "100") + appAuth, wantCode: 200, check: func(t *testing.T, resp xmlResponse) {
			for _, c := range resp.CallHistory {
				if c.Direction != DirectionInbound && c.Direction != DirectionOutbound {
					t.Fatalf("External listed %+v", c)
				}
			}
			if resp.TotalRecords != 14 {
				t.Fatalf("External: total %d, want 14", resp.TotalRecords)
			}
		}},
		{name: "history State and CallId", query: query("command", "ListCallHistory", "State", "busy", "CallId", "cCa00", "Type", "Audio") + appAuth, wantCode: 200, check: func(t *testing.T, resp xmlResponse) {
			if resp.TotalRecords != 1 || resp.CallHistory[0].State != "Busy" {
				t.Fatalf("got %+v", resp)
			}
		}},
		{name: "history Type Video", query: "command=ListCallHistory&Type=Video" + appAuth, wantCode: 200, golden: "list_call_history_empty"},
		{name: "history page past the end", query: "command=ListCallHistory&PageNumber=99999999999999&RowsPerPage=1000" + appAuth, wantCode: 200, check: func(t *testing.T, resp xmlResponse) {
			if resp.TotalRecords != 30 || len(resp.CallHistory) != 0 {
				t.Fatalf("got total %d rows %d", resp.TotalRecords, len(resp.CallHistory))
			}
		}},
		{name: "GetCallHistory with General", query: query("command", "GetCallHistory", "General", "hangup", "RowsPerPage", "1000") + appAuth, wantCode: 200, check: func(t *testing.T, resp xmlResponse) {
			if resp.TotalRecords != 18 {
				t.Fatalf("General=hangup: total %d, want 18", resp.TotalRecords)
			}
		}},
		{name: "history bad Direction", query: "command=ListCallHistory&Direction=Sideways" + appAuth, wantCode: 302, golden: "list_call_history_bad_direction"},
		{name: "history bad From", query: "command=ListCallHistory&From=yesterday" + appAuth, wantCode: 302},
		{name: "history negative page", query: "command=ListCallHistory&PageNumber=-1" + appAuth, wantCode: 302},
		{name: "history bad rows", query: "command=ListCallHistory&RowsPerPage=x" + appAuth, wantCode: 302},
		{name: "extensions", query: "command=ListExtensions" + appAuth, wantCode: 200, golden: "list_extensions"},
		{name: "extensions of a type", query: query("command", "ListExtensions", "Type", "ivr EXTENSION") + appAuth, wantCode: 200, check: func(t *testing.T, resp xmlResponse) {
			if len(resp.Extensions) != 1 || resp.Extensions[0].Id != "800@localhost" || resp.Extensions[0].State != "Connected" {
				t.Fatalf("got %+v", resp.Extensions)
			}
		}},
		{name: "extensions of no type", query: "command=ListExtensions&Type=Fax" + appAuth, wantCode: 200, golden: "list_extensions_empty"},
		{name: "extension types", query: "command=ListExtensionTypes" + appAuth, wantCode: 200, golden: "list_extension_types"},
		{name: "not implemented", query: "command=GenerateSecurityToken&CallId=Nt3uh" + appAuth, wantCode: 301, golden: "not_implemented"},
		{name: "XE alias", query: "command=Forward&CallId=Nt3uh&Destination=104" + appAuth, wantCode: 303},
		{name: "XE config command", query: "command=AddConfig" + appAuth, wantCode: 301},
		{name: "unknown command", query: "command=Frobnicate" + appAuth, wantCode: 301},
		{name: "OzML-only verb", query: "command=UserInput" + appAuth, wantCode: 303, golden: "ozml_only"},
		{name: "missing command", query: "Username=app&Password=app-secret", wantCode: 302, golden: "missing_command"},
		{name: "message escaping", query: query("command", `<x a="1">&'`) + appAuth, wantCode: 301, golden: "escaping", check: func(t *testing.T, resp xmlResponse) {
			if resp.Message != `Not implemented command: '<x a="1">&''` {
				t.Fatalf("message %q", resp.Message)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := r.get(t, "/api?"+tc.query)
			resp := decode(t, body)
			if resp.Code != tc.wantCode {
				t.Fatalf("code %d, want %d\n%s", resp.Code, tc.wantCode, body)
			}
			if tc.golden != "" {
				checkGolden(t, tc.golden, body)
			}
			if tc.check != nil {
				tc.check(t, resp)
			}
		})
	}
}

func TestPathsAndMethods(t *testing.T) {
	r := newRig(t, nil)
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, path, contentType, body string
		wantCode                              int
	}{
		{"GET /api", "GET", "/api?command=ListExtensionTypes" + appAuth, "", "", 200},
		{"GET /api/", "GET", "/api/?command=ListExtensionTypes" + appAuth, "", "", 200},
		{"GET / (7780-style clients)", "GET", "/?command=ListExtensionTypes" + appAuth, "", "", 200},
		{"POST form", "POST", "/api", form, "Command=ListExtensionTypes" + appAuth, 200},
		{"POST form with charset", "POST", "/api", form + "; charset=utf-8", "Command=ListExtensionTypes" + appAuth, 200},
		{"POST form without Content-Type", "POST", "/api", "", "Command=ListExtensionTypes" + appAuth, 200},
		{"POST body and query merge", "POST", "/api?Username=app&Password=app-secret", form, "command=ListExtensionTypes", 200},
		{"POST body wins over query", "POST", "/api?command=Frobnicate" + appAuth, form, "command=ListExtensionTypes", 200},
		{"POST JSON", "POST", "/api", "application/json", `{"command":"Hangup"}`, 300},
		{"PUT", "PUT", "/api?command=ListExtensionTypes" + appAuth, "", "", 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, r.srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp := decode(t, readAPIBody(t, res)); resp.Code != tc.wantCode {
				t.Fatalf("code %d (%s), want %d", resp.Code, resp.Message, tc.wantCode)
			}
		})
	}
	t.Run("other paths are 404", func(t *testing.T) {
		res, err := http.Get(r.srv.URL + "/api/v2?command=Hangup")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("HTTP %d, want 404", res.StatusCode)
		}
	})
}

func TestLimits(t *testing.T) {
	r := newRig(t, nil)
	many := func(n int) string {
		var parts []string
		for i := range n {
			parts = append(parts, "p"+strings.Repeat("x", i%5)+"="+"v")
		}
		return strings.Join(parts, "&")
	}
	const cmd = "command=ListExtensionTypes" + appAuth // 3 parameters
	tests := []struct {
		name, query, body string
		wantCode          int
		wantMessage       string
	}{
		{name: "64 parameters", query: cmd + "&" + many(61), wantCode: 200},
		{name: "65 parameters", query: cmd + "&" + many(62), wantCode: 300, wantMessage: "Error occured during parsing message: 'more than 64 parameters'"},
		{name: "parameters counted over body and query", query: cmd, body: many(62), wantCode: 300},
		{name: "value of 4096 bytes", query: cmd + "&Text=" + strings.Repeat("a", 4096), wantCode: 200},
		{name: "value of 4097 bytes", query: cmd + "&Text=" + strings.Repeat("a", 4097), wantCode: 300,
			wantMessage: "Error occured during parsing message: 'value of parameter 'Text' longer than 4096 bytes'"},
		{name: "encoded value of 4097 bytes", query: cmd + "&Text=" + strings.Repeat("%41", 4097), wantCode: 300},
		{name: "name of 64 bytes", query: cmd + "&" + strings.Repeat("n", 64) + "=1", wantCode: 200},
		{name: "name of 65 bytes", query: cmd + "&" + strings.Repeat("n", 65) + "=1", wantCode: 300},
		{name: "bad escape", query: cmd + "&CallId=%zz", wantCode: 300, wantMessage: "Error occured during parsing message: 'invalid URL encoding in parameter 'CallId''"},
		{name: "bad escape in a name", query: cmd + "&%g=1", wantCode: 300},
		{name: "body of 64 KiB", body: cmd + "&Text=" + strings.Repeat("a", 4000) + "&pad=" + strings.Repeat("&", 64<<10-4000-len(cmd)-16), wantCode: 200},
		{name: "body over 64 KiB", body: cmd + "&pad=" + strings.Repeat("&", 64<<10), wantCode: 300,
			wantMessage: "Error occured during parsing message: 'request body larger than 65536 bytes'"},
		{name: "query over 64 KiB", query: cmd + strings.Repeat("&", 64<<10), wantCode: 300},
		{name: "empty pairs are free", query: "&&" + cmd + "&&&", wantCode: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = r.post(t, "/api?"+tc.query, "application/x-www-form-urlencoded", tc.body)
			} else {
				body = r.get(t, "/api?"+tc.query)
			}
			resp := decode(t, body)
			if resp.Code != tc.wantCode || (tc.wantMessage != "" && resp.Message != tc.wantMessage) {
				t.Fatalf("%d %q, want %d %q", resp.Code, resp.Message, tc.wantCode, tc.wantMessage)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	r := newRig(t, func(o *Options) { o.Status = fixedStatus{} })
	res, err := http.Get(r.srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct {
		OK bool `json:"ok"`
		Status
	}
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &got); err != nil || !got.OK || got.ActiveCalls != 2 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("health %s (%v)", b, err)
	}
}

type fixedStatus struct{}

func (fixedStatus) Status() Status { return Status{Version: "test", ActiveCalls: 2, Registrations: 3} }
