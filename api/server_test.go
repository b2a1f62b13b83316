package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type fixedStatus struct{}

func (fixedStatus) Status() Status { return Status{Version: "test", ActiveCalls: 2, Registrations: 3} }

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(New(Options{Status: fixedStatus{}}))
	defer srv.Close()
	tests := []struct {
		name, path, want, ctype string
	}{
		{"health", "/health", `"active_calls":2`, "application/json"},
		{"unknown command", "/api?command=Frobnicate", "<Code>301</Code>\n  <Message>Not implemented command: 'Frobnicate'</Message>", "application/xml"},
		{"case-insensitive name", "/api?COMMAND=Hold", "Not implemented command: 'Hold'", "application/xml"},
		{"missing command", "/api", "<Code>302</Code>", "application/xml"},
		{"legacy root", "/?command=Hold", "<Code>301</Code>", "application/xml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(string(b), tc.want) {
				t.Fatalf("got %d %q %s, want %q", res.StatusCode, res.Header.Get("Content-Type"), b, tc.want)
			}
		})
	}
}
