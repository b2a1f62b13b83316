package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// received is one request as the application's server saw it.
type received struct {
	method, rawQuery, path string
	header                 http.Header
	body                   []byte
}

// appServer is an application on loopback that records notifications and
// answers with the statuses in script (then 200).
type appServer struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	script []int
	answer string
}

func newAppServer(t *testing.T, script ...int) *appServer {
	t.Helper()
	a := &appServer{script: script, answer: "<Response><Hangup/></Response>"}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.got = append(a.got, received{r.Method, r.URL.RawQuery, r.URL.Path, r.Header.Clone(), body})
		status := http.StatusOK
		if len(a.script) > 0 {
			status, a.script = a.script[0], a.script[1:]
		}
		a.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, a.answer)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *appServer) requests() []received {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]received(nil), a.got...)
}

// syncBuffer collects log output from the workers.
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

// waits records the backoff waits instead of waiting.
type waits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.ds = append(w.ds, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) list() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}

var testNow = time.Date(2019, 4, 9, 10, 35, 0, 0, time.UTC)

// newTestClient makes a client with recorded waits and captured logs, and
// closes it at the end of the test.
func newTestClient(t *testing.T, tune func(*Options)) (*Client, *waits, *syncBuffer) {
	t.Helper()
	w, logs := &waits{}, &syncBuffer{}
	o := Options{
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Wait:   w.wait,
		Now:    func() time.Time { return testNow },
	}
	if tune != nil {
		tune(&o)
	}
	c := New(o)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c, w, logs
}

