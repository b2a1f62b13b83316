package api

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The handler tests talk to the API the way a third-party application
// would: net/http requests and encoding/xml decoding of the answers.

// xmlResponse is the <Response> document as a client decodes it.
type xmlResponse struct {
	XMLName        xml.Name           `xml:"Response"`
	Code           int                `xml:"Code"`
	Message        string             `xml:"Message"`
	ActiveCalls    []xmlActiveCall    `xml:"ActiveCalls>Call"`
	TotalRecords   int                `xml:"TotalRecords"`
	CallHistory    []xmlHistoryCall   `xml:"CallHistory>Call"`
	Extensions     []xmlExtensionInfo `xml:"Extensions>ExtensionSummary"`
	ExtensionTypes []string           `xml:"ExtensionTypes>ExtensionType"`
}

type xmlActiveCall struct {
	CallId, Source, CallerId, Destination, CallerDialed, CalleeDialed string
	StartTime, RingDuration, TalkDuration, CallState                  string
}

type xmlHistoryCall struct {
	StartTime, Direction, Source, Destination, State, Dialed, CallerId, Type, CallId string
}

type xmlExtensionInfo struct {
	Id, PhoneNumber, Type, State string
}

// testUsers: "app" may do anything from anywhere; "viewer" may only list
// calls (the ACL names the XE alias of ListCallHistory); "remote" may only
// call from 10.0.0.0/8.
var testUsers = []User{
	{Name: "app", PasswordHash: fakeHash("app-secret")},
	{Name: "viewer", PasswordHash: fakeHash("view-secret"), AllowedCommands: []string{"listactivecalls", "GetCallHistory"}},
	{Name: "remote", PasswordHash: fakeHash("remote-secret"), AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
}

const appAuth = "&Username=app&Password=app-secret"

// fakeHash and fakeChecker stand in for PBKDF2: the api package sees only
// the hash string and the checker function.
func fakeHash(pw string) string { return "fake$" + pw }

type fakeChecker struct{ calls atomic.Int64 }

func (c *fakeChecker) check(hash, pw string) bool {
	c.calls.Add(1)
	return hash == fakeHash(pw)
}

// testNow is the handler's clock in every golden file.
var testNow = time.Date(2019, 4, 9, 10, 35, 0, 0, time.UTC)

type fakeCalls struct {
	mu      sync.Mutex
	calls   []CallInfo
	hungUp  []string
	control []string // call-control requests, see callcontrol_test.go
}

func (f *fakeCalls) ActiveCalls() []CallInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]CallInfo(nil), f.calls...)
}

func (f *fakeCalls) Hangup(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c.ID == id {
			f.hungUp = append(f.hungUp, id)
			return true
		}
	}
	return false
}

type fakeHistory []CallRecord

func (f fakeHistory) RecentCalls() []CallRecord { return append([]CallRecord(nil), f...) }

type fakeExtensions []ExtensionInfo

func (f fakeExtensions) Extensions() []ExtensionInfo { return append([]ExtensionInfo(nil), f...) }

// testCalls are three calls in progress, listed out of order.
func testCalls() []CallInfo {
	return []CallInfo{
		{ID: "Nt3uh", Caller: "101", CallerName: "Reception", Callee: "102", Dialed: "102", State: CallStateInCall,
			Start: testNow.Add(-93 * time.Second), Answer: testNow.Add(-89251 * time.Millisecond)},
		{ID: "aB9xy", Caller: "103", Callee: "101", Dialed: "101", State: CallStateRinging, Start: testNow.Add(-2500 * time.Millisecond)},
		{ID: "Zq2Wd", Caller: "102", Callee: "103", Dialed: "103", State: CallStateSetup, Start: testNow.Add(-120 * time.Millisecond)},
	}
}

// testHistory holds 30 finished calls, newest first.
func testHistory() fakeHistory {
	states := []string{"CallerHangUp", "CalleeHangUp", "Busy", "NoAnswer", "Hangup"}
	dirs := []string{DirectionInternal, DirectionInternal, DirectionInbound, DirectionOutbound}
	var h fakeHistory
	for i := 29; i >= 0; i-- {
		start := time.Date(2019, 4, 8, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 10 * time.Minute)
		h = append(h, CallRecord{
			ID: "c" + string(rune('A'+i%26)) + string(rune('a'+i/26)) + "00", Direction: dirs[i%len(dirs)],
			Caller: []string{"101", "102", "103"}[i%3], Callee: []string{"102", "103", "101"}[i%3],
			Dialed: []string{"102", "103", "101"}[i%3], State: states[i%len(states)],
			Start: start, End: start.Add(time.Minute),
		})
	}
	return h
}

