package api

import (
	"encoding/xml"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthentication(t *testing.T) {
	r := newRig(t, nil)
	tests := []struct {
		name     string
		query    string
		wantCode int
		golden   string
	}{
		{"no credentials", "command=ListActiveCalls", 304, "auth_required"},
		{"no password", "command=ListActiveCalls&Username=app", 304, ""},
		{"empty password", "command=ListActiveCalls&Username=app&Password=", 304, ""},
		{"no username", "command=ListActiveCalls&Password=app-secret", 304, ""},
		{"wrong password", "command=ListActiveCalls&Username=app&Password=guess", 305, "auth_failed"},
		{"unknown user", "command=ListActiveCalls&Username=nobody&Password=app-secret", 305, ""},
		{"username is case-sensitive", "command=ListActiveCalls&Username=APP&Password=app-secret", 305, ""},
		{"allowed command", "command=ListActiveCalls&Username=viewer&Password=view-secret", 200, ""},
		{"allowed through the ACL's alias", "command=ListCallHistory&Username=viewer&Password=view-secret", 200, ""},
		{"allowed under an alias", "command=getcallhistory&Username=viewer&Password=view-secret", 200, ""},
		{"command outside the ACL", "command=Hangup&CallId=Nt3uh&Username=viewer&Password=view-secret", 306, "forbidden_user"},
		{"forbidden network", "command=ListActiveCalls&Username=remote&Password=remote-secret", 307, "forbidden_address"},
		{"forbidden network, wrong password", "command=ListActiveCalls&Username=remote&Password=x", 307, ""},
		{"credentials in a POST body", "", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.query == "" {
				body = r.post(t, "/api", "application/x-www-form-urlencoded", "command=ListActiveCalls&Username=app&Password=app-secret")
			} else {
				body = r.get(t, "/api?"+tc.query)
			}
			resp := decode(t, body)
			if resp.Code != tc.wantCode {
				t.Fatalf("code %d %q, want %d", resp.Code, resp.Message, tc.wantCode)
			}
			if tc.golden != "" {
				checkGolden(t, tc.golden, body)
			}
		})
	}
	if logs := r.logs.String(); strings.Contains(logs, "secret") || strings.Contains(logs, "guess") {
		t.Fatalf("a password reached the log:\n%s", logs)
	}
}

