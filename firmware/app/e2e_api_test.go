package app

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// End-to-end tests of the Ozeki-compatible HTTP API against the running
// appliance, with a client that uses only net/http and encoding/xml, as a
// third-party application would.

const apiTestUser, apiTestPassword = "HTTP_User_1", "qwe123-but-longer"

// apiTestConfig is testConfig with one API user.
func apiTestConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := testConfig(t.TempDir())
	cfg.API.Users = []config.APIUser{{Username: apiTestUser, PasswordHash: mustHashAPIPassword(t, apiTestPassword)}}
	return cfg
}

func mustHashAPIPassword(t *testing.T, pw string) string {
	t.Helper()
	h, err := config.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// apiResponse is the <Response> document as a client decodes it.
type apiResponse struct {
	Code         int             `xml:"Code"`
	Message      string          `xml:"Message"`
	ActiveCalls  []apiActiveCall `xml:"ActiveCalls>Call"`
	TotalRecords int             `xml:"TotalRecords"`
	CallHistory  []struct {
		StartTime, Direction, Source, Destination, State, Dialed, CallerId, Type, CallId string
	} `xml:"CallHistory>Call"`
	Extensions []struct {
		Id, PhoneNumber, Type, State string
	} `xml:"Extensions>ExtensionSummary"`
}

// apiActiveCall is one <Call> of ListActiveCalls.
type apiActiveCall struct {
	CallId, Source, CallerId, Destination, CallerDialed, CalleeDialed string
	StartTime, RingDuration, TalkDuration, CallState                  string
}

// waitInCall waits until ListActiveCalls shows exactly one call, InCall,
// and returns it.
func waitInCall(t *testing.T, a *App) (call apiActiveCall) {
	t.Helper()
	waitFor(t, "one call InCall", func() bool {
		r := apiGet(t, a, "command", "ListActiveCalls")
		if r.Code != 200 || len(r.ActiveCalls) > 1 {
			t.Fatalf("ListActiveCalls: %+v", r)
		}
		if len(r.ActiveCalls) == 1 && r.ActiveCalls[0].CallState == "InCall" {
			call = r.ActiveCalls[0]
			return true
		}
		return false
	})
	return call
}

// apiGet sends GET /api with the name/value pairs and the test user's
// credentials unless the pairs carry their own.
func apiGet(t *testing.T, a *App, pairs ...string) apiResponse {
	t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	if !v.Has("Username") {
		v.Set("Username", apiTestUser)
		v.Set("Password", apiTestPassword)
	}
	res := httpGet(t, "http://"+a.APIAddr()+"/api?"+v.Encode())
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/xml" {
		t.Fatalf("HTTP %d %q:\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	var r apiResponse
	if err := xml.Unmarshal(body, &r); err != nil {
		t.Fatalf("not XML: %v\n%s", err, body)
	}
	return r
}

// TestAPIHangupActiveCall: 101 calls 102 through the appliance; the API
// lists the call InCall, hangs it up (both phones get a BYE), and finds it
// in the history afterwards.
func TestAPIHangupActiveCall(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	c := caller(t, a, "uac_call.xml", "hangup_wait.part", "102", map[string]string{})

	call := waitInCall(t, a)
	if call.Source != "101" || call.CallerId != "101" || call.Destination != "102" || call.CallerDialed != "102" ||
		call.CalleeDialed != "102" || call.StartTime == "" || call.CallId == "" {
		t.Fatalf("active call %+v", call)
	}
	id := call.CallId

	ext := apiGet(t, a, "command", "ListExtensions")
	states := map[string]string{}
	for _, e := range ext.Extensions {
		states[e.Id] = e.Type + "/" + e.State
	}
	if ext.Code != 200 || states["102@localhost"] != "Phone/Connected" || states["103@localhost"] != "Phone/Disconnected" {
		t.Fatalf("ListExtensions during the call: %+v", ext)
	}

	if r := apiGet(t, a, "command", "Hangup", "CallId", id); r.Code != 200 || r.Message != "Command successfully executed" {
		t.Fatalf("Hangup: %d %q", r.Code, r.Message)
	}
	waitBoth(t, c, b) // each SIPp side passes only if it got the BYE
	if rec := lastRecord(t, a, 1); rec.State != "Hangup" || rec.CallID != id {
		t.Fatalf("history record %+v, want call %s ending Hangup", rec, id)
	}
	waitFor(t, "ListActiveCalls empty", func() bool { return len(apiGet(t, a, "command", "ListActiveCalls").ActiveCalls) == 0 })

	h := apiGet(t, a, "command", "ListCallHistory", "CallId", id)
	if h.Code != 200 || h.TotalRecords != 1 || len(h.CallHistory) != 1 {
		t.Fatalf("ListCallHistory: %+v", h)
	}
	if got := h.CallHistory[0]; got.State != "Hangup" || got.Source != "101" || got.Destination != "102" || got.Dialed != "102" ||
		got.Direction != "Internal" || got.Type != "Audio" || got.CallId != id {
		t.Fatalf("history entry %+v", got)
	}

	r := apiGet(t, a, "command", "Hangup", "CallId", id)
	if r.Code != 601 || r.Message != "Call not found with ID '"+id+"'" {
		t.Fatalf("Hangup of an ended call: %d %q", r.Code, r.Message)
	}
}

// TestAPIUsersFollowReload: API accounts, their ACLs and their cached
// logins follow the config file on reload.
func TestAPIUsersFollowReload(t *testing.T) {
	t.Parallel()
	cfg := apiTestConfig(t)
	a := startTestApp(t, cfg)
	const list = "ListExtensionTypes"
	steps := []struct {
		name  string
		users []config.APIUser // nil: keep the running config
		user  string
		pw    string
		cmd   string
		want  int
	}{
		{name: "configured user", user: apiTestUser, pw: apiTestPassword, cmd: list, want: 200},
		{name: "cached login", user: apiTestUser, pw: apiTestPassword, cmd: list, want: 200},
		{name: "wrong password", user: apiTestUser, pw: "nope", cmd: list, want: 305},
		{name: "no password", user: apiTestUser, cmd: list, want: 304},
		{name: "user removed on reload", users: []config.APIUser{{Username: "ops", PasswordHash: mustHashAPIPassword(t, "ops-password"),
			AllowedCommands: []string{"ListExtensions"}, AllowedNetworks: []string{"10.0.0.0/8"}}},
			user: apiTestUser, pw: apiTestPassword, cmd: list, want: 305},
		{name: "new user from outside its network", user: "ops", pw: "ops-password", cmd: "ListExtensions", want: 307},
		{name: "network widened on reload", users: []config.APIUser{{Username: "ops", PasswordHash: mustHashAPIPassword(t, "ops-password"),
			AllowedCommands: []string{"ListExtensions"}, AllowedNetworks: []string{"127.0.0.0/8"}}},
			user: "ops", pw: "ops-password", cmd: "ListExtensions", want: 200},
		{name: "command outside the ACL", user: "ops", pw: "ops-password", cmd: "ListActiveCalls", want: 306},
	}
	for _, st := range steps {
		if st.users != nil {
			cfg.API.Users = st.users
			rewriteAPITestConfig(t, cfg)
			if err := a.Reload(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		r := apiGet(t, a, "command", st.cmd, "Username", st.user, "Password", st.pw)
		if r.Code != st.want {
			t.Fatalf("%s: code %d %q, want %d", st.name, r.Code, r.Message, st.want)
		}
	}
}

// rewriteAPITestConfig rewrites the config file startTestApp wrote.
func rewriteAPITestConfig(t *testing.T, cfg config.Config) {
	t.Helper()
	data, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfg.DataDir), "gatepbx.yaml"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}
