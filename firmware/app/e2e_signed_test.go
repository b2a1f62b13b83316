package app

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// The API user with a notify_secret in the signing tests.
const (
	signerUser, signerPassword = "signer", "signer-password-1"
	signerSecret               = "a-notify-secret-of-32-characters"
)

// signedPost is one notification as the signing application got it.
type signedPost struct {
	path, signature string
	body            []byte
	form            url.Values
}

// signingApp is a loopback application that keeps every notification
// with its raw body and signature header, answering 200.
func signingApp(t *testing.T) (*httptest.Server, <-chan signedPost) {
	t.Helper()
	posts := make(chan signedPost, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		form, perr := url.ParseQuery(string(body))
		if err != nil || perr != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		select {
		case posts <- signedPost{path: r.URL.Path, signature: r.Header.Get(notify.SignatureHeader), body: body, form: form}:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv, posts
}

// nextSigned waits for the next notification.
func nextSigned(t *testing.T, posts <-chan signedPost) signedPost {
	t.Helper()
	select {
	case p := <-posts:
		return p
	case <-time.After(30 * time.Second): // guards against a hang only
		t.Fatal("no notification reached the application")
	}
	return signedPost{}
}

// checkSigned checks that p is notification name and carries a valid
// signature made with secret, or none at all when secret is "".
func checkSigned(t *testing.T, p signedPost, name notify.Name, secret string) {
	t.Helper()
	if got := p.form.Get("NotificationName"); got != string(name) {
		t.Fatalf("got %s (%s), want %s", got, p.path, name)
	}
	if secret == "" {
		if p.signature != "" {
			t.Fatalf("%s signed (%q) for a user without notify_secret", name, p.signature)
		}
		return
	}
	if err := notify.Verify([]byte(secret), p.signature, p.body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("%s signature %q: %v", name, p.signature, err)
	}
	if err := notify.Verify([]byte("another-secret-of-enough-length"), p.signature, p.body, time.Now(), 0); !errors.Is(err, notify.ErrBadSignature) {
		t.Fatalf("%s verifies with the wrong secret: %v", name, err)
	}
}

// signingConfig is apiExtConfig (API extension 200) with a second API
// user that has a notify_secret.
func signingConfig(t *testing.T, incoming string) config.Config {
	t.Helper()
	cfg := apiExtConfig(t, map[string]string{"200": incoming})
	cfg.API.Users = append(cfg.API.Users, config.APIUser{
		Username: signerUser, PasswordHash: mustHashAPIPassword(t, signerPassword), NotifySecret: signerSecret,
	})
	return cfg
}

// TestSignedErrorURL: a Call's ErrorUrl (CallError) and a CallSetup's
// are signed with the notify_secret of the API user who placed them;
// the same Call by a user without a secret is not signed.
func TestSignedErrorURL(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	srv, posts := signingApp(t)
	a := startTestApp(t, signingConfig(t, srv.URL+"/incoming"))
	for _, u := range []struct{ user, password, secret string }{
		{signerUser, signerPassword, signerSecret},
		{apiTestUser, apiTestPassword, ""},
	} {
		r := apiGet(t, a, "command", "Call", "Dialed", "103", "ApiExtension", "200", "ResponseOzML", "<Response><Hangup/></Response>",
			"ErrorUrl", srv.URL+"/error", "Username", u.user, "Password", u.password)
		if r.Code != 200 {
			t.Fatalf("Call by %s: %d %q", u.user, r.Code, r.Message)
		}
		checkSigned(t, nextSigned(t, posts), notify.CallError, u.secret)
	}

	busy := phone(t, a, "101", "uas_busy.xml", "", map[string]string{}, false)
	if r := apiGet(t, a, "command", "CallSetup", "Caller", "101", "Callee", "102", "ErrorUrl", srv.URL+"/error",
		"Username", signerUser, "Password", signerPassword); r.Code != 200 {
		t.Fatalf("CallSetup: %d %q", r.Code, r.Message)
	}
	checkSigned(t, nextSigned(t, posts), notify.CallError, signerSecret)
	if err := busy.Wait(); err != nil {
		t.Fatalf("101: %v", err)
	}
}

// TestSignedRecordAndTransfer: on a call from 101 to 102, a Record's
// RecordCompleted and a BlindTransfer's CallFinished (after 103 took
// 101's place and hung up) are signed for the API user who asked.
func TestSignedRecordAndTransfer(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	srv, posts := signingApp(t)
	a := startTestApp(t, signingConfig(t, srv.URL+"/incoming"))
	transferee := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	transferor := caller(t, a, "uac_call.xml", "hangup_wait.part", "102", map[string]string{})
	target := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "2000"}, false)
	id := waitInCall(t, a).CallId
	as := []string{"Username", signerUser, "Password", signerPassword}

	if r := apiGet(t, a, append([]string{"command", "Record", "CallId", id, "Format", "wav", "Duration", "1", "FinishedUrl", srv.URL + "/rec"}, as...)...); r.Code != 200 {
		t.Fatalf("Record: %d %q", r.Code, r.Message)
	}
	checkSigned(t, nextSigned(t, posts), notify.RecordCompleted, signerSecret)

	if r := apiGet(t, a, append([]string{"command", "BlindTransfer", "CallId", id, "TransferorParty", "caller", "Target", "103",
		"FinishedUrl", srv.URL + "/finished"}, as...)...); r.Code != 200 {
		t.Fatalf("BlindTransfer: %d %q", r.Code, r.Message)
	}
	waitBoth(t, transferor, transferee)
	if err := target.Wait(); err != nil {
		t.Fatalf("target: %v", err)
	}
	p := nextSigned(t, posts)
	checkSigned(t, p, notify.CallFinished, signerSecret)
	if p.form.Get("CallId") != id || p.form.Get("Caller") != "103" {
		t.Fatalf("CallFinished %v", p.form)
	}
}