func closeClient(t *testing.T, c *Client) {
	t.Helper()
	if err := c.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func testCall(name Name, u string) Notification {
	return Notification{
		Name: name, URL: u, CallID: "Nt3uh", Caller: "101", CallerID: "101", CallerDisplayName: "John Smith",
		Callee: "102", Dialed: "102", APIExtension: "", CallState: "Completed",
		Duration: 89251 * time.Millisecond, RecordURL: "http://pbx:9509/records/Nt3uh.wav",
		DtmfDigits: "12#", ErrorMessage: "Busy",
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	base := "NotificationName=%s&CallId=Nt3uh&Caller=101&CallerId=101&CallerDisplayName=John+Smith&Callee=102&Dialed=102&ApiExtension=&CallState=Completed"
	tests := []struct {
		name  Name
		extra string
	}{
		{IncomingCall, ""},
		{CallConnected, ""},
		{CallChanged, ""},
		{CallFinished, "&Duration=89.251"},
		{CallError, "&ErrorMessage=Busy"},
		{RecordCompleted, "&Duration=89.251&RecordURL=http%3A%2F%2Fpbx%3A9509%2Frecords%2FNt3uh.wav&DtmfDigits=12%23"},
		{DtmfEntered, "&DtmfDigits=12%23"},
		{GoTo, ""},
	}
	app := newAppServer(t)
	c, _, _ := newTestClient(t, nil)
	for _, tt := range tests {
		if err := c.Send(testCall(tt.name, app.URL+"/ozml")); err != nil {
			t.Fatalf("Send(%s): %v", tt.name, err)
		}
	}
	closeClient(t, c)
	got := app.requests()
	if len(got) != len(tests) {
		t.Fatalf("%d requests, want %d", len(got), len(tests))
	}
	bodies := map[string]bool{}
	for _, r := range got {
		bodies[string(r.body)] = true
		form, err := url.ParseQuery(string(r.body))
		if err != nil || form.Get("CallerDisplayName") != "John Smith" {
			t.Errorf("body %q does not decode as a form: %v", r.body, err)
		}
	}
	for _, tt := range tests {
		want := strings.Replace(base, "%s", string(tt.name), 1) + tt.extra
		if !bodies[want] {
			t.Errorf("no request with body\n%s\ngot %v", want, bodies)
		}
	}
	if st := c.Stats(); st.Queued != 8 || st.Delivered != 8 || st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestHeadersAndQueryKept(t *testing.T) {
	t.Parallel()
	app := newAppServer(t)
	c, _, _ := newTestClient(t, nil)
	const query = "AppLocation=a%2Fb%20c&AppDate=2019-04-09+10%3A00&flag&x=%E2%98%8E"
	answer, err := c.Do(context.Background(), testCall(CallConnected, app.URL+"/callconnected.php?"+query))
	if err != nil {
		t.Fatal(err)
	}
	if string(answer) != app.answer {
		t.Errorf("answer %q, want %q", answer, app.answer)
	}
	r := app.requests()[0]
	checks := []struct{ what, got, want string }{
		{"method", r.method, http.MethodPost},
		{"path", r.path, "/callconnected.php"},
		{"query", r.rawQuery, query},
		{"Content-Type", r.header.Get("Content-Type"), "application/x-www-form-urlencoded"},
		{"Cache-Control", r.header.Get("Cache-Control"), "no-store,no-cache"},
		{"Pragma", r.header.Get("Pragma"), "no-cache"},
		{"User-Agent", r.header.Get("User-Agent"), "gatepbx"},
		{SignatureHeader, r.header.Get(SignatureHeader), ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.what, ch.got, ch.want)
		}
	}
	if bytes.Contains(r.body, []byte("AppLocation")) {
		t.Errorf("query fields copied into the body: %s", r.body)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		script    []int
		delivered bool
		requests  int
		waits     []time.Duration
	}{
		{"ok", nil, true, 1, nil},
		{"503 then ok", []int{503, 503}, true, 3, []time.Duration{time.Second, 2 * time.Second}},
		{"429 then ok", []int{429}, true, 2, []time.Duration{time.Second}},
		{"500 every time", []int{500, 502, 504}, false, 3, []time.Duration{time.Second, 2 * time.Second}},
		{"404 is final", []int{404}, false, 1, nil},
		{"redirect not followed", []int{302}, false, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := newAppServer(t, tt.script...)
			c, w, logs := newTestClient(t, nil)
			if err := c.Send(testCall(CallFinished, app.URL)); err != nil {
				t.Fatal(err)
			}
			closeClient(t, c)
			st := c.Stats()
			if (st.Delivered == 1) != tt.delivered || (st.Failed == 1) == tt.delivered {
				t.Errorf("stats %+v, delivered %v", st, tt.delivered)
			}
			if n := len(app.requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if got := w.list(); !equalDurations(got, tt.waits) {
				t.Errorf("waits %v, want %v", got, tt.waits)
			}
			if !tt.delivered {
				last := tt.script[len(tt.script)-1]
				for _, s := range []string{"delivery failed", "status=" + strconv.Itoa(last), "url=" + app.URL} {
					if !strings.Contains(logs.String(), s) {
						t.Errorf("log lacks %q:\n%s", s, logs)
					}
				}
			}
		})
	}
}

func TestBackoffCapped(t *testing.T) {
	t.Parallel()
	app := newAppServer(t, 500, 500, 500, 500, 500)
	c, w, _ := newTestClient(t, func(o *Options) {
		o.Attempts, o.Backoff, o.MaxBackoff = 5, 10*time.Second, 25*time.Second
	})
	_, err := c.Do(context.Background(), testCall(CallFinished, app.URL))
	if se, ok := errors.AsType[*StatusError](err); !ok || se.Code != 500 {
		t.Fatalf("Do: %v, want HTTP status 500", err)
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 25 * time.Second, 25 * time.Second}
	if got := w.list(); !equalDurations(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if st := c.Stats(); st.Retries != 4 || st.Failed != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := "http://" + ln.Addr().String() + "/finished"
	ln.Close() // nothing listens there now
	c, w, logs := newTestClient(t, nil)
	if err := c.Send(testCall(CallFinished, target)); err != nil {
		t.Fatal(err)
	}
	closeClient(t, c)
	if st := c.Stats(); st.Failed != 1 || st.Retries != 2 {
		t.Errorf("stats %+v, want 1 failed after 2 retries", st)
	}
	if len(w.list()) != 2 {
		t.Errorf("waits %v", w.list())
	}
	for _, s := range []string{"delivery failed", "url=" + target, "status=0", "refused"} {
		if !strings.Contains(logs.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, logs)
		}
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	hung := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hung:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hung) })
	c, _, logs := newTestClient(t, func(o *Options) { o.Timeout, o.Attempts = 50*time.Millisecond, 2 })
	_, err := c.Do(context.Background(), testCall(IncomingCall, srv.URL))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do: %v, want a deadline error", err)
	}
	if st := c.Stats(); st.Retries != 1 || st.Failed != 1 {
		t.Errorf("stats %+v", st)
	}
	if !strings.Contains(logs.String(), "delivery failed") {
		t.Errorf("failure not logged:\n%s", logs)
	}
}

