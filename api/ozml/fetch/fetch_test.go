package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/api/ozml"
)

// app is an application on loopback returning OzML.
func app(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func TestPostDtmfEntered(t *testing.T) {
	var got *http.Request
	var form url.Values
	s := app(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		form = r.PostForm
		io.WriteString(w, `<Response><Speak>You entered `+r.PostForm.Get("DtmfDigits")+`</Speak></Response>`)
	})
	c := &Client{}
	body, err := c.Post(t.Context(), s.URL+"/ivr/dtmf.php?AppLocation=x%20y", url.Values{
		"NotificationName": {"DtmfEntered"}, "DtmfDigits": {"1234"}, "CallId": {"Nt3uh"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/ivr/dtmf.php" || got.URL.Query().Get("AppLocation") != "x y" {
		t.Errorf("request %s %s", got.Method, got.URL)
	}
	for h, want := range map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cache-Control": "no-store,no-cache", "Pragma": "no-cache"} {
		if got.Header.Get(h) != want {
			t.Errorf("%s = %q", h, got.Header.Get(h))
		}
	}
	if form.Get("NotificationName") != "DtmfEntered" || form.Get("DtmfDigits") != "1234" || form.Get("CallId") != "Nt3uh" {
		t.Errorf("form %v", form)
	}
	doc, err := ozml.Parse(body, ozml.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Root.Children[0].Text != "You entered 1234" {
		t.Errorf("reply %q", body)
	}
}

func TestPostFailures(t *testing.T) {
	release := make(chan struct{}) // frees a stalled handler before its server closes
	defer close(release)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		client  Client
		check   func(error) bool
	}{
		{"non-2xx", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusInternalServerError) },
			Client{}, func(err error) bool { var se *StatusError; return errors.As(err, &se) && se.Code == 500 }},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			Client{}, func(err error) bool { var se *StatusError; return errors.As(err, &se) && se.Code == 404 }},
		{"too large", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strings.Repeat("x", 2000)) },
			Client{MaxBody: 1000}, func(err error) bool { return errors.Is(err, ErrTooLarge) }},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client going away
			select {
			case <-r.Context().Done():
			case <-release:
			}
		},
			Client{Timeout: 50 * time.Millisecond}, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := app(t, tc.handler)
			_, err := tc.client.Post(t.Context(), s.URL, url.Values{"NotificationName": {"GoTo"}})
			if err == nil || !tc.check(err) {
				t.Errorf("err = %v", err)
			}
		})
	}
	exact := app(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strings.Repeat("x", 1000)) })
	if b, err := (&Client{MaxBody: 1000}).Post(t.Context(), exact.URL, nil); err != nil || len(b) != 1000 {
		t.Errorf("body of exactly MaxBody: %d bytes, %v", len(b), err)
	}
	for _, bad := range []string{"ftp://127.0.0.1/x", "file:///etc/passwd", "/relative", "http://"} {
		if _, err := (&Client{}).Post(t.Context(), bad, nil); err == nil {
			t.Errorf("Post(%q) accepted", bad)
		}
	}
}

func TestLoader(t *testing.T) {
	dir := t.TempDir()
	scripts := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(filepath.Join(scripts, "ivr"), 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(scripts, "ivr", "menu.xml"), []byte(`<Response><Speak>menu</Speak></Response>`), 0o644))
	must(os.WriteFile(filepath.Join(scripts, "big.xml"), []byte(strings.Repeat(" ", 300)), 0o644))
	must(os.WriteFile(filepath.Join(dir, "secret.xml"), []byte(`<Response/>`), 0o644))
	must(os.Symlink(filepath.Join(dir, "secret.xml"), filepath.Join(scripts, "escape.xml")))
	must(os.Symlink("ivr/menu.xml", filepath.Join(scripts, "inside.xml")))
	s := app(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `<Response><Hangup/></Response>`) })
	l := &Loader{ScriptDir: scripts, MaxScript: 200}
	for _, ok := range []string{"ivr/menu.xml", "inside.xml", s.URL + "/x"} {
		if b, err := l.Fetch(t.Context(), ok, nil); err != nil || len(b) == 0 {
			t.Errorf("Fetch(%q) = %q, %v", ok, b, err)
		}
	}
	for _, bad := range []string{"../secret.xml", "escape.xml", "/etc/passwd", "ivr/../../secret.xml", "big.xml", "missing.xml", "ftp://127.0.0.1/x"} {
		if _, err := l.Fetch(t.Context(), bad, nil); err == nil {
			t.Errorf("Fetch(%q) accepted", bad)
		}
	}
	if _, err := (&Loader{}).Fetch(t.Context(), "menu.xml", nil); err == nil {
		t.Error("a script without ScriptDir accepted")
	}
}