func testExtensions() fakeExtensions {
	return fakeExtensions{
		{Number: "101", Type: ExtensionTypePhone, Connected: true},
		{Number: "102", Type: ExtensionTypePhone},
		{Number: "201", Type: ExtensionTypePhone, Connected: true},
		{Number: "800", Type: ExtensionTypeIVR, Connected: true},
		{Number: "801", Type: ExtensionTypeAPI, Connected: true},
	}
}

// rig is a handler on a test server with fakes behind it.
type rig struct {
	h       *Handler
	srv     *httptest.Server
	calls   *fakeCalls
	checker *fakeChecker
	logs    *syncBuffer
	now     atomic.Pointer[time.Time]
}

func newRig(t *testing.T, tune func(*Options)) *rig {
	t.Helper()
	r := &rig{calls: &fakeCalls{calls: testCalls()}, checker: &fakeChecker{}, logs: &syncBuffer{}}
	now := testNow
	r.now.Store(&now)
	o := Options{
		Logger:        slog.New(slog.NewTextHandler(r.logs, nil)),
		Calls:         r.calls,
		History:       testHistory(),
		Extensions:    testExtensions(),
		Users:         testUsers,
		CheckPassword: r.checker.check,
		Now:           func() time.Time { return *r.now.Load() },
		Location:      time.UTC,
	}
	if tune != nil {
		tune(&o)
	}
	r.h = New(o)
	r.srv = httptest.NewServer(r.h)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) advance(d time.Duration) {
	now := r.now.Load().Add(d)
	r.now.Store(&now)
}

// get sends GET path?query and returns the raw body after checking the
// transport-level promises: HTTP 200 and application/xml.
func (r *rig) get(t *testing.T, pathAndQuery string) []byte {
	t.Helper()
	res, err := http.Get(r.srv.URL + pathAndQuery)
	if err != nil {
		t.Fatal(err)
	}
	return readAPIBody(t, res)
}

// post sends a form body to path.
func (r *rig) post(t *testing.T, path, contentType, body string) []byte {
	t.Helper()
	res, err := http.Post(r.srv.URL+path, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return readAPIBody(t, res)
}

func readAPIBody(t *testing.T, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/xml" {
		t.Fatalf("HTTP %d, Content-Type %q; want 200 application/xml\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	return body
}

func decode(t *testing.T, body []byte) xmlResponse {
	t.Helper()
	var resp xmlResponse
	if err := xml.Unmarshal(body, &resp); err != nil {
		t.Fatalf("response is not XML: %v\n%s", err, body)
	}
	return resp
}

// checkGolden compares body with testdata/name.xml (rewritten with -update).
func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".xml")
	if *update {
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(body, want) {
		t.Fatalf("body differs from %s:\n--- got\n%s\n--- want\n%s", path, body, want)
	}
}

// syncBuffer collects log output from the handler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// query builds an encoded query string from name/value pairs.
func query(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pairs[i]) + "=" + url.QueryEscape(pairs[i+1]))
	}
	return b.String()
}

// commandCase is one row of a command table test: a query sent to a rig
// with the fake core, the result code (and message, and golden body) it
// must get, and the one request the core must have been asked ("" for
// none).
type commandCase struct {
	name, query string
	wantCode    int
	wantMsg     string
	golden      string
	wantLog     string
}

// runCommandCases runs each case as a parallel subtest on its own rig.
func runCommandCases(t *testing.T, tests []commandCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, nil)
			body := r.get(t, "/api?"+tc.query+appAuth)
			resp := decode(t, body)
			if resp.Code != tc.wantCode || (tc.wantMsg != "" && resp.Message != tc.wantMsg) {
				t.Fatalf("code %d %q, want %d %q", resp.Code, resp.Message, tc.wantCode, tc.wantMsg)
			}
			if tc.golden != "" {
				checkGolden(t, tc.golden, body)
			}
			log := r.calls.controlLog()
			switch {
			case tc.wantLog == "" && len(log) != 0:
				t.Fatalf("core asked %q", log)
			case tc.wantLog != "" && (len(log) != 1 || log[0] != tc.wantLog):
				t.Fatalf("core asked %q, want %q", log, tc.wantLog)
			}
		})
	}
}
