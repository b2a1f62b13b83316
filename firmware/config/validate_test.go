package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// sampleConfig is a valid config built in code, with every kind of extension.
func sampleConfig() Config {
	c := Defaults()
	c.API.Users = []APIUser{{Username: "admin", PasswordHash: validHash}}
	c.Extensions = []Extension{
		{Number: "101", Kind: KindSIP, DisplayName: "Phone 101", Password: "0123456789abcdef"},
		{Number: "201", Kind: KindAnalog, Port: "fxs0"},
		{Number: "202", Kind: KindAnalog, Port: "fxs1"},
		{Number: "800", Kind: KindAPI, Script: "welcome.ozml"},
	}
	return c
}

func TestValidateBuiltInCode(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"valid", func(c *Config) {}, ""},
		{"empty board", func(c *Config) { c.Board = "" }, `board: required (use "sim" for the simulated board)`},
		{"unknown region", func(c *Config) { c.Region = "US" }, `region: unknown region "US" (allowed: us, uk, eu, de, fr, au, hu)`},
		{
			"duplicate number",
			func(c *Config) { c.Extensions[3].Number = "101" },
			`extensions[3].number: duplicate number "101" (first defined at extensions[0].number)`,
		},
		{
			"tls cert without key",
			func(c *Config) { c.SIP.TLSCertFile = "cert.pem" },
			"sip.tls_key_file: required when sip.tls_cert_file is set (set both or neither)",
		},
		{"both tls files", func(c *Config) { c.SIP.TLSCertFile, c.SIP.TLSKeyFile = "cert.pem", "key.pem" }, ""},
		{
			"script escapes",
			func(c *Config) { c.Extensions[3].Script = "../../etc/shadow" },
			`extensions[3].script: "../../etc/shadow" must be a file name inside data_dir/scripts (relative, no "..")`,
		},
		{
			"nil digest algorithms",
			func(c *Config) { c.SIP.DigestAlgorithms = nil },
			"sip.digest_algorithms: must list at least one of MD5, SHA-256",
		},
		{"sha-256 opt-in", func(c *Config) { c.SIP.DigestAlgorithms = []string{"MD5", "SHA-256"} }, ""},
		{"srtp required", func(c *Config) { c.RTP.SRTP = SRTPRequired; c.Extensions[0].SRTP = SRTPOff }, ""},
		{"unknown srtp", func(c *Config) { c.RTP.SRTP = "always" }, `rtp.srtp: unknown value "always" (allowed: off, optional, required)`},
		{
			"extension srtp",
			func(c *Config) { c.Extensions[0].SRTP = "maybe" },
			`extensions[0].srtp: unknown value "maybe" (allowed: off, optional, required)`,
		},
		{"srtp on analog", func(c *Config) { c.Extensions[1].SRTP = SRTPOff }, `extensions[1].srtp: not used by kind "analog"; remove it`},
		{
			"bad CIDR",
			func(c *Config) { c.API.Users[0].AllowedNetworks = []string{"10.0.0.0/8", "300.1.1.0/24"} },
			`api.users[0].allowed_networks[1]: "300.1.1.0/24" is not a network in CIDR form like 192.168.1.0/24`,
		},
		{"notify secret", func(c *Config) { c.API.Users[0].NotifySecret = "0123456789abcdef" }, ""},
		{
			"notify secret too short",
			func(c *Config) { c.API.Users[0].NotifySecret = "short" },
			"api.users[0].notify_secret: must be 16 to 256 characters, got 5",
		},
		{
			"notify secret too long",
			func(c *Config) { c.API.Users[0].NotifySecret = strings.Repeat("s", 257) },
			"api.users[0].notify_secret: must be 16 to 256 characters, got 257",
		},
		{
			"notify secret with a line break",
			func(c *Config) { c.API.Users[0].NotifySecret = "0123456789\nabcdef" },
			"api.users[0].notify_secret: must be valid UTF-8 without control characters",
		},
		{"extension notify secret", func(c *Config) { c.Extensions[3].NotifySecret = "0123456789abcdef" }, ""},
		{
			"extension notify secret too short",
			func(c *Config) { c.Extensions[3].NotifySecret = "short" },
			"extensions[3].notify_secret: must be 16 to 256 characters, got 5",
		},
		{
			"notify secret on a SIP extension",
			func(c *Config) { c.Extensions[0].NotifySecret = "0123456789abcdef" },
			`extensions[0].notify_secret: not used by kind "sip"; remove it`,
		},
		{
			"display name with CRLF",
			func(c *Config) { c.Extensions[0].DisplayName = "x\r\nContact: <sip:evil>" },
			"extensions[0].display_name: must not contain quotes, backslashes, line breaks or other control characters",
		},
		{
			"display name invalid UTF-8",
			func(c *Config) { c.Extensions[0].DisplayName = "\xff" },
			"extensions[0].display_name: must be valid UTF-8",
		},
		{
			"several problems in field order",
			func(c *Config) {
				c.RTP.PortMin = 3
				c.Extensions[1].Port = ""
			},
			"rtp.port_min: must be between 1024 and 65534, got 3\n" +
				`extensions[1].port: required for kind "analog" (the board's port name, like "fxs0")`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleConfig()
			tt.change(&c)
			err := Validate(&c)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	if err := Validate(nil); err == nil {
		t.Error("Validate(nil) = nil")
	}
}

