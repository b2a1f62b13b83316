package fetch

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
)

// TestPostSigned: with a Secret, the OzML request carries the same
// X-Gatepbx-Signature as api/notify's notifications, over the raw body
// the application reads; a Secret that answers nil leaves it unsigned.
func TestPostSigned(t *testing.T) {
	type seen struct {
		sig  string
		body []byte
	}
	got := make(chan seen, 1)
	s := app(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Get(notify.SignatureHeader), b}
		io.WriteString(w, `<Response><Hangup/></Response>`)
	})
	key := []byte("a-notify-secret-of-32-characters")
	at := time.Unix(1554806100, 0)
	form := url.Values{"NotificationName": {"CallConnected"}, "CallId": {"Nt3uh"}, "ApiExtension": {"200"}}
	for _, tc := range []struct {
		name   string
		secret func(string, url.Values) []byte
		signed bool
	}{
		{"no Secret", nil, false},
		{"Secret answers nil", func(string, url.Values) []byte { return nil }, false},
		{"signed for the call", func(target string, f url.Values) []byte {
			if f.Get("CallId") != "Nt3uh" || target != s.URL+"/connected?app=1" {
				t.Errorf("Secret asked about %s %v", target, f)
			}
			return key
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{Secret: tc.secret, Now: func() time.Time { return at }}
			if _, err := c.Post(t.Context(), s.URL+"/connected?app=1", form); err != nil {
				t.Fatal(err)
			}
			p := <-got
			if !tc.signed {
				if p.sig != "" {
					t.Fatalf("signed: %q", p.sig)
				}
				return
			}
			if err := notify.Verify(key, p.sig, p.body, at.Add(time.Minute), 5*time.Minute); err != nil {
				t.Fatalf("signature %q over %q: %v", p.sig, p.body, err)
			}
			if err := notify.Verify([]byte("another-secret-of-enough-length"), p.sig, p.body, at, 0); !errors.Is(err, notify.ErrBadSignature) {
				t.Fatalf("verifies with another key: %v", err)
			}
		})
	}
}
