package config

import (
	"net"
	"net/mail"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// SMTP is the relay SendEmail goes through. An empty Host disables
// e-mail (SendEmail answers 501).
type SMTP struct {
	Host string `yaml:"host"`
	// Port 0 means the usual port of Security: 25, 587 or 465.
	Port     int    `yaml:"port"`
	Security string `yaml:"security"` // plain, starttls or tls
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// From is the envelope sender, and the From header of mail that
	// names no Sender.
	From string `yaml:"from"`
}

// The SMTP security modes.
const (
	SecurityPlain    = "plain"
	SecurityStartTLS = "starttls"
	SecurityTLS      = "tls"
)

// GSM is the modem SMS go through. An empty Device means no modem;
// GSMSimulated runs the simulated modem.
type GSM struct {
	Device string `yaml:"device"` // a serial device path, "sim" or ""
	Baud   int    `yaml:"baud"`
	// SMSC is the service centre number; "" uses the one on the SIM.
	SMSC string `yaml:"smsc"`
	// HealthInterval is how often signal and registration are asked
	// (shown on /health); CommandTimeout bounds one AT command, after
	// which the modem counts as not responding.
	HealthInterval time.Duration `yaml:"health_interval"`
	CommandTimeout time.Duration `yaml:"command_timeout"`
}

// GSMSimulated is the GSM.Device value that selects the simulated modem.
const GSMSimulated = "sim"

// SMS routes SendSMS and SendMessage and says where incoming messages go.
type SMS struct {
	// SIPMessage sends messages for a SIP extension's number to the phone
	// as a SIP MESSAGE while it is registered.
	SIPMessage bool `yaml:"sip_message"`
	// ModemPrefixes limit which numbers go to the modem: a recipient must
	// start with one of them. Empty: any phone number.
	ModemPrefixes []string `yaml:"modem_prefixes"`
	// IncomingURL receives an IncomingSMS notification for every message
	// that arrives ("" for none); messages are kept for ReceiveMessage
	// either way.
	IncomingURL string `yaml:"incoming_url"`
	// IncomingExtension is the number of an API extension with a url:
	// its application also gets every IncomingSMS, signed with the
	// extension's notify_secret ("" for none).
	IncomingExtension string `yaml:"incoming_extension"`
}

var (
	smtpSecurities = []string{SecurityPlain, SecurityStartTLS, SecurityTLS}
	serialBauds    = []int{9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}
)

// MailDir is where the mail queue lives: DataDir/mail.
func (c *Config) MailDir() string { return filepath.Join(c.DataDir, "mail") }

// InboxDir is where received and sent messages are kept: DataDir/inbox.
func (c *Config) InboxDir() string { return filepath.Join(c.DataDir, "inbox") }

func (k *checker) messaging(c *Config) {
	s := &c.SMTP
	if !slices.Contains(smtpSecurities, s.Security) {
		k.addf("smtp.security", "unknown security %q (allowed: %s)", s.Security, strings.Join(smtpSecurities, ", "))
	}
	k.port("smtp.port", s.Port, 0)
	if s.Host != "" {
		if !isHostName(s.Host) {
			k.addf("smtp.host", "%q is not a host name or IP address", s.Host)
		}
		if s.From == "" {
			k.addf("smtp.from", "required when smtp.host is set (the address the relay accepts mail from)")
		}
	}
	if s.From != "" {
		if a, err := mail.ParseAddress(s.From); err != nil || a.Name != "" {
			k.addf("smtp.from", "%q is not a bare e-mail address like pbx@example.com", s.From)
		}
	}
	switch {
	case s.Username != "" && s.Password == "":
		k.addf("smtp.password", "required when smtp.username is set")
	case s.Username == "" && s.Password != "":
		k.addf("smtp.username", "required when smtp.password is set")
	case hasControl(s.Username) || hasControl(s.Password):
		k.addf("smtp.username", "username and password must not contain control characters")
	case s.Password != "" && s.Security == SecurityPlain && s.Host != "" && !isLoopback(s.Host):
		k.addf("smtp.security", "plain would send the password unencrypted; use starttls or tls")
	}

	g := &c.GSM
	switch {
	case g.Device == "", g.Device == GSMSimulated:
	case !filepath.IsAbs(g.Device) || hasControl(g.Device):
		k.addf("gsm.device", "%q must be an absolute device path like /dev/ttyUSB0, %q or empty", g.Device, GSMSimulated)
	}
	if !slices.Contains(serialBauds, g.Baud) {
		k.addf("gsm.baud", "unsupported speed %d (allowed: 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)", g.Baud)
	}
	if g.SMSC != "" && !isPhoneNumber(g.SMSC) {
		k.addf("gsm.smsc", "%q must be a phone number: digits with an optional leading +", g.SMSC)
	}
	k.positive("gsm.health_interval", g.HealthInterval)
	k.positive("gsm.command_timeout", g.CommandTimeout)

	m := &c.SMS
	for i, p := range m.ModemPrefixes {
		if !isPhoneNumber(p) {
			k.addf(indexPath("sms.modem_prefixes", i), "%q must be digits with an optional leading +", p)
		}
	}
	if m.IncomingURL != "" {
		if problem := checkHTTPURL(m.IncomingURL); problem != "" {
			k.addf("sms.incoming_url", "%s", problem)
		}
	}
	if n := m.IncomingExtension; n != "" {
		e, ok := c.Extension(n)
		switch {
		case !ok:
			k.addf("sms.incoming_extension", "no extension %q", n)
		case e.Kind != KindAPI || e.URL == "":
			k.addf("sms.incoming_extension", "extension %q must be of kind api with a url (an SMS is not a call, so a script cannot take it)", n)
		}
	}
}

// isPhoneNumber: 1 to 20 digits, an optional leading "+".
func isPhoneNumber(s string) bool {
	d := strings.TrimPrefix(s, "+")
	if d == "" || len(d) > 20 {
		return false
	}
	for _, r := range d {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isHostName: an IP address, or a DNS name whose labels are 1 to 63
// letters, digits and "-" (not at either end).
func isHostName(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(s, "."), ".") {
		if len(label) > 63 || !isName(label, "-") || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
	}
	return true
}

// isLoopback: localhost or a loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
