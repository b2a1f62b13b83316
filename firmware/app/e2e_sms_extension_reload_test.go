package app

import (
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/config"
)

// TestIncomingSMSToAPIExtensionFollowsReload: a reload that changes the
// notify_secret and url of the sms.incoming_extension applies to the next
// IncomingSMS (extensions change at once on reload).
func TestIncomingSMSToAPIExtensionFollowsReload(t *testing.T) {
	t.Parallel()
	const before, after = "extension-secret-before-0123", "extension-secret-after-01234"
	hook, posts := signingApp(t)
	cfg := apiExtConfig(t, map[string]string{"200": hook.URL + "/before"})
	setExt := func(url, secret string) {
		for i := range cfg.Extensions {
			if cfg.Extensions[i].Number == "200" {
				cfg.Extensions[i].URL, cfg.Extensions[i].NotifySecret = url, secret
			}
		}
	}
	setExt(hook.URL+"/before", before)
	cfg.GSM = config.GSM{Device: config.GSMSimulated, Baud: 115200, HealthInterval: time.Minute, CommandTimeout: 5 * time.Second}
	cfg.SMS.IncomingExtension = "200"
	a := startTestApp(t, cfg)

	for _, step := range []struct{ path, secret, text string }{
		{"/before", before, "before the reload"},
		{"/after", after, "after the reload"},
	} {
		if step.path == "/after" {
			setExt(hook.URL+"/after", after)
			rewriteAPITestConfig(t, cfg)
			if err := a.Reload(); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.svc.attachedModem().Sim.Receive("+36209998888", step.text); err != nil {
			t.Fatal(err)
		}
		p := nextSigned(t, posts)
		if p.path != step.path || p.form.Get("Message") != step.text {
			t.Fatalf("IncomingSMS %q went to %s with %v, want %s", step.text, p.path, p.form, step.path)
		}
		checkSigned(t, p, notify.IncomingSMS, step.secret)
	}
}
