package app

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// envelope is the reference's <Response> with code and message, byte for
// byte as ../shared/ozml-api.md section 1 shows it.
func envelope(code, message string) string {
	return `<?xml version="1.0"?>` + "\n" +
		`<Response xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` + "\n" +
		"  <Code>" + code + "</Code>\n" +
		"  <Message>" + message + "</Message>\n" +
		"</Response>"
}

// rawAPI sends one request as a third-party client would (net/http only)
// and returns the body, checking HTTP 200 and the XML content type.
func rawAPI(t *testing.T, req *http.Request) string {
	t.Helper()
	res, err := (&http.Client{Timeout: apiTimeout}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("%s %s: HTTP %d %q", req.Method, req.URL, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return string(body)
}

// TestAPISeedExample: the seed request, word for word, against
// the running firmware with the seed's API user (HTTP_User_1/qwe123).
// Without a call Nt3uh it answers the 601 body byte for byte, by GET on
// /api and by form POST on / (older clients); on a real call 101→102
// (its own CallId, target 103 answering) the documented success body.
func TestAPISeedExample(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := apiTestConfig(t)
	cfg.API.Users = []config.APIUser{{Username: "HTTP_User_1", PasswordHash: mustHashAPIPassword(t, "qwe123")}}
	a := startTestApp(t, cfg)
	base := "http://" + a.APIAddr()
	const seed = "command=BlindTransfer&CallId=Nt3uh&TransferorParty=caller&Target=104&Username=HTTP_User_1&Password=qwe123"

	notFound := envelope("601", "Call not found with ID 'Nt3uh'")
	get, err := http.NewRequest(http.MethodGet, base+"/api?"+seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := rawAPI(t, get); got != notFound {
		t.Fatalf("GET seed without the call:\n%s\nwant\n%s", got, notFound)
	}
	post, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if got := rawAPI(t, post); got != notFound {
		t.Fatalf("POST seed without the call:\n%s", got)
	}

	transferee := callee(t, a, "uas_answer.xml", "uas_wait.part", 0)
	transferor := caller(t, a, "uac_call.xml", "hangup_wait.part", "102", map[string]string{})
	target := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "1000"}, false)
	var id string
	waitFor(t, "the call InCall", func() bool {
		r := apiGet(t, a, "command", "ListActiveCalls", "Username", "HTTP_User_1", "Password", "qwe123")
		if r.Code != 200 {
			t.Fatalf("ListActiveCalls: %+v", r)
		}
		if len(r.ActiveCalls) == 1 && r.ActiveCalls[0].CallState == "InCall" {
			id = r.ActiveCalls[0].CallId
		}
		return id != ""
	})
	q := strings.NewReplacer("CallId=Nt3uh", "CallId="+url.QueryEscape(id), "Target=104", "Target=103").Replace(seed)
	get, err = http.NewRequest(http.MethodGet, base+"/api?"+q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rawAPI(t, get), envelope("200", "Command successfully executed"); got != want {
		t.Fatalf("seed on a call:\n%s\nwant\n%s", got, want)
	}
	waitBoth(t, transferor, transferee)
	if err := target.Wait(); err != nil {
		t.Fatalf("103: %v", err)
	}
}
