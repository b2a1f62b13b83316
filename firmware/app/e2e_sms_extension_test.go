package app

import (
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/config"
)

// TestIncomingSMSToAPIExtension: with sms.incoming_extension naming an API
// extension, an SMS arriving at the simulated modem reaches that
// extension's application as an IncomingSMS signed with the extension's
// notify_secret, besides sms.incoming_url (unsigned).
func TestIncomingSMSToAPIExtension(t *testing.T) {
	t.Parallel()
	const secret = "extension-secret-0123456789"
	hook, posts := signingApp(t)
	cfg := apiExtConfig(t, map[string]string{"200": hook.URL + "/ext"})
	for i := range cfg.Extensions {
		if cfg.Extensions[i].Number == "200" {
			cfg.Extensions[i].NotifySecret = secret
		}
	}
	cfg.GSM = config.GSM{Device: config.GSMSimulated, Baud: 115200, HealthInterval: time.Minute, CommandTimeout: 5 * time.Second}
	cfg.SMS.IncomingURL = hook.URL + "/plain"
	cfg.SMS.IncomingExtension = "200"

	a := startTestApp(t, cfg)
	if err := a.svc.attachedModem().Sim.Receive("+36209998888", "to the extension"); err != nil {
		t.Fatal(err)
	}
	got := map[string]signedPost{}
	for len(got) < 2 {
		p := nextSigned(t, posts)
		got[p.path] = p
	}
	for path, secret := range map[string]string{"/ext": secret, "/plain": ""} {
		p, ok := got[path]
		if !ok {
			t.Fatalf("no IncomingSMS at %s (got %v)", path, got)
		}
		checkSigned(t, p, notify.IncomingSMS, secret)
		if p.form.Get("Message") != "to the extension" || p.form.Get("Sender") != "+36209998888" {
			t.Fatalf("%s form %v", path, p.form)
		}
	}
}
