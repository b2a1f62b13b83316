package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// benchHandler serves ListActiveCalls over 100 calls in progress, with the
// caller's login already verified (the steady state of a polling client).
func benchHandler(b *testing.B) (*Handler, string) {
	b.Helper()
	calls := &fakeCalls{}
	for i := range 100 {
		c := CallInfo{ID: fmt.Sprintf("c%04d", i), Caller: fmt.Sprint(100 + i%50), CallerName: "Phone", Callee: fmt.Sprint(200 + i%50),
			Dialed: fmt.Sprint(200 + i%50), State: CallStateInCall, Start: testNow.Add(-time.Duration(i) * time.Minute)}
		c.Answer = c.Start.Add(3 * time.Second)
		calls.calls = append(calls.calls, c)
	}
	h := New(Options{Calls: calls, Users: testUsers, CheckPassword: (&fakeChecker{}).check, Now: func() time.Time { return testNow }, Location: time.UTC})
	const target = "/api?command=ListActiveCalls&Username=app&Password=app-secret"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	if rec.Code != 200 || len(rec.Body.Bytes()) < 100*300 {
		b.Fatalf("warm-up request: %d %.200s", rec.Code, rec.Body.Bytes())
	}
	return h, target
}

// BenchmarkListActiveCalls measures the handler itself: parsing, cached
// authentication, the snapshot and the XML of 100 calls.
func BenchmarkListActiveCalls(b *testing.B) {
	h, target := benchHandler(b)
	req := httptest.NewRequest(http.MethodGet, target, nil)
	w := &discardResponse{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkListActiveCallsHTTP measures what a client sees over loopback
// with keep-alive: requests per second and the 99th-percentile latency.
func BenchmarkListActiveCallsHTTP(b *testing.B) {
	h, target := benchHandler(b)
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	var latencies []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		res, err := client.Get(srv.URL + target)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		latencies = append(latencies, time.Since(start))
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}

// discardResponse is a ResponseWriter that keeps nothing, so the
// benchmark measures the handler rather than a recorder's buffer.
type discardResponse struct{ header http.Header }

func (d *discardResponse) Header() http.Header         { return d.header }
func (d *discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardResponse) WriteHeader(int)             {}
