package digest

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    Credentials
		wantErr error
	}{
		{
			name: "typical phone, mixed quoting",
			header: `Digest username="alice",realm="gatepbx",nonce="abc",uri="sip:gatepbx.lan",` +
				`response="0123abcd",algorithm=MD5,cnonce="xyz",nc=00000001,qop=auth`,
			want: Credentials{Username: "alice", Realm: "gatepbx", Nonce: "abc", URI: "sip:gatepbx.lan",
				Response: "0123abcd", Algorithm: "MD5", CNonce: "xyz", NC: "00000001", QOP: "auth"},
		},
		{
			name: "RFC 2617 example with generous whitespace and quoted qop",
			header: "Digest username=\"Mufasa\",\r\n\t realm = \"testrealm@host.com\" , nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", " +
				`uri="/dir/index.html", qop="auth", nc=00000001, cnonce="0a4f113b", ` +
				`response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
			want: Credentials{Username: "Mufasa", Realm: "testrealm@host.com", Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
				URI: "/dir/index.html", QOP: "auth", NC: "00000001", CNonce: "0a4f113b",
				Response: "6629fae49393a05397450978507c4ef1", Opaque: "5ccc069c403ebaf9f0171e9517f40e41"},
		},
		{
			name:   "case-insensitive scheme and names, escaped quotes",
			header: `  dIGEST USERNAME="a\"b\\c", Realm="r", NONCE="n", Uri="u", Response="x"`,
			want:   Credentials{Username: `a"b\c`, Realm: "r", Nonce: "n", URI: "u", Response: "x"},
		},
		{
			name:   "unquoted uri, empty list elements, unknown params ignored",
			header: `Digest ,username=bob,, realm="r", nonce="n", uri=sip:bob@10.0.0.1:5060;transport=udp, userhash=false, response="x",`,
			want:   Credentials{Username: "bob", Realm: "r", Nonce: "n", URI: "sip:bob@10.0.0.1:5060;transport=udp", Response: "x"},
		},
		{
			name:   "UTF-8 username",
			header: `Digest username="Jürgen", realm="r", nonce="n", uri="u", response="x"`,
			want:   Credentials{Username: "Jürgen", Realm: "r", Nonce: "n", URI: "u", Response: "x"},
		},
		{name: "basic scheme", header: `Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==`, wantErr: ErrNotDigest},
		{name: "scheme prefix of another word", header: `Digestive username="a"`, wantErr: ErrNotDigest},
		{name: "empty", header: ``, wantErr: ErrNotDigest},
		{name: "scheme only", header: `Digest`, wantErr: ErrMalformed},
		{name: "missing response", header: `Digest username="a", realm="r", nonce="n", uri="u"`, wantErr: ErrMalformed},
		{name: "missing username", header: `Digest realm="r", nonce="n", uri="u", response="x"`, wantErr: ErrMalformed},
		{name: "empty username", header: `Digest username="", realm="r", nonce="n", uri="u", response="x"`, wantErr: ErrMalformed},
		{name: "duplicate known param", header: `Digest username="a", username="b", realm="r", nonce="n", uri="u", response="x"`, wantErr: ErrMalformed},
		{name: "duplicate with different case", header: `Digest username="a", Realm="r", REALM="r", nonce="n", uri="u", response="x"`, wantErr: ErrMalformed},
		{name: "duplicate unknown param", header: `Digest foo=1, FOO=2, username="a", realm="r", nonce="n", uri="u", response="x"`, wantErr: ErrMalformed},
		{name: "unterminated quote", header: `Digest username="a, realm="r", nonce="n", uri="u", response="x`, wantErr: ErrMalformed},
		{name: "trailing backslash", header: `Digest username="a\`, wantErr: ErrMalformed},
		{name: "missing equals", header: `Digest username "a"`, wantErr: ErrMalformed},
		{name: "missing comma", header: `Digest username="a" realm="r", nonce="n", uri="u", response="x"`, wantErr: ErrMalformed},
		{name: "empty bare value", header: `Digest username=, realm="r", nonce="n", uri="u", response="x"`, wantErr: ErrMalformed},
		{name: "control character", header: "Digest username=\"a\x00\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"", wantErr: ErrMalformed},
		{name: "value too long", header: `Digest username="` + strings.Repeat("a", maxValueLen+1) + `", realm="r", nonce="n", uri="u", response="x"`, wantErr: ErrMalformed},
		{name: "escaped value too long", header: `Digest username="` + strings.Repeat(`\a`, maxValueLen+1) + `", realm="r", nonce="n", uri="u", response="x"`, wantErr: ErrMalformed},
		{name: "header too long", header: `Digest username="a", realm="r", nonce="n", uri="u", response="x", pad="` + strings.Repeat("p", maxHeaderLen) + `"`, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCredentials(tt.header)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseCredentialsValueAtLimit(t *testing.T) {
	long := strings.Repeat("a", maxValueLen)
	got, err := ParseCredentials(`Digest username="` + long + `", realm="r", nonce="n", uri="u", response="x"`)
	if err != nil {
		t.Fatalf("value of exactly %d bytes rejected: %v", maxValueLen, err)
	}
	if got.Username != long {
		t.Errorf("username truncated to %d bytes", len(got.Username))
	}
}

func FuzzParseCredentials(f *testing.F) {
	seeds := []string{
		`Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
		`digest username=bob,realm=r,nonce=n,uri=sip:x@y;transport=tcp,response=x,algorithm=SHA-256`,
		`Digest username="a\"b", realm="r", nonce="n", uri="u", response="x",,`,
		`Digest username="a`,
		`Digest username="a\`,
		`Digest =x`,
		`Digest a=b c=d`,
		`Basic Zm9vOmJhcg==`,
		`Digest`,
		"Digest username=\"\x7f\"",
		``,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		cred, err := ParseCredentials(header)
		if err != nil {
			if !errors.Is(err, ErrNotDigest) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is neither ErrNotDigest nor ErrMalformed", err)
			}
			return
		}
		for name, v := range map[string]string{
			"username": cred.Username, "realm": cred.Realm, "nonce": cred.Nonce, "uri": cred.URI, "response": cred.Response,
		} {
			if v == "" {
				t.Fatalf("accepted %q with empty %s", header, name)
			}
		}
		for _, v := range []string{cred.Username, cred.Realm, cred.Nonce, cred.URI, cred.Response,
			cred.Algorithm, cred.CNonce, cred.NC, cred.QOP, cred.Opaque} {
			if len(v) > maxValueLen {
				t.Fatalf("accepted a %d byte value", len(v))
			}
		}
		// Whatever was accepted must survive a format/parse round trip
		// (unless quoting pushed it over the header limit).
		formatted := formatCredentials(cred)
		if len(formatted) > maxHeaderLen {
			return
		}
		again, err := ParseCredentials(formatted)
		if err != nil {
			t.Fatalf("re-parsing %+v: %v", cred, err)
		}
		if again != cred {
			t.Fatalf("round trip changed credentials:\n got  %+v\n want %+v", again, cred)
		}
	})
}