func TestNetworkACLAllowsItsNetwork(t *testing.T) {
	u := &apiUser{User: User{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}}
	tests := []struct {
		addr string
		want bool
	}{
		{"10.1.2.3", true}, {"::ffff:10.1.2.3", true}, {"fd00::1", true},
		{"127.0.0.1", false}, {"11.0.0.1", false}, {"::1", false},
	}
	for _, tc := range tests {
		if got := u.mayConnectFrom(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("mayConnectFrom(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	if !(&apiUser{}).mayConnectFrom(netip.MustParseAddr("192.0.2.1")) {
		t.Error("a user without networks was refused")
	}
}

func TestLoginCache(t *testing.T) {
	r := newRig(t, nil)
	const list = "/api?command=ListExtensionTypes"
	code := func(auth string) int { return decode(t, r.get(t, list+auth)).Code }
	for range 5 {
		if c := code(appAuth); c != 200 {
			t.Fatalf("code %d", c)
		}
	}
	if n := r.checker.calls.Load(); n != 1 {
		t.Fatalf("password hashed %d times for 5 logins, want 1 (cached)", n)
	}
	// A wrong password is never served from the cache of the right one.
	if c := code("&Username=app&Password=app-secreT"); c != 305 {
		t.Fatalf("wrong password: code %d", c)
	}
	// Unknown users cost a hash too, so timing does not reveal names.
	before := r.checker.calls.Load()
	if c := code("&Username=ghost&Password=boo"); c != 305 || r.checker.calls.Load() != before+1 {
		t.Fatalf("unknown user: code %d, hashes %d → %d", c, before, r.checker.calls.Load())
	}
	// A reload with a new password drops the cached login.
	r.h.SetUsers([]User{{Name: "app", PasswordHash: fakeHash("new-secret")}})
	if c := code(appAuth); c != 305 {
		t.Fatalf("old password after reload: code %d", c)
	}
	before = r.checker.calls.Load()
	for range 3 {
		if c := code("&Username=app&Password=new-secret"); c != 200 {
			t.Fatalf("new password: code %d", c)
		}
	}
	if n := r.checker.calls.Load() - before; n != 1 {
		t.Fatalf("new password hashed %d times for 3 logins, want 1", n)
	}
	// Removing the user ends its access though its login was cached.
	r.h.SetUsers(nil)
	if c := code("&Username=app&Password=new-secret"); c != 305 {
		t.Fatalf("removed user: code %d", c)
	}
}

func TestFailedLoginsBlockTheSource(t *testing.T) {
	const limit, window = 3, time.Minute
	r := newRig(t, func(o *Options) { o.AuthFailureLimit, o.AuthFailureWindow = limit, window })
	const list = "/api?command=ListExtensionTypes"
	code := func(auth string) int { return decode(t, r.get(t, list+auth)).Code }
	for i := range limit {
		if c := code("&Username=app&Password=guess" + string(rune('a'+i))); c != 305 {
			t.Fatalf("failure %d: code %d", i, c)
		}
	}
	hashes := r.checker.calls.Load()
	// Blocked: even the right password gets 305, and nothing is hashed.
	for range 2 {
		if c := code(appAuth); c != 305 {
			t.Fatalf("blocked source with the right password: code %d", c)
		}
	}
	if n := r.checker.calls.Load(); n != hashes {
		t.Fatalf("blocked source made %d password checks", n-hashes)
	}
	logs := r.logs.String()
	if strings.Count(logs, "source blocked") != 1 || !strings.Contains(logs, "source=127.0.0.1") {
		t.Fatalf("want one block line naming the source:\n%s", logs)
	}
	if strings.Contains(logs, "guess") || strings.Contains(logs, "secret") {
		t.Fatalf("a password reached the log:\n%s", logs)
	}
	// Once the window has passed the source may try again.
	r.advance(window)
	if c := code(appAuth); c != 200 {
		t.Fatalf("after the window: code %d", c)
	}
}

func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commandTable {
		key := strings.ToLower(c.name)
		if seen[key] {
			t.Errorf("%s listed twice", c.name)
		}
		seen[key] = true
		if c.kind == kindOzML && c.run != nil {
			t.Errorf("%s is OzML-only but has an HTTP implementation", c.name)
		}
	}
	for alias, canonical := range commandAliases {
		if alias != strings.ToLower(alias) || !seen[strings.ToLower(canonical)] || seen[alias] {
			t.Errorf("bad alias %s → %s", alias, canonical)
		}
	}
	// The reference's 39 names, plus five XE configuration commands.
	if len(commandTable) != 39+5 {
		t.Errorf("%d commands in the table, want 44", len(commandTable))
	}
	for _, code := range []Code{200, 300, 301, 302, 303, 304, 305, 306, 307, 401, 402, 501, 601, 701, 702, 703} {
		if _, ok := resultCodes[code]; !ok {
			t.Errorf("result code %d missing", code)
		}
	}
}

func TestResultMessages(t *testing.T) {
	tests := []struct {
		code Code
		args []string
		want string
	}{
		{CodeOK, nil, "Command successfully executed"},
		{CodeParseError, []string{"x"}, "Error occured during parsing message: 'x'"},
		{CodeInvalidParameter, []string{"CallId", "Hangup"}, "Missing or invalid parameter 'CallId' for command 'Hangup'"},
		{CodeInvalidParameter, []string{"{1}", "Hangup"}, "Missing or invalid parameter '{1}' for command 'Hangup'"},
		{CodeCallConnectFailed, []string{"104", "Busy"}, "Call connect to '104' failed with result state 'Busy'"},
		{CodeCallNotFound, []string{"g67th7"}, "Call not found with ID 'g67th7'"},
		{CodeCallNotFound, nil, "Call not found with ID ''"},
		{CodeForbiddenAddress, nil, "Use API from this address is forbidden"},
		{Code(999), nil, "Result code 999"},
	}
	for _, tc := range tests {
		if got := tc.code.Message(tc.args...); got != tc.want {
			t.Errorf("%d %q: %q, want %q", tc.code, tc.args, got, tc.want)
		}
	}
}

// TestConcurrentRequests runs logins, commands and user reloads at once
// (for the race detector).
func TestConcurrentRequests(t *testing.T) {
	r := newRig(t, nil)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			for range 15 {
				// Not r.get: t.Fatal belongs to the test's own goroutine.
				res, err := http.Get(r.srv.URL + "/api?command=ListActiveCalls" + appAuth)
				if err != nil {
					t.Error(err)
					return
				}
				var resp xmlResponse
				err = xml.NewDecoder(res.Body).Decode(&resp)
				res.Body.Close()
				if err != nil || resp.Code != 200 {
					t.Errorf("worker %d: code %d, %v", i, resp.Code, err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			r.h.SetUsers(testUsers)
		}
	})
	wg.Wait()
}
