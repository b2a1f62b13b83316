package overload

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

const register = "REGISTER sip:127.0.0.1 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport\r\n" +
	"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-0\r\n" +
	"From: <sip:101@127.0.0.1>;tag=abc\r\n" +
	"To: <sip:101@127.0.0.1>\r\n" +
	"Call-ID: reg-1@127.0.0.1\r\n" +
	"CSeq: 1 REGISTER\r\n" +
	"Contact: <sip:101@127.0.0.1:5070>\r\n" +
	"Content-Length: 0\r\n\r\n"

func TestScan(t *testing.T) {
	tests := []struct {
		name, msg      string
		ok             bool
		method, branch string
		vias           int
		respond        bool
	}{
		{"register", register, true, "REGISTER", "z9hG4bK-1", 2, true},
		{"compact and LF only", "OPTIONS sip:x SIP/2.0\nv: SIP/2.0/UDP h;rport;BRANCH=z9hG4bK-c\nf: <sip:a@h>;tag=1\nt: sip:b@h\ni: c1\nCSeq: 2 OPTIONS\n\n", true, "OPTIONS", "z9hG4bK-c", 1, true},
		{"comma-separated vias", "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=first, SIP/2.0/UDP b;branch=second\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n", true, "INVITE", "first", 1, true},
		{"folded via", "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a\r\n ;branch=folded\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n", true, "INVITE", "folded", 1, true},
		{"no call-id", "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=b\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCSeq: 1 INVITE\r\n\r\n", true, "INVITE", "b", 1, false},
		{"header in body ignored", "MESSAGE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=b\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n\r\nVia: SIP/2.0/UDP evil;branch=x\r\n", true, "MESSAGE", "b", 1, true},
		{"response", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=b\r\n\r\n", false, "", "", 0, false},
		{"no via", "OPTIONS sip:x SIP/2.0\r\nFrom: <sip:a@h>\r\n\r\n", false, "", "", 0, false},
		{"bad method", "OP(TIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=b\r\n\r\n", false, "", "", 0, false},
		{"not sip", "GET / HTTP/1.1\r\nVia: x;branch=b\r\n\r\n", false, "", "", 0, false},
		{"empty", "", false, "", "", 0, false},
		{"keepalive", "\r\n\r\n", false, "", "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := scan([]byte(tc.msg))
			if ok != tc.ok || r.method != tc.method || r.branch != tc.branch || len(r.vias) != tc.vias {
				t.Fatalf("scan = %q %q %d vias %v, want %q %q %d %v", r.method, r.branch, len(r.vias), ok, tc.method, tc.branch, tc.vias, tc.ok)
			}
			if !ok {
				return
			}
			_, respond := r.serviceUnavailable(10, "gatepbx")
			if respond != tc.respond {
				t.Fatalf("serviceUnavailable ok = %v, want %v", respond, tc.respond)
			}
		})
	}
}

func TestServiceUnavailableParses(t *testing.T) {
	r, ok := scan([]byte(register))
	if !ok {
		t.Fatal("scan failed")
	}
	b, ok := r.serviceUnavailable(7, "gatepbx")
	if !ok {
		t.Fatal("no response")
	}
	msg, err := sip.ParseMessage(b)
	if err != nil {
		t.Fatalf("our 503 does not parse: %v\n%s", err, b)
	}
	res, isRes := msg.(*sip.Response)
	if !isRes || res.StatusCode != 503 {
		t.Fatalf("got %v", msg)
	}
	if got := len(res.GetHeaders("Via")); got != 2 {
		t.Errorf("%d Via headers, want 2", got)
	}
	if res.Via().Params == nil || res.Via().Params.GetOr("branch", "") != "z9hG4bK-1" {
		t.Errorf("top Via %v", res.Via())
	}
	if tag, ok := res.To().Params.Get("tag"); !ok || tag == "" {
		t.Errorf("To %v has no tag", res.To())
	}
	if tag, _ := res.From().Params.Get("tag"); tag != "abc" {
		t.Errorf("From tag %q", tag)
	}
	if res.CallID().Value() != "reg-1@127.0.0.1" || res.CSeq().Value() != "1 REGISTER" {
		t.Errorf("Call-ID %q CSeq %q", res.CallID().Value(), res.CSeq().Value())
	}
	if h := res.GetHeader("Retry-After"); h == nil || h.Value() != "7" {
		t.Errorf("Retry-After %v", h)
	}
}

func TestHasTag(t *testing.T) {
	tests := []struct {
		field string
		want  bool
	}{
		{"To: <sip:a@h>;tag=1", true},
		{"To: <sip:a@h;tag=uriparam>", false},
		{"To: \"A;tag=x\" <sip:a@h>", false},
		{"t: sip:a@h;tag=2", true},
		{"To: sip:a@h", false},
		{"To: <sip:a@h> ; TAG = 3", true},
		{"To: <sip:a@h>;tag=", false},
		{"To", false},
	}
	for _, tc := range tests {
		if got := hasTag([]byte(tc.field)); got != tc.want {
			t.Errorf("hasTag(%q) = %v, want %v", tc.field, got, tc.want)
		}
	}
}

func TestResponseKeepsExistingToTag(t *testing.T) {
	msg := strings.Replace(register, "To: <sip:101@127.0.0.1>", "To: <sip:101@127.0.0.1>;tag=mine", 1)
	r, _ := scan([]byte(msg))
	b, _ := r.serviceUnavailable(1, "")
	if strings.Count(string(b), "tag=") != 2 || !strings.Contains(string(b), ";tag=mine\r\n") {
		t.Fatalf("to tag changed:\n%s", b)
	}
	if strings.Contains(string(b), "Server:") {
		t.Fatal("Server header without a name")
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte(register))
	f.Add([]byte("OPTIONS sip:x SIP/2.0\nv: SIP/2.0/UDP h;branch=z\nf: <sip:a@h>;tag=1\nt: sip:b@h\ni: c1\nCSeq: 2 OPTIONS\n\n"))
	f.Add([]byte("INVITE sip:x SIP/2.0\r\nVia: a\r\n ;branch=f\r\n\tx\r\nFrom:\r\nTo:<\r\nCall-ID:\r\nCSeq:\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ok := scan(data)
		if !ok {
			return
		}
		if r.method == "" || len(r.vias) == 0 {
			t.Fatalf("accepted %q with method %q and %d vias", data, r.method, len(r.vias))
		}
		b, ok := r.serviceUnavailable(10, "gatepbx")
		if !ok {
			return
		}
		if !strings.HasPrefix(string(b), "SIP/2.0 503 Service Unavailable\r\n") || !strings.HasSuffix(string(b), "Content-Length: 0\r\n\r\n") {
			t.Fatalf("bad response %q", b)
		}
	})
}
