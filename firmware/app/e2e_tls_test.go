package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/firmware/tlscert"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// TestRegisterOverTLS registers with sipgo's own client (an independent
// digest implementation) over SIP/TLS against the appliance's self-signed
// certificate, with MD5 and with SHA-256 challenges.
func TestRegisterOverTLS(t *testing.T) {
	tests := []struct {
		name       string
		algorithms []string
		wantAlg    string
	}{
		{"md5 first", []string{"MD5", "SHA-256"}, "MD5"},
		{"sha-256 only", []string{"SHA-256"}, "SHA-256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := testConfig(dir)
			cfg.SIP.DigestAlgorithms = tc.algorithms
			cert, made, err := tlscert.Load("", "", filepath.Join(dir, "tls"), []string{"127.0.0.1"}, time.Now())
			if err != nil || !made {
				t.Fatalf("certificate: made=%v err=%v", made, err)
			}
			tlsLn, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatal(err)
			}
			a := startTestAppWith(t, cfg, ua.Listeners{TLS: tlsLn})

			roots := x509.NewCertPool()
			roots.AddCert(cert.Leaf)
			cua, err := sipgo.NewUA(sipgo.WithUserAgent("101"), sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}))
			if err != nil {
				t.Fatal(err)
			}
			defer cua.Close()
			cli, err := sipgo.NewClient(cua, sipgo.WithClientHostname("127.0.0.1"))
			if err != nil {
				t.Fatal(err)
			}
			port := tlsLn.Addr().(*net.TCPAddr).Port
			target := sip.Uri{Scheme: "sips", Host: "127.0.0.1", Port: port}
			req := sip.NewRequest(sip.REGISTER, target)
			req.SetTransport("TLS")
			req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "101", Host: "127.0.0.1"}})
			req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "101", Host: "127.0.0.1"}, Params: sip.NewParams()})
			req.AppendHeader(sip.NewHeader("Contact", "<sip:101@127.0.0.1:5999;transport=tls>"))
			req.AppendHeader(sip.NewHeader("Expires", "300"))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := cli.Do(ctx, req, sipgo.ClientRequestRegisterBuild)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 401 {
				t.Fatalf("first REGISTER: %d, want 401", res.StatusCode)
			}
			if h := res.GetHeader("WWW-Authenticate"); h == nil || !containsFold(h.Value(), "algorithm="+tc.wantAlg) {
				t.Fatalf("challenge %v does not offer %s first", h, tc.wantAlg)
			}
			res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "101", Password: testPasswords["101"]})
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 200 {
				t.Fatalf("authenticated REGISTER: %d %s", res.StatusCode, res.Reason)
			}
			b := a.sip.Registrar().Lookup("101")
			if len(b) != 1 || b[0].Transport != "TLS" {
				t.Fatalf("binding %+v, want one TLS binding", b)
			}
		})
	}
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