func TestQueueFull(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}, 4), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	t.Cleanup(srv.Close)
	c, _, logs := newTestClient(t, func(o *Options) { o.QueueSize, o.Workers = 1, 1 })
	n := testCall(CallFinished, srv.URL)
	if err := c.Send(n); err != nil {
		t.Fatal(err)
	}
	<-entered // the worker is busy with the first
	if err := c.Send(n); err != nil {
		t.Fatalf("second Send: %v (the queue has room for one)", err)
	}
	for range 3 {
		if err := c.Send(n); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("Send on a full queue: %v, want ErrQueueFull", err)
		}
	}
	close(release)
	closeClient(t, c)
	if st := c.Stats(); st.Queued != 2 || st.Delivered != 2 || st.Dropped != 3 {
		t.Errorf("stats %+v", st)
	}
	// Drops 1 and 2 are logged, 3 is not (powers of two only).
	if got := strings.Count(logs.String(), "queue full"); got != 2 {
		t.Errorf("%d drop log lines, want 2:\n%s", got, logs)
	}
}

func TestBadURL(t *testing.T) {
	t.Parallel()
	c, _, _ := newTestClient(t, nil)
	for _, u := range []string{"", "/relative", "ftp://host/x", "file:///etc/passwd", "javascript:alert(1)",
		"http://", "http://host/\nx", "http://host/%zz", "http://" + strings.Repeat("a", MaxURLBytes)} {
		if err := c.Send(Notification{Name: CallFinished, URL: u}); !errors.Is(err, ErrBadURL) {
			t.Errorf("Send(%q) = %v, want ErrBadURL", u, err)
		}
	}
	if err := c.Send(Notification{URL: "http://127.0.0.1/"}); err == nil {
		t.Error("a notification without a name was accepted")
	}
	if st := c.Stats(); st.Queued != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestLogsNoCredentials(t *testing.T) {
	t.Parallel()
	app := newAppServer(t, 500)
	c, _, logs := newTestClient(t, func(o *Options) { o.Attempts = 1 })
	u, _ := url.Parse(app.URL)
	u.User = url.UserPassword("appuser", "pa55word")
	u.Path, u.RawQuery = "/hook", "token=s3cret"
	if err := c.Send(testCall(CallFinished, u.String())); err != nil {
		t.Fatal(err)
	}
	closeClient(t, c)
	r := app.requests()[0]
	if user, pass, ok := basicAuth(r.header); !ok || user != "appuser" || pass != "pa55word" {
		t.Errorf("userinfo not sent as Basic auth: %q %q %v", user, pass, ok)
	}
	if r.rawQuery != "token=s3cret" {
		t.Errorf("query %q", r.rawQuery)
	}
	out := logs.String()
	for _, secret := range []string{"pa55word", "appuser", "s3cret"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "url="+app.URL+"/hook?redacted") || !strings.Contains(out, "status=500") {
		t.Errorf("log lacks the URL or status:\n%s", out)
	}
}

func basicAuth(h http.Header) (string, string, bool) {
	r := &http.Request{Header: h}
	return r.BasicAuth()
}

func TestSignedRequestVerifies(t *testing.T) {
	t.Parallel()
	app := newAppServer(t, 503)
	secret := []byte("0123456789abcdef0123456789abcdef")
	c, _, _ := newTestClient(t, nil)
	n := testCall(RecordCompleted, app.URL)
	n.Secret = secret
	if _, err := c.Do(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	got := app.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2 (one retry)", len(got))
	}
	for _, r := range got {
		sig := r.header.Get(SignatureHeader)
		if !strings.HasPrefix(sig, "t=1554806100,v1=") {
			t.Errorf("signature header %q", sig)
		}
		if err := Verify(secret, sig, r.body, testNow, 5*time.Minute); err != nil {
			t.Errorf("Verify: %v", err)
		}
		if err := Verify([]byte("another secret"), sig, r.body, testNow, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Errorf("Verify with the wrong secret: %v", err)
		}
		tampered := bytes.Replace(r.body, []byte("Caller=101"), []byte("Caller=999"), 1)
		if err := Verify(secret, sig, tampered, testNow, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Errorf("Verify of a changed body: %v", err)
		}
		if err := Verify(secret, sig, r.body, testNow.Add(6*time.Minute), 5*time.Minute); !errors.Is(err, ErrStale) {
			t.Errorf("Verify of an old request: %v", err)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	secret, body := []byte("k"), []byte("NotificationName=CallFinished")
	good := Sign(secret, testNow, body)
	v1 := good[strings.Index(good, "v1="):]
	tests := []struct {
		header string
		want   error
	}{
		{good, nil},
		{good + ",v0=abc,x=y", nil},
		{"v1=00," + good, ErrBadSignature}, // a v1 that is no MAC spoils the header
		{"", ErrNoSignature},
		{"t=1554806100", ErrNoSignature},
		{v1, ErrBadSignature},
		{"t=abc," + v1, ErrBadSignature},
		{"t=+1554806100," + v1, ErrBadSignature},
		{"t=1,t=2," + v1, ErrBadSignature},
		{"t=1554806100,v1=zz", ErrBadSignature},
		{"garbage", ErrBadSignature},
		{good + "," + strings.Repeat("x=y,", 300), ErrBadSignature},
	}
	for _, tt := range tests {
		err := Verify(secret, tt.header, body, testNow, time.Minute)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("Verify(%q) = %v, want %v", tt.header, err, tt.want)
		}
	}
}

func TestCloseLeavesNothingRunning(t *testing.T) {
	app := newAppServer(t)
	c, _, _ := newTestClient(t, func(o *Options) { o.Workers = 4 })
	for range 10 {
		if err := c.Send(testCall(CallFinished, app.URL)); err != nil {
			t.Fatal(err)
		}
	}
	closeClient(t, c)
	if st := c.Stats(); st.Delivered != 10 {
		t.Errorf("Close did not deliver the queue: %+v", st)
	}
	if n := workersOf(c); n != 0 {
		t.Errorf("%d workers still running after Close", n)
	}
	if err := c.Send(testCall(CallFinished, app.URL)); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if _, err := c.Do(context.Background(), testCall(CallFinished, app.URL)); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close: %v", err)
	}
	closeClient(t, c) // a second Close is harmless
}

func TestCloseGivesUp(t *testing.T) {
	entered, release := make(chan struct{}, 8), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c, _, logs := newTestClient(t, func(o *Options) { o.Workers, o.Timeout = 1, time.Hour })
	for range 3 {
		if err := c.Send(testCall(CallFinished, srv.URL)); err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close = %v, want context.Canceled", err)
	}
	if st := c.Stats(); st.Failed != 1 || st.Abandoned != 2 {
		t.Errorf("stats %+v, want 1 failed (in flight) and 2 abandoned", st)
	}
	if workersOf(c) != 0 {
		t.Error("workers still running")
	}
	if !strings.Contains(logs.String(), "abandoned=2") {
		t.Errorf("abandoned notifications not logged:\n%s", logs)
	}
}

// workersOf counts the goroutines running Client.work. The tests that
// use it are not parallel, so no other test's workers are running.
func workersOf(*Client) int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Count(buf, []byte("notify.(*Client).work("))
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkSend measures what a call's goroutine pays to hand over a
// notification: checking the URL, encoding and queueing (the queue is
// drained by an application that answers at once).
func BenchmarkSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	c := New(Options{Logger: slog.New(slog.DiscardHandler), QueueSize: 1 << 16})
	n := testCall(CallFinished, srv.URL+"/finished?app=1")
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Send(n); err != nil && !errors.Is(err, ErrQueueFull) {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = c.Close(context.Background())
}
