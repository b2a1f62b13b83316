package messaging

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/gatepbx/gatepbx/api/notify"
)

// refusingNotifier fails every Send, as a full notification queue does.
type refusingNotifier struct{}

func (refusingNotifier) Send(notify.Notification) error { return errors.New("notify: queue full") }

// TestIncomingFailureLogHidesURLSecrets: a webhook URL's userinfo and
// query (tokens) stay out of the log when IncomingSMS cannot be sent.
func TestIncomingFailureLogHidesURLSecrets(t *testing.T) {
	tests := []struct{ name, incomingURL, extensionURL string }{
		{"incoming_url", "http://user:pa55word@127.0.0.1:1/in?token=s3cr3t", ""},
		{"incoming_extension", "", "http://user:pa55word@127.0.0.1:1/ext?token=s3cr3t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			u := newUnitRig(t, func(o *Options) {
				o.IncomingURL = tt.incomingURL
				o.IncomingExtension = func() IncomingHook { return IncomingHook{URL: tt.extensionURL} }
				o.Notifier = refusingNotifier{}
				o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			if err := u.r.SIPMessage("101", "200", "hello"); err != nil {
				t.Fatal(err)
			}
			out := logs.String()
			if !strings.Contains(out, "IncomingSMS not sent") {
				t.Fatalf("no failure logged:\n%s", out)
			}
			for _, secret := range []string{"pa55word", "s3cr3t"} {
				if strings.Contains(out, secret) {
					t.Errorf("log reveals %q:\n%s", secret, out)
				}
			}
		})
	}
}
