package ozml

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gatepbx/gatepbx/api/ozml/fetch"
)

// loaderEnv fetches over HTTP with fetch.Loader; the rest is the fake.
type loaderEnv struct {
	*fakeEnv
	loader *fetch.Loader
}

func (e loaderEnv) Fetch(ctx context.Context, target string, form url.Values) ([]byte, error) {
	return e.loader.Fetch(ctx, target, form)
}

// TestApplicationOverHTTP plays the application's part with a real HTTP
// server on loopback: IncomingCall returns a PIN menu, ForwardToUrl (a
// relative URL) receives DtmfEntered with DtmfDigits and answers with the
// next document.
func TestApplicationOverHTTP(t *testing.T) {
	var mu sync.Mutex
	var posts []string
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		mu.Lock()
		posts = append(posts, r.URL.Path+" "+r.PostForm.Get("NotificationName")+" "+r.PostForm.Get("CallId")+" "+r.PostForm.Get("DtmfDigits"))
		mu.Unlock()
		switch r.URL.Path {
		case "/ivr/incoming":
			io.WriteString(w, `<?xml version="1.0"?><Response><UserInput Digits="4" ForwardToURL="pin"><InitialCommands><Speak>Enter your PIN</Speak></InitialCommands></UserInput></Response>`)
		case "/ivr/pin":
			fmt.Fprintf(w, `<Response><Speak>PIN %s accepted</Speak><BlindTransfer>102</BlindTransfer></Response>`, r.PostForm.Get("DtmfDigits"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(app.Close)
	env := loaderEnv{fakeEnv: newFakeEnv(t, nil), loader: &fetch.Loader{Poster: &fetch.Client{}}}
	h := newHarness(t, env)
	in := New(env, h.opts)
	call := newFakeCall(t,
		step{op: "answer"},
		step{op: "speak Enter your PIN", press: "4711", block: true},
		step{op: "speak PIN 4711 accepted"},
		step{op: "blindtransfer 102"},
	)
	doc, err := in.Load(t.Context(), app.URL+"/ivr/incoming", "IncomingCall", call, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantResult(t, in.Run(t.Context(), call, doc, RunOptions{}), LeftScript, "BlindTransfer to 102")
	if got := strings.Join(posts, "; "); got != "/ivr/incoming IncomingCall Nt3uh ; /ivr/pin DtmfEntered Nt3uh 4711" {
		t.Errorf("posts: %s", got)
	}
}
