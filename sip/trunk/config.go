package trunk

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Defaults for the fields a Config leaves zero.
const (
	DefaultExpires  = 3600 // seconds asked for in REGISTER
	DefaultRetryMin = 5 * time.Second
	DefaultRetryMax = 10 * time.Minute
)

// Config is one SIP trunk.
type Config struct {
	// Name identifies the trunk in routes (target trunk:NAME), status and logs.
	Name string `yaml:"name"`
	// Registrar is the provider's host or host:port (5060, or 5061 for TLS).
	Registrar string `yaml:"registrar"`
	// Transport is udp (default), tcp or tls.
	Transport string `yaml:"transport,omitempty"`
	// Domain is the domain of our address of record; the registrar's host
	// when empty.
	Domain string `yaml:"domain,omitempty"`
	// Username is the account: the user of our address of record and of
	// the Contact, and the digest user name unless AuthUsername is set.
	Username     string `yaml:"username"`
	AuthUsername string `yaml:"auth_username,omitempty"`
	Password     string `yaml:"password,omitempty"`
	// Register makes the appliance register with the provider; trunks
	// authenticated by IP address leave it false.
	Register bool `yaml:"register"`
	// Expires is the registration lifetime asked for, in seconds.
	Expires int `yaml:"expires,omitempty"`
	// RetryMin and RetryMax bound the backoff after a failed registration:
	// RetryMin, doubled on each failure, at most RetryMax.
	RetryMin time.Duration `yaml:"retry_min,omitempty"`
	RetryMax time.Duration `yaml:"retry_max,omitempty"`
	// Inbound maps the numbers the provider's calls are for (DIDs) to
	// local numbers; InboundDefault takes the DIDs not listed ("": they
	// get 404). See Inbound for how the provider's calls are recognised.
	Inbound        []DID  `yaml:"inbound,omitempty"`
	InboundDefault string `yaml:"inbound_default,omitempty"`
}

// DID routes one dialled number of a trunk's inbound calls.
type DID struct {
	Number string `yaml:"did"` // as the provider sends it
	To     string `yaml:"to"`  // the local number (extension or ring group) that rings
}

// Validate checks c; errors name the field.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" || strings.ContainsAny(c.Name, " \t:") {
		errs = append(errs, fmt.Errorf("name: %q must be set and have no spaces or colons", c.Name))
	}
	if _, _, err := splitHostPort(c.Registrar); err != nil {
		errs = append(errs, fmt.Errorf("registrar: %w", err))
	}
	switch strings.ToLower(c.Transport) {
	case "", "udp", "tcp", "tls":
	default:
		errs = append(errs, fmt.Errorf("transport: %q is not udp, tcp or tls", c.Transport))
	}
	if strings.ContainsAny(c.Domain, " \t@:;<>") {
		errs = append(errs, fmt.Errorf("domain: %q is not a host name", c.Domain))
	}
	if c.Username == "" || strings.ContainsAny(c.Username, " \t@:;<>\"") {
		errs = append(errs, fmt.Errorf("username: %q must be set and be a SIP user part", c.Username))
	}
	if strings.ContainsAny(c.AuthUsername, "\"\r\n") {
		errs = append(errs, fmt.Errorf("auth_username: %q has a quote or line break", c.AuthUsername))
	}
	if c.Register && c.Password == "" {
		errs = append(errs, errors.New("password: missing, needed to register"))
	}
	if c.Expires < 0 || c.Expires > 0 && c.Expires < 30 {
		errs = append(errs, fmt.Errorf("expires: %d must be at least 30 seconds (or 0 for %d)", c.Expires, DefaultExpires))
	}
	if c.RetryMin < 0 {
		errs = append(errs, fmt.Errorf("retry_min: %v is negative", c.RetryMin))
	}
	if c.RetryMax < 0 || c.RetryMax > 0 && c.RetryMax < c.retryMin() {
		errs = append(errs, fmt.Errorf("retry_max: %v is below retry_min %v", c.RetryMax, c.retryMin()))
	}
	dids := map[string]int{}
	for i, d := range c.Inbound {
		if !isNumber(d.Number) {
			errs = append(errs, fmt.Errorf("inbound[%d].did: %q is not a number (digits, leading +)", i, d.Number))
		} else if j, dup := dids[d.Number]; dup {
			errs = append(errs, fmt.Errorf("inbound[%d].did: %s is also inbound[%d]", i, d.Number, j))
		}
		dids[d.Number] = i
		if !isNumber(d.To) {
			errs = append(errs, fmt.Errorf("inbound[%d].to: %q is not a local number", i, d.To))
		}
	}
	if c.InboundDefault != "" && !isNumber(c.InboundDefault) {
		errs = append(errs, fmt.Errorf("inbound_default: %q is not a local number", c.InboundDefault))
	}
	return errors.Join(errs...)
}

// isNumber reports whether s is digits with an optional leading +, at
// most 32 characters.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" || len(s) > 32 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// splitHostPort reads host or host:port (IPv6 in brackets); port is 0
// when absent.
func splitHostPort(s string) (host string, port int, err error) {
	if s == "" {
		return "", 0, errors.New("missing")
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", 0, fmt.Errorf("%q: bad port", s)
		}
		if h == "" {
			return "", 0, fmt.Errorf("%q: no host", s)
		}
		return h, n, nil
	}
	if strings.ContainsAny(s, " \t@;<>/[]") || strings.Count(s, ":") == 1 {
		return "", 0, fmt.Errorf("%q is not host or host:port", s)
	}
	return strings.Trim(s, "[]"), 0, nil
}

func (c Config) transport() string {
	if c.Transport == "" {
		return "udp"
	}
	return strings.ToLower(c.Transport)
}

func (c Config) expires() int {
	if c.Expires == 0 {
		return DefaultExpires
	}
	return c.Expires
}

func (c Config) retryMin() time.Duration {
	if c.RetryMin == 0 {
		return DefaultRetryMin
	}
	return c.RetryMin
}

func (c Config) retryMax() time.Duration {
	if c.RetryMax == 0 {
		return max(DefaultRetryMax, c.retryMin())
	}
	return c.RetryMax
}

// authUser is the digest user name.
func (c Config) authUser() string {
	if c.AuthUsername != "" {
		return c.AuthUsername
	}
	return c.Username
}

// Backoff is the wait after the n-th consecutive failure (n ≥ 1):
// RetryMin doubled n-1 times, at most RetryMax.
func (c Config) Backoff(n int) time.Duration {
	d, limit := c.retryMin(), c.retryMax()
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// ValidateAll checks a list of trunks, as the config's trunks section:
// each one, and that names are unique. Errors are prefixed trunks[i].
func ValidateAll(cfgs []Config) error {
	var errs []error
	names := map[string]int{}
	for i, c := range cfgs {
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("trunks[%d] (%s): %w", i, c.Name, err))
		}
		if j, dup := names[c.Name]; dup {
			errs = append(errs, fmt.Errorf("trunks[%d].name: %q is also trunks[%d]", i, c.Name, j))
		}
		names[c.Name] = i
	}
	return errors.Join(errs...)
}

// AnswerOptions are the options for waiting on an outbound INVITE through
// this trunk with sipgo's dialog client: its 401/407 challenges are
// answered with the trunk's credentials.
func (c Config) AnswerOptions(onResponse func(*sip.Response) error) sipgo.AnswerOptions {
	return sipgo.AnswerOptions{OnResponse: onResponse, Username: c.authUser(), Password: c.Password}
}
