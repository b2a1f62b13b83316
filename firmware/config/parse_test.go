package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validHash is the hash of "test-password" with cheap iterations.
const validHash = "pbkdf2-sha256$1000$c3Nzc3Nzc3Nzc3Nzc3Nzcw$AcJvmxLvzZ5/Sn94z/cT53uf8k1ZvQckaCMTypLzSuk"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // the whole error text, one problem per line
	}{
		{
			name: "unknown key",
			yaml: "board: sim\nsip:\n  udp_port: 5070\n\n  bind_adress: 1.2.3.4\n",
			want: "gatepbx.yaml:5: sip.bind_adress: unknown key",
		},
		{
			name: "unknown top-level key",
			yaml: "bored: sim\n",
			want: "gatepbx.yaml:1: bored: unknown key",
		},
		{
			name: "unknown extension key",
			yaml: "extensions:\n  - number: \"800\"\n    kind: api\n    script: a.ozml\n    scirpt: b.ozml\n",
			want: "gatepbx.yaml:5: extensions[0].scirpt: unknown key",
		},
		{
			name: "duplicate key",
			yaml: "board: sim\nregion: uk\nboard: pi\n",
			want: "gatepbx.yaml:3: board: duplicate key (first defined at line 1)",
		},
		{
			name: "merge key",
			yaml: "sip:\n  <<: {udp_port: 5070}\n",
			want: "gatepbx.yaml:2: sip.<<: merge keys (<<) are not supported; write the settings out",
		},
		{
			name: "duplicate extension numbers",
			yaml: `extensions:
  - number: "200"
    kind: analog
    port: fxs0
  - number: "101"
    kind: sip
    password: secret-one
  - number: "101"
    kind: sip
    password: secret-two
`,
			want: `gatepbx.yaml:8: extensions[2].number: duplicate number "101" (first defined at line 5)`,
		},
		{
			name: "duplicate extension number unquoted",
			yaml: "extensions:\n  - {number: 101, kind: api, url: \"http://x\"}\n  - {number: 101, kind: api, url: \"http://y\"}\n",
			want: `gatepbx.yaml:3: extensions[1].number: duplicate number "101" (first defined at line 2)`,
		},
		{
			name: "bad extension numbers",
			yaml: `extensions:
  - number: "12a"
    kind: api
    url: http://127.0.0.1/
  - kind: api
    url: http://127.0.0.1/
  - number: "123456789012345678901234567890123"
    kind: api
    url: http://127.0.0.1/
  - number: "*98#"
    kind: api
    url: http://127.0.0.1/
`,
			want: `gatepbx.yaml:2: extensions[0].number: "12a" must be 1 to 32 characters of 0-9, * and #
gatepbx.yaml:5: extensions[1].number: required (1 to 32 characters of 0-9, * and #)
gatepbx.yaml:7: extensions[2].number: "123456789012345678901234567890123" must be 1 to 32 characters of 0-9, * and #`,
		},
		{
			name: "unquoted star is an alias",
			yaml: "board: sim\nextensions:\n  - number: *98\n    kind: sip\n",
			want: `gatepbx.yaml:3: unknown anchor '98' referenced (quote values that start with * or &, like "*98")`,
		},
		{
			name: "extension kinds",
			yaml: `extensions:
  - number: "1"
  - number: "2"
    kind: fax
  - number: "3"
    kind: sip
  - number: "4"
    kind: sip
    password: short
  - number: "5"
    kind: sip
    password: long-enough
    port: fxs0
    url: http://127.0.0.1/
  - number: "6"
    kind: analog
  - number: "7"
    kind: analog
    port: fxs1
    password: secret-secret
  - number: "8"
    kind: api
  - number: "9"
    kind: api
    url: http://127.0.0.1/
    script: a.ozml
  - number: "10"
    kind: api
    script: a.ozml
    password: secret-secret
    port: fxs2
`,
			want: `gatepbx.yaml:2: extensions[0].kind: required (one of sip, analog, api)
gatepbx.yaml:4: extensions[1].kind: unknown kind "fax" (allowed: sip, analog, api)
gatepbx.yaml:5: extensions[2].password: required for kind "sip" (at least 8 characters)
gatepbx.yaml:9: extensions[3].password: must be at least 8 characters
gatepbx.yaml:13: extensions[4].port: not used by kind "sip"; remove it
gatepbx.yaml:14: extensions[4].url: not used by kind "sip"; remove it
gatepbx.yaml:15: extensions[5].port: required for kind "analog" (the board's port name, like "fxs0")
gatepbx.yaml:20: extensions[6].password: not used by kind "analog"; remove it
gatepbx.yaml:21: extensions[7]: kind "api" needs a url or a script
gatepbx.yaml:26: extensions[8].script: set url or script, not both
gatepbx.yaml:30: extensions[9].password: not used by kind "api"; remove it
gatepbx.yaml:31: extensions[9].port: not used by kind "api"; remove it`,
		},
		{
			name: "duplicate analog port",
			yaml: "extensions:\n  - {number: \"201\", kind: analog, port: fxs0}\n  - {number: \"202\", kind: analog, port: fxs0}\n",
			want: `gatepbx.yaml:3: extensions[1].port: port "fxs0" is already used by extension "201" (line 2)`,
		},
		{
			name: "script escaping the data dir",
			yaml: `extensions:
  - {number: "1", kind: api, script: ../secret.ozml}
  - {number: "2", kind: api, script: /etc/passwd}
  - {number: "3", kind: api, script: "ivr/../../x.ozml"}
  - {number: "4", kind: api, script: "ivr/..\\..\\x.ozml"}
  - {number: "5", kind: api, script: ivr/menu.ozml}
`,
			want: `gatepbx.yaml:2: extensions[0].script: "../secret.ozml" must be a file name inside data_dir/scripts (relative, no "..")
gatepbx.yaml:3: extensions[1].script: "/etc/passwd" must be a file name inside data_dir/scripts (relative, no "..")
gatepbx.yaml:4: extensions[2].script: "ivr/../../x.ozml" must be a file name inside data_dir/scripts (relative, no "..")
gatepbx.yaml:5: extensions[3].script: "ivr/..\\..\\x.ozml" must be a file name inside data_dir/scripts (relative, no "..")`,
		},
		{
			name: "bad api urls",
			yaml: `extensions:
  - {number: "1", kind: api, url: "ftp://example.com/x"}
  - {number: "2", kind: api, url: "http://"}
  - {number: "3", kind: api, url: "http://[::1"}
`,
			want: `gatepbx.yaml:2: extensions[0].url: "ftp://example.com/x" must start with http:// or https://
gatepbx.yaml:3: extensions[1].url: "http://" has no host
gatepbx.yaml:4: extensions[2].url: "http://[::1" is not a valid URL`,
		},
		{
			name: "display name with quote",
			yaml: "extensions:\n  - number: \"1\"\n    kind: api\n    url: http://127.0.0.1/\n    display_name: 'Bob \"the phone\"'\n",
			want: `gatepbx.yaml:5: extensions[0].display_name: must not contain quotes, backslashes, line breaks or other control characters`,
		},
		{
			name: "display name with line break",
			yaml: "extensions:\n  - number: \"1\"\n    kind: api\n    url: http://127.0.0.1/\n    display_name: \"Bob\\r\\nVia: evil\"\n",
			want: `gatepbx.yaml:5: extensions[0].display_name: must not contain quotes, backslashes, line breaks or other control characters`,
		},
		{
			name: "bad CIDR",
			yaml: `api:
  users:
    - username: ops
      password_hash: "` + validHash + `"
      allowed_networks:
        - 192.168.1.0/24
        - 10.0.0.0/33
        - 10.1.2.3/8
        - not-a-network
`,
			want: `gatepbx.yaml:7: api.users[0].allowed_networks[1]: "10.0.0.0/33" is not a network in CIDR form like 192.168.1.0/24
gatepbx.yaml:8: api.users[0].allowed_networks[2]: "10.1.2.3/8" has host bits set; did you mean "10.0.0.0/8"?
gatepbx.yaml:9: api.users[0].allowed_networks[3]: "not-a-network" is not a network in CIDR form like 192.168.1.0/24`,
		},
		{
			name: "api users",
			yaml: `api:
  users:
    - username: ops
      password_hash: "` + validHash + `"
      allowed_commands: [Call, call, "bad name"]
    - username: ops
      password_hash: plain-password
    - username: "a:b"
    - password_hash: "pbkdf2-sha256$10$c2FsdHNhbHRzYWx0$0123456789abcdefghijklmnopqrstuvwxyzABCDE"
`,
			want: `gatepbx.yaml:5: api.users[0].allowed_commands[1]: duplicate command "call"
gatepbx.yaml:5: api.users[0].allowed_commands[2]: "bad name" is not a command name
gatepbx.yaml:6: api.users[1].username: duplicate username "ops" (first defined at line 3)
gatepbx.yaml:7: api.users[1].password_hash: not a password hash (want "pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>")
gatepbx.yaml:8: api.users[2].username: "a:b" must be 1 to 64 letters, digits, ".", "_", "-" or "@"
gatepbx.yaml:8: api.users[2].password_hash: required (make one with HashPassword)
gatepbx.yaml:9: api.users[3].username: required
gatepbx.yaml:9: api.users[3].password_hash: iterations "10" must be a number from 1000 to 10000000`,
		},
		{
			name: "rtp port_min odd",
			yaml: "rtp:\n  port_min: 10001\n",
			want: "gatepbx.yaml:2: rtp.port_min: must be even (RTP uses even ports, RTCP the odd one above), got 10001",
		},
		{
			name: "rtp port_min too low",
			yaml: "rtp:\n  port_min: 1000\n",
			want: "gatepbx.yaml:2: rtp.port_min: must be between 1024 and 65534, got 1000",
		},
		{
			name: "rtp port_max not above port_min",
			yaml: "rtp:\n  port_min: 20000\n  port_max: 20000\n",
			want: "gatepbx.yaml:3: rtp.port_max: must be greater than rtp.port_min (20000) and at most 65535, got 20000",
		},
		{
			name: "rtp port_max missing maps to parent line",
			yaml: "board: sim\nrtp:\n  port_min: 30000\n",
			want: "gatepbx.yaml:2: rtp.port_max: must be greater than rtp.port_min (30000) and at most 65535, got 20000",
		},
		{
			name: "rtp port_max too high",
			yaml: "rtp:\n  port_max: 70000\n",
			want: "gatepbx.yaml:2: rtp.port_max: must be greater than rtp.port_min (10000) and at most 65535, got 70000",
		},
		{
			name: "rtp misc",
			yaml: "rtp:\n  bind_address: localhost\n  media_timeout: -1s\n  codecs: [PCMU, G729, PCMU]\n",
			want: `gatepbx.yaml:2: rtp.bind_address: "localhost" is not an IP address
gatepbx.yaml:3: rtp.media_timeout: must not be negative (0s disables it), got -1s
gatepbx.yaml:4: rtp.codecs[1]: unknown value "G729" (allowed: PCMU, PCMA)
gatepbx.yaml:4: rtp.codecs[2]: duplicate "PCMU" (first listed at line 4)`,
		},
		{
			name: "empty codec list",
			yaml: "rtp:\n  codecs: []\n",
			want: "gatepbx.yaml:2: rtp.codecs: must list at least one of PCMU, PCMA",
		},
		{
			name: "tls cert without key",
			yaml: "sip:\n  tls_cert_file: /etc/gatepbx/cert.pem\n",
			want: "gatepbx.yaml:1: sip.tls_key_file: required when sip.tls_cert_file is set (set both or neither)",
		},
		{
			name: "tls key without cert",
			yaml: "sip:\n  tls_cert_file: \"\"\n  tls_key_file: /etc/gatepbx/key.pem\n",
			want: "gatepbx.yaml:2: sip.tls_cert_file: required when sip.tls_key_file is set (set both or neither)",
		},
		{
			name: "sip ports",
			yaml: "sip:\n  udp_port: -1\n  tcp_port: 70000\n  tls_port: 70000\n",
			want: `gatepbx.yaml:2: sip.udp_port: must be between 1 and 65535, or 0 to disable, got -1
gatepbx.yaml:3: sip.tcp_port: must be between 1 and 65535, or 0 to disable, got 70000
gatepbx.yaml:4: sip.tls_port: must be between 1 and 65535, or 0 to disable, got 70000
gatepbx.yaml:4: sip.tls_port: same as sip.tcp_port (70000); TCP and TLS need different ports`,
		},
		{
			name: "all sip transports disabled",
			yaml: "board: sim\nsip:\n  udp_port: 0\n  tcp_port: 0\n  tls_port: 0\n",
			want: "gatepbx.yaml:2: sip: every transport is disabled; set udp_port, tcp_port or tls_port",
		},
		{
			name: "port conflicts",
			yaml: "sip:\n  udp_port: 10002\n  tcp_port: 9509\napi:\n  bind_address: 127.0.0.1\n",
			want: `gatepbx.yaml:2: sip.udp_port: 10002 lies inside the RTP port range 10000-20000
gatepbx.yaml:4: api.port: 9509 is already used by sip.tcp_port`,
		},
		{
			name: "separate addresses do not conflict",
			yaml: "sip:\n  bind_address: 127.0.0.1\n  tcp_port: 9509\napi:\n  bind_address: 127.0.0.2\n  port: 9509\nrtp:\n  bind_address: 127.0.0.3\n  port_min: 5000\n",
			want: "",
		},
		{
			name: "sip addresses",
			yaml: "sip:\n  bind_address: \"\"\n  advertise_address: 0.0.0.0\napi:\n  bind_address: example.com\n",
			want: `gatepbx.yaml:2: sip.bind_address: required (0.0.0.0 means every address)
gatepbx.yaml:3: sip.advertise_address: "0.0.0.0" is not an address other devices can reach
gatepbx.yaml:5: api.bind_address: "example.com" is not an IP address`,
		},
		{
			name: "bad advertise address",
			yaml: "sip:\n  advertise_address: pbx.local\n",
			want: `gatepbx.yaml:2: sip.advertise_address: "pbx.local" is not an IP address (leave it empty to pick one automatically)`,
		},
		{
			name: "register expires",
			yaml: "sip:\n  register_min_expires: 600\n  register_max_expires: 300\n",
			want: `gatepbx.yaml:1: sip.register_default_expires: must be between register_min_expires (600) and register_max_expires (300), got 600
gatepbx.yaml:3: sip.register_max_expires: must not be less than register_min_expires (600), got 300`,
		},
		{
			name: "register default outside range",
			yaml: "sip:\n  register_min_expires: 0\n  register_default_expires: 7200\n",
			want: `gatepbx.yaml:2: sip.register_min_expires: must be at least 1 second, got 0
gatepbx.yaml:3: sip.register_default_expires: must be between register_min_expires (0) and register_max_expires (3600), got 7200`,
		},
		{
			name: "digest algorithms",
			yaml: "sip:\n  digest_algorithms:\n    - SHA-256\n    - md5\n    - SHA-256\n",
			want: `gatepbx.yaml:4: sip.digest_algorithms[1]: unknown value "md5" (allowed: MD5, SHA-256)
gatepbx.yaml:5: sip.digest_algorithms[2]: duplicate "SHA-256" (first listed at line 3)`,
		},
		{
			name: "digest algorithms empty",
			yaml: "sip:\n  digest_algorithms:\n",
			want: "gatepbx.yaml:2: sip.digest_algorithms: must list at least one of MD5, SHA-256",
		},
		{
			name: "max transactions negative",
			yaml: "sip:\n  realm: pbx\n  max_transactions: -1\n  max_connections: -2\n",
			want: "gatepbx.yaml:3: sip.max_transactions: must be 0 (automatic) or more, got -1\ngatepbx.yaml:4: sip.max_connections: must be 0 (automatic) or more, got -2",
		},
		{
			name: "sip durations and limits",
			yaml: "sip:\n  nonce_lifetime: 0s\n  ring_timeout: -5s\n  auth_failure_limit: 0\n  auth_failure_window: 0s\n  realm: 'a\"b'\n  user_agent: \"\"\n",
			want: `gatepbx.yaml:2: sip.nonce_lifetime: must be greater than 0, got 0s
gatepbx.yaml:3: sip.ring_timeout: must be greater than 0, got -5s
gatepbx.yaml:4: sip.auth_failure_limit: must be at least 1, got 0
gatepbx.yaml:5: sip.auth_failure_window: must be greater than 0, got 0s
gatepbx.yaml:6: sip.realm: must not contain quotes, backslashes, line breaks or other control characters
gatepbx.yaml:7: sip.user_agent: required`,
		},
		{
			name: "top level",
			yaml: "data_dir: \"\"\nboard: \"\"\nregion: nz\nlog_level: verbose\nhistory:\n  max_records: 0\n",
			want: `gatepbx.yaml:1: data_dir: required
gatepbx.yaml:2: board: required (use "sim" for the simulated board)
gatepbx.yaml:3: region: unknown region "nz" (allowed: us, uk, eu, de, fr, au, hu)
gatepbx.yaml:4: log_level: unknown level "verbose" (allowed: debug, info, warn, error)
gatepbx.yaml:6: history.max_records: must be greater than 0, got 0`,
		},
		{
			name: "type errors",
			yaml: "sip:\n  udp_port: abc\n  nonce_lifetime: 300\n  digest_algorithms: MD5\nrtp:\n  telephone_event: maybe\n  codecs: [[PCMU]]\nboard: [sim]\nhistory: 5\nextensions:\n  - 101\n",
			want: `gatepbx.yaml:2: sip.udp_port: expected a whole number, got "abc"
gatepbx.yaml:3: sip.nonce_lifetime: expected a duration like 30s or 5m, got "300"
gatepbx.yaml:4: sip.digest_algorithms: expected a list, got "MD5"
gatepbx.yaml:6: rtp.telephone_event: expected true or false, got "maybe"
gatepbx.yaml:7: rtp.codecs[0]: expected text, got a list
gatepbx.yaml:8: board: expected text, got a list
gatepbx.yaml:9: history: expected a mapping of settings, got "5"
gatepbx.yaml:11: extensions[0]: expected a mapping of settings, got "101"`,
		},
		{
			name: "type error hides validation of the same field",
			yaml: "extensions:\n  - number: [1]\n    kind: api\n    url: http://127.0.0.1/\n",
			want: `gatepbx.yaml:2: extensions[0].number: expected text, got a list`,
		},
		{
			name: "root is not a mapping",
			yaml: "- board: sim\n",
			want: "gatepbx.yaml:1: expected a mapping of settings, got a list",
		},
		{
			name: "non-scalar key",
			yaml: "board: sim\n? [a, b]\n: c\n",
			want: "gatepbx.yaml:2: keys must be plain names, got a list",
		},
		{
			name: "syntax error",
			yaml: "board: sim\nsip:\n  udp_port: 5060\n   tcp_port: 5060\n",
			want: "gatepbx.yaml:4: mapping values are not allowed in this context",
		},
		{
			name: "tab indentation",
			yaml: "board: sim\nsip:\n\tudp_port: 5060\n",
			want: "gatepbx.yaml:3: found character that cannot start any token",
		},
		{
			name: "unterminated quote",
			yaml: "board: sim\nregion: \"us\n",
			want: "gatepbx.yaml:2: found unexpected end of stream",
		},
		{
			name: "control character",
			yaml: "board: sim\nregion: \"u\x01s\"\n",
			want: "gatepbx.yaml:2: control characters are not allowed",
		},
		{
			name: "two documents",
			yaml: "board: sim\n---\nboard: pi\n",
			want: `gatepbx.yaml:2: only one YAML document is allowed (remove the extra "---")`,
		},
		{
			name: "too large",
			yaml: "board: sim\n" + strings.Repeat("#", MaxFileSize),
			want: "gatepbx.yaml: file is larger than 1048576 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("gatepbx.yaml", []byte(tt.yaml))
			got := ""
			if err != nil {
				got = err.Error()
				if !c.Equal(Config{}) {
					t.Errorf("Parse returned a non-zero Config with an error")
				}
			}
			if got != tt.want {
				t.Errorf("Parse error:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestParseGood(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, c Config)
	}{
		{
			name:  "empty file is the defaults",
			yaml:  "",
			check: func(t *testing.T, c Config) { equalConfigs(t, c, Defaults()) },
		},
		{
			name:  "comments only",
			yaml:  "# nothing here\n",
			check: func(t *testing.T, c Config) { equalConfigs(t, c, Defaults()) },
		},
		{
			name:  "empty sections keep defaults",
			yaml:  "sip:\nrtp: {}\nboard:\n",
			check: func(t *testing.T, c Config) { equalConfigs(t, c, Defaults()) },
		},
		{
			name: "partial section keeps other defaults",
			yaml: "sip:\n  udp_port: 5070\n  ring_timeout: 1m30s\n  nonce_lifetime: 90s\n",
			check: func(t *testing.T, c Config) {
				want := Defaults()
				want.SIP.UDPPort = 5070
				want.SIP.RingTimeout = 90 * time.Second
				want.SIP.NonceLifetime = 90 * time.Second
				equalConfigs(t, c, want)
			},
		},
		{
			name: "every kind of extension",
			yaml: `region: uk
log_level: debug
sip:
  tls_cert_file: cert.pem
  tls_key_file: key.pem
  digest_algorithms: [SHA-256]
rtp:
  telephone_event: no
  media_timeout: 0s
api:
  users:
    - username: ops@example
      password_hash: "` + validHash + `"
      allowed_networks: ["192.168.1.0/24", "::1/128"]
extensions:
  - number: "101"
    kind: sip
    display_name: Reception
    password: "s3cret-pass"
  - number: 201
    kind: analog
    port: fxs0
  - number: "*98#"
    kind: api
    script: ivr/menu.ozml
  - number: "801"
    kind: api
    url: https://127.0.0.1:8443/calls
`,
			check: func(t *testing.T, c Config) {
				if c.Region != "uk" || c.LogLevel != "debug" || c.RTP.TelephoneEvent || c.RTP.MediaTimeout != 0 {
					t.Errorf("top-level settings not read: %+v", c)
				}
				if len(c.Extensions) != 4 || c.Extensions[1].Number != "201" || c.Extensions[2].Script != "ivr/menu.ozml" {
					t.Errorf("extensions = %+v", c.Extensions)
				}
				if len(c.API.Users) != 1 || c.API.Users[0].AllowedNetworks[1] != "::1/128" || c.API.Users[0].AllowedCommands != nil {
					t.Errorf("users = %+v", c.API.Users)
				}
				if got := c.ScriptPath(c.Extensions[2]); got != filepath.Join("data", "scripts", "ivr", "menu.ozml") {
					t.Errorf("ScriptPath = %q", got)
				}
			},
		},
		{
			name: "alias reuses a list",
			yaml: `api:
  users:
    - username: a
      password_hash: "` + validHash + `"
      allowed_networks: &lan ["10.0.0.0/8"]
    - username: b
      password_hash: "` + validHash + `"
      allowed_networks: *lan
`,
			check: func(t *testing.T, c Config) {
				if got := c.API.Users[1].AllowedNetworks; len(got) != 1 || got[0] != "10.0.0.0/8" {
					t.Errorf("aliased networks = %v", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("gatepbx.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseErrorFields(t *testing.T) {
	_, err := Parse("gatepbx.yaml", []byte("board: sim\nsip:\n  udp_port: abc\nregion: xx\n"))
	var got []Error
	for _, e := range unwrapAll(err) {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Fatalf("error %T is not a *Error: %v", e, e)
		}
		got = append(got, *ce)
	}
	want := []Error{
		{File: "gatepbx.yaml", Line: 3, Field: "sip.udp_port", Problem: `expected a whole number, got "abc"`},
		{File: "gatepbx.yaml", Line: 4, Field: "region", Problem: `unknown region "xx" (allowed: us, uk, eu, de, fr, au, hu)`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("error %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gatepbx.yaml")
	if err := os.WriteFile(path, []byte("board: pi\nregion: de\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Board != "pi" || c.Region != "de" {
		t.Errorf("Load = board %q region %q", c.Board, c.Region)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("board: pi\nregion: xx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	if want := bad + `:2: region: unknown region "xx" (allowed: us, uk, eu, de, fr, au, hu)`; err == nil || err.Error() != want {
		t.Errorf("Load(bad) = %v, want %s", err, want)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
}

// unwrapAll flattens errors.Join results.
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func equalConfigs(t *testing.T, got, want Config) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("config differs:\n got: %+v\nwant: %+v", got, want)
	}
}
