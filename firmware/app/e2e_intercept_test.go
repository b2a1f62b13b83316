package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// interceptApp is a loopback application answering RoutingInterception:
// the reply for each LastCallState (missing: an empty body; "hang": no
// answer until the appliance gives up).
type interceptApp struct {
	srv   *httptest.Server
	posts chan url.Values
}

func newInterceptApp(t *testing.T, replies map[string]string) *interceptApp {
	t.Helper()
	ia := &interceptApp{posts: make(chan url.Values, 16)}
	ia.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		select {
		case ia.posts <- r.PostForm:
		default:
		}
		reply := replies[r.PostForm.Get("LastCallState")]
		if reply == "hang" {
			select {
			case <-r.Context().Done():
			case <-time.After(20 * time.Second): // guards against a hang only
			}
			return
		}
		_, _ = w.Write([]byte(reply))
	}))
	t.Cleanup(ia.srv.Close)
	return ia
}

// next returns the next RoutingInterception the application received.
func (ia *interceptApp) next(t *testing.T) url.Values {
	t.Helper()
	select {
	case f := <-ia.posts:
		return f
	case <-time.After(20 * time.Second):
		t.Fatal("no RoutingInterception reached the application")
	}
	return nil
}

// TestRoutingInterception: with api.routing_interception_url set, 101's
// call asks the application first; its <Route> sends the call elsewhere,
// an empty Destination rejects it with 603, and no Route (an empty reply,
// or none in time) leaves the dial plan's routing. When the normal
// attempt fails (103 is not registered) the application is asked again
// with LastCallState NoAnswer and can route the call to 102.
func TestRoutingInterception(t *testing.T) {
	sipptest.Need(t)
	tests := []struct {
		name    string
		dialed  string
		replies map[string]string
		reject  string // the caller's expected failure; "" means 102 answers
		states  []string
		state   string // history
	}{
		{name: "route", dialed: "555", replies: map[string]string{"Calling": `<Response><Route Destination="102" RingTime="20"/></Response>`},
			states: []string{"Calling"}, state: "CalleeHangUp"},
		{name: "empty reply", dialed: "102", states: []string{"Calling"}, state: "CalleeHangUp"},
		{name: "empty destination", dialed: "102", replies: map[string]string{"Calling": `<Response><Route Destination=""/></Response>`},
			reject: "603", states: []string{"Calling"}, state: "Rejected"},
		{name: "no answer in time", dialed: "102", replies: map[string]string{"Calling": "hang"}, states: []string{"Calling"}, state: "CalleeHangUp"},
		{name: "not OzML", dialed: "102", replies: map[string]string{"Calling": "<Response><Route"}, states: []string{"Calling"}, state: "CalleeHangUp"},
		{name: "after failure", dialed: "103", replies: map[string]string{"NoAnswer": `<response><route destination="102"/></response>`},
			states: []string{"Calling", "NoAnswer"}, state: "CalleeHangUp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ia := newInterceptApp(t, tc.replies)
			cfg := apiTestConfig(t)
			cfg.API.RoutingInterceptionURL = ia.srv.URL + "/route?site=1"
			cfg.API.RoutingInterceptionTimeout = time.Second
			a := startTestApp(t, cfg)
			if tc.reject != "" {
				c := caller(t, a, "uac_fail.xml", "", tc.dialed, map[string]string{"CODE": tc.reject})
				if err := c.Wait(); err != nil {
					t.Fatalf("caller: %v", err)
				}
			} else {
				b := callee(t, a, "uas_answer.xml", "uas_hangup.part", time.Second)
				c := caller(t, a, "uac_call.xml", "hangup_wait.part", tc.dialed, map[string]string{})
				waitBoth(t, c, b)
			}
			for i, want := range tc.states {
				f := ia.next(t)
				if f.Get("NotificationName") != "RoutingInterception" || f.Get("LastCallState") != want ||
					f.Get("CallerID") != "101" || f.Get("CallerExtension") != "101" || f.Get("OriginalDialedNumber") != tc.dialed ||
					f.Get("CallId") == "" {
					t.Fatalf("notification %d: %v", i, f)
				}
				if want != "Calling" && (f.Get("LastDialedNumber") != tc.dialed || f.Get("LastCalledExtension") != tc.dialed) {
					t.Fatalf("notification %d after the failed attempt: %v", i, f)
				}
			}
			rec := lastRecord(t, a, 1)
			if rec.State != tc.state || rec.Dialed != tc.dialed || (tc.reject == "" && rec.Callee != "102") {
				t.Fatalf("history %+v", rec)
			}
		})
	}
}
