package trunk

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func challenge(code int, headers ...string) *sip.Response {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1", Host: "h"})
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	res := sip.NewResponseFromRequest(req, code, "", nil)
	name := "WWW-Authenticate"
	if code == 407 {
		name = "Proxy-Authenticate"
	}
	for _, h := range headers {
		res.AppendHeader(sip.NewHeader(name, h))
	}
	return res
}

func TestAuthorize(t *testing.T) {
	newReq := func() *sip.Request {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1", Host: "h"})
		req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
		req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx"))
		return req
	}
	a := NewAuthorizer("u", "p")
	req := newReq()
	// the first offer uses an algorithm we cannot do: the second is taken
	if err := a.Retry(req, challenge(407, `Digest realm="r", nonce="n", algorithm=XYZ`, `Digest realm="r", nonce="n", algorithm=MD5`)); err != nil {
		t.Fatal(err)
	}
	if req.GetHeader("Proxy-Authorization") == nil || req.CSeq().SeqNo != 2 || req.Via() != nil {
		t.Fatalf("retry not prepared: %s", req)
	}
	if err := a.Authorize(req, challenge(407, `Digest realm="r", nonce="n"`)); err == nil || !strings.Contains(err.Error(), ErrRejected.Error()) {
		t.Errorf("same nonce again: %v", err)
	}
	if err := a.Authorize(req, challenge(407, `Digest realm="r", nonce="n", stale=true, qop="auth"`)); err != nil {
		t.Errorf("stale nonce: %v", err)
	}
	for _, res := range []*sip.Response{challenge(401), challenge(401, `Basic realm="r"`), challenge(401, `Digest realm="r", nonce="n", algorithm=XYZ`), challenge(486)} {
		if err := a.Authorize(newReq(), res); err == nil {
			t.Errorf("%d %v: authorized", res.StatusCode, res.GetHeaders("WWW-Authenticate"))
		}
	}
	// Preauthorize reuses the last challenge with the next nonce count
	pre := newReq()
	if ok, err := a.Preauthorize(pre); !ok || err != nil {
		t.Fatalf("preauthorize %v %v", ok, err)
	}
	if v := pre.GetHeader("Proxy-Authorization").Value(); !strings.Contains(v, "nc=00000002") || !strings.Contains(v, `nonce="n"`) {
		t.Errorf("preauthorized with %s", v)
	}
	if ok, _ := NewAuthorizer("u", "p").Preauthorize(newReq()); ok {
		t.Error("preauthorized without a challenge")
	}
}

func FuzzAuthorize(f *testing.F) {
	for _, s := range []string{
		`Digest realm="r", nonce="n", algorithm=MD5, qop="auth"`,
		`Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth,auth-int", opaque="o", stale=true`,
		`Digest realm=r,nonce=n`, `Basic realm="x"`, `Digest`, `Digest realm="`,
	} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, header string, proxy bool) {
		code := 401
		if proxy {
			code = 407
		}
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "h"})
		req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.REGISTER})
		a := NewAuthorizer("u", "p")
		if err := a.Retry(req, challenge(code, header)); err != nil {
			return
		}
		name := "Authorization"
		if proxy {
			name = "Proxy-Authorization"
		}
		h := req.GetHeader(name)
		if h == nil || !strings.HasPrefix(h.Value(), "Digest ") || strings.ContainsAny(h.Value(), "\r\n") {
			t.Fatalf("header %q gave credentials %v", header, h)
		}
	})
}
