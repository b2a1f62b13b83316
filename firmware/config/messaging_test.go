package config

import (
	"strings"
	"testing"
	"time"
)

// TestParseMessaging parses the smtp, gsm and sms sections from files:
// values taken, unknown keys and bad values reported with file and line.
func TestParseMessaging(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		want  string // "" for success; else every line must appear in the error
		check func(t *testing.T, c Config)
	}{
		{
			name: "all set",
			yaml: "smtp:\n  host: mail.example.com\n  port: 2525\n  security: tls\n  username: pbx\n  password: secret\n  from: pbx@example.com\n" +
				"gsm:\n  device: /dev/ttyUSB0\n  baud: 9600\n  smsc: \"+3620000000\"\n  health_interval: 30s\n  command_timeout: 2s\n" +
				"sms:\n  sip_message: false\n  modem_prefixes: [\"+36\", \"06\"]\n  incoming_url: http://192.168.1.10/sms\n",
			check: func(t *testing.T, c Config) {
				want := SMTP{Host: "mail.example.com", Port: 2525, Security: "tls", Username: "pbx", Password: "secret", From: "pbx@example.com"}
				if c.SMTP != want {
					t.Errorf("SMTP = %+v", c.SMTP)
				}
				if c.GSM != (GSM{Device: "/dev/ttyUSB0", Baud: 9600, SMSC: "+3620000000", HealthInterval: 30 * time.Second, CommandTimeout: 2 * time.Second}) {
					t.Errorf("GSM = %+v", c.GSM)
				}
				if c.SMS.SIPMessage || strings.Join(c.SMS.ModemPrefixes, ",") != "+36,06" || c.SMS.IncomingURL != "http://192.168.1.10/sms" {
					t.Errorf("SMS = %+v", c.SMS)
				}
				if c.MailDir() != "data/mail" || c.InboxDir() != "data/inbox" {
					t.Errorf("dirs %s %s", c.MailDir(), c.InboxDir())
				}
			},
		},
		{
			name: "defaults",
			yaml: "gsm:\n  device: sim\n",
			check: func(t *testing.T, c Config) {
				if c.SMTP.Security != SecurityStartTLS || c.GSM.Baud != 115200 || !c.SMS.SIPMessage || c.GSM.Device != GSMSimulated ||
					c.GSM.HealthInterval != time.Minute || c.GSM.CommandTimeout != 10*time.Second {
					t.Errorf("defaults not kept: %+v %+v %+v", c.SMTP, c.GSM, c.SMS)
				}
			},
		},
		{name: "plain password to loopback", yaml: "smtp:\n  host: 127.0.0.1\n  security: plain\n  username: a\n  password: b\n  from: a@b.c\n"},
		{name: "unknown key", yaml: "smtp:\n  hostname: x\n", want: `t.yaml:2: smtp.hostname: unknown`},
		{name: "unknown sms key", yaml: "sms:\n  route: modem\n", want: `t.yaml:2: sms.route: unknown`},
		{name: "bad security", yaml: "smtp:\n  security: ssl3\n", want: `t.yaml:2: smtp.security: unknown security "ssl3" (allowed: plain, starttls, tls)`},
		{name: "host without from", yaml: "smtp:\n  host: mail.example.com\n", want: `t.yaml:1: smtp.from: required when smtp.host is set`},
		{name: "bad host", yaml: "smtp:\n  host: \"mail example\"\n  from: a@b.c\n", want: `t.yaml:2: smtp.host: "mail example" is not a host name or IP address`},
		{name: "bad from", yaml: "smtp:\n  host: h\n  from: \"Pbx <a@b.c>\"\n", want: `t.yaml:3: smtp.from: "Pbx <a@b.c>" is not a bare e-mail address`},
		{name: "bad port", yaml: "smtp:\n  port: 70000\n", want: `t.yaml:2: smtp.port: must be between 1 and 65535, or 0 to disable, got 70000`},
		{name: "username alone", yaml: "smtp:\n  username: a\n", want: `smtp.password: required when smtp.username is set`},
		{name: "password in clear", yaml: "smtp:\n  host: mail.example.com\n  security: plain\n  username: a\n  password: b\n  from: a@b.c\n",
			want: `t.yaml:3: smtp.security: plain would send the password unencrypted`},
		{name: "relative device", yaml: "gsm:\n  device: ttyUSB0\n", want: `t.yaml:2: gsm.device: "ttyUSB0" must be an absolute device path`},
		{name: "bad baud", yaml: "gsm:\n  baud: 1234\n", want: `t.yaml:2: gsm.baud: unsupported speed 1234`},
		{name: "bad baud type", yaml: "gsm:\n  baud: fast\n", want: `t.yaml:2: gsm.baud:`},
		{name: "zero health interval", yaml: "gsm:\n  health_interval: 0s\n", want: `t.yaml:2: gsm.health_interval: must be greater than 0, got 0s`},
		{name: "bad smsc", yaml: "gsm:\n  smsc: \"+36-20\"\n", want: `t.yaml:2: gsm.smsc: "+36-20" must be a phone number`},
		{name: "bad prefix", yaml: "sms:\n  modem_prefixes: [\"+36\", x]\n", want: `t.yaml:2: sms.modem_prefixes[1]: "x" must be digits`},
		{name: "bad url", yaml: "sms:\n  incoming_url: ftp://x/\n", want: `t.yaml:2: sms.incoming_url: "ftp://x/" must start with http:// or https://`},
		{name: "incoming extension unknown", yaml: "sms:\n  incoming_extension: \"999\"\n", want: `t.yaml:2: sms.incoming_extension: no extension "999"`},
		{name: "incoming extension not api", yaml: "extensions:\n  - number: \"101\"\n    kind: sip\n    password: secret-101-x\nsms:\n  incoming_extension: \"101\"\n",
			want: `t.yaml:6: sms.incoming_extension: extension "101" must be of kind api with a url`},
		{name: "incoming extension", yaml: "extensions:\n  - number: \"200\"\n    kind: api\n    url: http://192.168.1.10/ivr\nsms:\n  incoming_extension: \"200\"\n",
			check: func(t *testing.T, c Config) {
				if c.SMS.IncomingExtension != "200" {
					t.Errorf("SMS = %+v", c.SMS)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(tt.yaml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestMarshalMessagingRoundTrip: the new sections survive Marshal and Parse.
func TestMarshalMessagingRoundTrip(t *testing.T) {
	c := sampleConfig()
	c.SMTP = SMTP{Host: "smtp.example.com", Port: 465, Security: SecurityTLS, Username: "pbx", Password: "p#ss: word", From: "pbx@example.com"}
	c.GSM = GSM{Device: "/dev/ttyAMA0", Baud: 9600, SMSC: "+3620000000", HealthInterval: 5 * time.Minute, CommandTimeout: 3 * time.Second}
	c.SMS = SMS{ModemPrefixes: []string{"+36", "06"}, IncomingURL: "http://192.168.1.10/sms?k=1"}
	data, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("round.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !back.Equal(c) {
		t.Fatalf("round trip changed the config:\n%s", data)
	}
}
