package digest

import "testing"

// TestResponseVectors checks the response computation against the published
// RFC examples.
func TestResponseVectors(t *testing.T) {
	tests := []struct {
		name      string
		algorithm string
		in        digestInput
		want      string
	}{
		{
			name:      "RFC 2617 section 3.5 MD5 qop=auth",
			algorithm: "MD5",
			in: digestInput{
				username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life",
				method: "GET", uri: "/dir/index.html",
				nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
				qop:   "auth", nc: "00000001", cnonce: "0a4f113b",
			},
			want: "6629fae49393a05397450978507c4ef1",
		},
		{
			name:      "RFC 7616 section 3.9.1 MD5",
			algorithm: "MD5",
			in: digestInput{
				username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life",
				method: "GET", uri: "/dir/index.html",
				nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
				qop:   "auth", nc: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			},
			want: "8ca523f5e9506fed4657c9700eebdbec",
		},
		{
			name:      "RFC 7616 section 3.9.1 SHA-256",
			algorithm: "SHA-256",
			in: digestInput{
				username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life",
				method: "GET", uri: "/dir/index.html",
				nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
				qop:   "auth", nc: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			},
			want: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
		},
		{
			name:      "RFC 2069 style without qop, computed independently",
			algorithm: "MD5",
			in: digestInput{
				username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life",
				method: "GET", uri: "/dir/index.html",
				nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
			},
			want: clientResponse("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
				"dcd98b7102dd2f0e8b11d0f600bfb0c093", "", "", ""),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := lookupAlgorithm(tt.algorithm)
			if !ok {
				t.Fatalf("algorithm %q not supported", tt.algorithm)
			}
			if got := a.response(tt.in); got != tt.want {
				t.Errorf("response = %s, want %s", got, tt.want)
			}
		})
	}
}
