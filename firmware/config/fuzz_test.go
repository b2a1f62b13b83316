package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, reports every problem as an
// *Error, and that whatever it accepts survives Marshal and Parse again.
func FuzzParse(f *testing.F) {
	seeds := []string{
		string(DefaultYAML),
		"",
		"board: sim\n",
		"sip:\n  udp_port: abc\n",
		"sip:\n  bind_adress: 1.2.3.4\n",
		"extensions:\n  - {number: \"101\", kind: sip, password: secret-secret}\n  - {number: \"101\", kind: sip, password: secret-secret}\n",
		"extensions:\n  - {number: \"800\", kind: api, script: ../x}\n",
		"extensions:\n  - &e {number: '1', kind: analog, port: fxs0}\n  - *e\n",
		"extensions: &a [*a]\n",
		"api:\n  users:\n    - {username: a, password_hash: \"" + validHash + "\", allowed_networks: [10.0.0.0/33]}\n",
		"rtp: {port_min: 10001, port_max: 3}\n",
		"sip: {tls_cert_file: a.pem}\n",
		"<<: {board: x}\n",
		"a: [",
		"---\na: 1\n---\nb: 2\n",
		"board: \"\x01\"\n",
		"number: *98\n",
		"? [a]\n: b\n",
		"sip:\n\tudp_port: 5\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			for _, e := range unwrapAll(err) {
				var ce *Error
				if !errors.As(e, &ce) {
					t.Fatalf("error %T is not a *Error: %v", e, e)
				}
				if ce.Problem == "" || !strings.HasPrefix(ce.Error(), "fuzz.yaml") {
					t.Fatalf("badly formed error %+v", ce)
				}
			}
			return
		}
		out, err := Marshal(c)
		if err != nil {
			t.Fatalf("Marshal of a parsed config: %v", err)
		}
		back, err := Parse("marshalled.yaml", out)
		if err != nil {
			t.Fatalf("Parse(Marshal(c)): %v\ninput: %q\nmarshalled:\n%s", err, data, out)
		}
		if !back.Equal(c) {
			t.Fatalf("round trip changed the config\ninput: %q\nmarshalled:\n%s", data, out)
		}
	})
}