// TestSignedOzMLRequests: the requests whose answer is OzML are signed
// too. A Call's CallConnected to its Url is signed for the API user who
// placed it when that user has a notify_secret, else with the API
// extension's own notify_secret; an IncomingCall to the extension's url
// with the extension's. (Each application answers with an empty body:
// the script ends, 480 to a caller.)
func TestSignedOzMLRequests(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	const extSecret = "the-extension-200-notify-secret!"
	srv, posts := signingApp(t)
	cfg := signingConfig(t, srv.URL+"/incoming")
	for i := range cfg.Extensions {
		if cfg.Extensions[i].Number == "200" {
			cfg.Extensions[i].NotifySecret = extSecret
		}
	}
	a := startTestApp(t, cfg)

	for _, u := range []struct{ user, password, secret string }{
		{signerUser, signerPassword, signerSecret},
		{apiTestUser, apiTestPassword, extSecret},
	} {
		answerer := phone(t, a, "103", "uas_answer.xml", "uas_wait.part", map[string]string{}, false)
		r := apiGet(t, a, "command", "Call", "Dialed", "103", "ApiExtension", "200", "Url", srv.URL+"/connected?app=1",
			"Username", u.user, "Password", u.password)
		if r.Code != 200 {
			t.Fatalf("Call by %s: %d %q", u.user, r.Code, r.Message)
		}
		p := nextSigned(t, posts)
		checkSigned(t, p, notify.CallConnected, u.secret)
		if p.path != "/connected" || p.form.Get("ApiExtension") != "200" {
			t.Fatalf("CallConnected by %s: %s %v", u.user, p.path, p.form)
		}
		if err := answerer.Wait(); err != nil {
			t.Fatalf("103 (Call by %s): %v", u.user, err)
		}
	}

	c := caller(t, a, "uac_fail.xml", "", "200", map[string]string{"CODE": "480"})
	p := nextSigned(t, posts)
	checkSigned(t, p, notify.IncomingCall, extSecret)
	if p.path != "/incoming" {
		t.Fatalf("IncomingCall at %s", p.path)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("101: %v", err)
	}
}