func TestValidatePorts(t *testing.T) {
	board := map[string]bool{"fxs0": true, "fxs1": true}
	exists := func(name string) bool { return board[name] }

	parsed := func(t *testing.T, doc string) Config {
		t.Helper()
		c, err := Parse("gatepbx.yaml", []byte(doc))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		return c
	}
	tests := []struct {
		name   string
		config func(t *testing.T) Config
		exists func(string) bool
		want   string
	}{
		{"all ports exist", func(*testing.T) Config { return sampleConfig() }, exists, ""},
		{
			"missing port, built in code",
			func(*testing.T) Config {
				c := sampleConfig()
				c.Extensions[2].Port = "fxs7"
				return c
			},
			exists,
			`extensions[2].port: no port "fxs7" on board "sim"`,
		},
		{
			"missing port, parsed",
			func(t *testing.T) Config {
				return parsed(t, "board: sim\nextensions:\n  - number: \"201\"\n    kind: analog\n    port: fxs9\n")
			},
			exists,
			`gatepbx.yaml:5: extensions[0].port: no port "fxs9" on board "sim"`,
		},
		{
			"duplicate binding, built in code",
			func(*testing.T) Config {
				c := sampleConfig()
				c.Extensions[2].Port = "fxs0"
				return c
			},
			exists,
			`extensions[2].port: port "fxs0" is already used by extension "201" (extensions[1].port)`,
		},
		{
			"sip and api extensions are not checked",
			func(*testing.T) Config { return sampleConfig() },
			func(name string) bool { return name == "fxs0" || name == "fxs1" },
			"",
		},
		{
			"nil lookup checks only duplicates",
			func(*testing.T) Config {
				c := sampleConfig()
				c.Extensions[1].Port = "nowhere"
				return c
			},
			nil,
			"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.config(t)
			err := c.ValidatePorts(tt.exists)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("ValidatePorts:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestIsScriptName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"welcome.ozml", true},
		{"ivr/menu.ozml", true},
		{"./a.ozml", true},
		{"", false},
		{"..", false},
		{"../a.ozml", false},
		{"a/../b.ozml", false},
		{"a/../../b.ozml", false},
		{`a\..\b`, false},
		{"/etc/passwd", false},
		{"a\x00b", false},
	}
	for _, tt := range tests {
		if got := isScriptName(tt.name); got != tt.want {
			t.Errorf("isScriptName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAddressbookDir(t *testing.T) {
	c := Defaults()
	c.DataDir = "/var/lib/gatepbx"
	if got, want := c.AddressbookDir(), filepath.Join("/var/lib/gatepbx", "addressbooks"); got != want {
		t.Errorf("AddressbookDir() = %q, want %q", got, want)
	}
}
