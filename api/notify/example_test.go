package notify_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
)

// An application checks that a notification came from its appliance:
// the MAC over the timestamp and the raw body must match its secret, and
// the timestamp must be recent.
func ExampleVerify() {
	secret := []byte("the notify_secret of the API user")
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // verify the raw bytes, before parsing
		sig := r.Header.Get(notify.SignatureHeader)
		if err := notify.Verify(secret, sig, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		form, _ := url.ParseQuery(string(body))
		fmt.Println(form.Get("NotificationName"), form.Get("CallId"), form.Get("Duration"))
	})

	// What the appliance sends: body and header.
	n := notify.Notification{Name: notify.CallFinished, CallID: "Nt3uh", Duration: 42 * time.Second}
	body := n.Encode()
	req := httptest.NewRequest(http.MethodPost, "/finished", strings.NewReader(string(body)))
	req.Header.Set(notify.SignatureHeader, notify.Sign(secret, time.Now(), body))
	app.ServeHTTP(httptest.NewRecorder(), req)
	// Output: CallFinished Nt3uh 42.000
}
