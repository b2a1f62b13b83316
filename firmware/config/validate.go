package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

type region struct{ code, name string }

// regions lists the telephony regions the analog line engine knows (tones,
// ring cadences, caller ID conventions).
var regions = []region{
	{"us", "United States"},
	{"uk", "United Kingdom"},
	{"eu", "Europe (ETSI)"},
	{"de", "Germany"},
	{"fr", "France"},
	{"au", "Australia"},
	{"hu", "Hungary"},
}

type logLevel struct {
	name  string
	level slog.Level
}

// logLevels are the allowed log_level values.
var logLevels = []logLevel{
	{"debug", slog.LevelDebug},
	{"info", slog.LevelInfo},
	{"warn", slog.LevelWarn},
	{"error", slog.LevelError},
}

var (
	digestAlgorithmNames = []string{"MD5", "SHA-256"}
	codecNames           = []string{"PCMU", "PCMA"}
	srtpPolicies         = []string{SRTPOff, SRTPOptional, SRTPRequired}
	extensionKinds       = []string{KindSIP, KindAnalog, KindAPI}
)

const (
	maxNumberLength     = 32
	minSIPPasswordLen   = 8
	minNotifySecretLen  = 16
	maxNotifySecretLen  = 256
	maxNameLength       = 64 // usernames, port names, command names
	minRTPPort          = 1024
	maxPort             = 65535
	extensionNumberHint = "1 to 32 characters of 0-9, * and #"
)

// Validate checks every rule of the configuration and reports every problem
// as an *Error (several joined with errors.Join). For a Config built in code
// the errors read "<field path>: <problem>"; for one from Parse they also
// name the file and line. It does not check that analog ports exist on the
// board; see ValidatePorts.
func Validate(c *Config) error {
	if c == nil {
		return &Error{Problem: "no config"}
	}
	return joinErrors(validate(c, c.source))
}

// ValidatePorts reports analog extensions whose port does not exist
// according to exists (the board's port lookup; nil skips that check), and
// ports bound to more than one extension. Errors name the file and line when
// c came from Parse.
func (c *Config) ValidatePorts(exists func(name string) bool) error {
	k := &checker{src: c.source}
	firstUse := map[string]int{}
	for i, e := range c.Extensions {
		if e.Kind != KindAnalog || e.Port == "" {
			continue
		}
		field := indexPath("extensions", i) + ".port"
		if exists != nil && !exists(e.Port) {
			k.addf(field, "no port %q on board %q", e.Port, c.Board)
			continue
		}
		if first, dup := firstUse[e.Port]; dup {
			k.addf(field, "port %q is already used by extension %q (%s)", e.Port, c.Extensions[first].Number, k.at(indexPath("extensions", first)+".port"))
			continue
		}
		firstUse[e.Port] = i
	}
	return joinErrors(k.errs)
}

// checker collects validation problems.
type checker struct {
	src  *source
	errs []*Error
}

func (k *checker) addf(field, format string, args ...any) {
	k.errs = append(k.errs, k.src.errorAt(field, fmt.Sprintf(format, args...)))
}

// at names where field was written: "line 7" when known, else the field path.
func (k *checker) at(field string) string {
	if line, ok := k.src.exactLine(field); ok {
		return "line " + strconv.Itoa(line)
	}
	return field
}

func validate(c *Config, src *source) []*Error {
	k := &checker{src: src}
	k.top(c)
	k.sip(&c.SIP)
	k.rtp(&c.RTP)
	k.api(&c.API)
	if c.History.MaxRecords <= 0 {
		k.addf("history.max_records", "must be greater than 0, got %d", c.History.MaxRecords)
	}
	k.messaging(c)
	k.extensions(c.Extensions)
	k.portConflicts(c)
	k.dialplan(c)
	k.analog(c)
	return k.errs
}

func (k *checker) top(c *Config) {
	if c.DataDir == "" {
		k.addf("data_dir", "required")
	}
	if c.Board == "" {
		k.addf("board", "required (use \"sim\" for the simulated board)")
	}
	if !slices.ContainsFunc(regions, func(r region) bool { return r.code == c.Region }) {
		codes := make([]string, len(regions))
		for i, r := range regions {
			codes[i] = r.code
		}
		k.addf("region", "unknown region %q (allowed: %s)", c.Region, strings.Join(codes, ", "))
	}
	if !slices.ContainsFunc(logLevels, func(l logLevel) bool { return l.name == c.LogLevel }) {
		k.addf("log_level", "unknown level %q (allowed: debug, info, warn, error)", c.LogLevel)
	}
}

func (k *checker) sip(s *SIP) {
	k.requiredIP("sip.bind_address", s.BindAddress)
	if s.AdvertiseAddress != "" {
		if a, err := netip.ParseAddr(s.AdvertiseAddress); err != nil {
			k.addf("sip.advertise_address", "%q is not an IP address (leave it empty to pick one automatically)", s.AdvertiseAddress)
		} else if a.IsUnspecified() {
			k.addf("sip.advertise_address", "%q is not an address other devices can reach", s.AdvertiseAddress)
		}
	}
	k.port("sip.udp_port", s.UDPPort, 0)
	k.port("sip.tcp_port", s.TCPPort, 0)
	k.port("sip.tls_port", s.TLSPort, 0)
	if s.UDPPort == 0 && s.TCPPort == 0 && s.TLSPort == 0 {
		k.addf("sip", "every transport is disabled; set udp_port, tcp_port or tls_port")
	}
	if s.TCPPort != 0 && s.TCPPort == s.TLSPort {
		k.addf("sip.tls_port", "same as sip.tcp_port (%d); TCP and TLS need different ports", s.TLSPort)
	}
	switch {
	case s.TLSCertFile != "" && s.TLSKeyFile == "":
		k.addf("sip.tls_key_file", "required when sip.tls_cert_file is set (set both or neither)")
	case s.TLSCertFile == "" && s.TLSKeyFile != "":
		k.addf("sip.tls_cert_file", "required when sip.tls_key_file is set (set both or neither)")
	}
	k.headerText("sip.realm", s.Realm, true)
	k.list("sip.digest_algorithms", s.DigestAlgorithms, digestAlgorithmNames)
	k.positive("sip.nonce_lifetime", s.NonceLifetime)
	if s.RegisterMinExpires < 1 {
		k.addf("sip.register_min_expires", "must be at least 1 second, got %d", s.RegisterMinExpires)
	}
	if s.RegisterMaxExpires < s.RegisterMinExpires {
		k.addf("sip.register_max_expires", "must not be less than register_min_expires (%d), got %d", s.RegisterMinExpires, s.RegisterMaxExpires)
	}
	if s.RegisterDefaultExpires < s.RegisterMinExpires || s.RegisterDefaultExpires > s.RegisterMaxExpires {
		k.addf("sip.register_default_expires", "must be between register_min_expires (%d) and register_max_expires (%d), got %d",
			s.RegisterMinExpires, s.RegisterMaxExpires, s.RegisterDefaultExpires)
	}
	k.positive("sip.ring_timeout", s.RingTimeout)
	if s.AuthFailureLimit < 1 {
		k.addf("sip.auth_failure_limit", "must be at least 1, got %d", s.AuthFailureLimit)
	}
	k.positive("sip.auth_failure_window", s.AuthFailureWindow)
	if s.MaxTransactions < 0 {
		k.addf("sip.max_transactions", "must be 0 (automatic) or more, got %d", s.MaxTransactions)
	}
	if s.MaxConnections < 0 {
		k.addf("sip.max_connections", "must be 0 (automatic) or more, got %d", s.MaxConnections)
	}
	if s.UserAgent == "" {
		k.addf("sip.user_agent", "required")
	} else if hasControl(s.UserAgent) {
		k.addf("sip.user_agent", "must not contain control characters or line breaks")
	}
}

// validRTPRange reports whether port_min and port_max pass validation.
func validRTPRange(r *RTP) bool {
	return r.PortMin >= minRTPPort && r.PortMin <= maxPort-1 && r.PortMin%2 == 0 && r.PortMax > r.PortMin && r.PortMax <= maxPort
}

func (k *checker) rtp(r *RTP) {
	if r.BindAddress != "" {
		k.requiredIP("rtp.bind_address", r.BindAddress)
	}
	switch {
	case r.PortMin < minRTPPort || r.PortMin > maxPort-1:
		k.addf("rtp.port_min", "must be between %d and %d, got %d", minRTPPort, maxPort-1, r.PortMin)
	case r.PortMin%2 != 0:
		k.addf("rtp.port_min", "must be even (RTP uses even ports, RTCP the odd one above), got %d", r.PortMin)
	case r.PortMax <= r.PortMin || r.PortMax > maxPort:
		k.addf("rtp.port_max", "must be greater than rtp.port_min (%d) and at most %d, got %d", r.PortMin, maxPort, r.PortMax)
	}
	if r.MediaTimeout < 0 {
		k.addf("rtp.media_timeout", "must not be negative (0s disables it), got %s", r.MediaTimeout)
	}
	k.list("rtp.codecs", r.Codecs, codecNames)
	k.oneOf("rtp.srtp", r.SRTP, srtpPolicies)
}

// oneOf checks a value taken from allowed.
func (k *checker) oneOf(field, value string, allowed []string) {
	if !slices.Contains(allowed, value) {
		k.addf(field, "unknown value %q (allowed: %s)", value, strings.Join(allowed, ", "))
	}
}

func (k *checker) api(a *API) {
	k.requiredIP("api.bind_address", a.BindAddress)
	k.port("api.port", a.Port, 1)
	if a.RoutingInterceptionURL != "" {
		if problem := checkHTTPURL(a.RoutingInterceptionURL); problem != "" {
			k.addf("api.routing_interception_url", "%s", problem)
		}
	}
	if t := a.RoutingInterceptionTimeout; t < 100*time.Millisecond || t > 30*time.Second {
		k.addf("api.routing_interception_timeout", "must be 100ms to 30s, got %s", t)
	}
	k.ozml(&a.OzML)
	firstUser := map[string]int{}
	for i, u := range a.Users {
		field := indexPath("api.users", i)
		switch {
		case u.Username == "":
			k.addf(field+".username", "required")
		case !isName(u.Username, "._-@"):
			k.addf(field+".username", "%q must be 1 to %d letters, digits, \".\", \"_\", \"-\" or \"@\"", u.Username, maxNameLength)
		default:
			if first, dup := firstUser[u.Username]; dup {
				k.addf(field+".username", "duplicate username %q (first defined at %s)", u.Username, k.at(indexPath("api.users", first)+".username"))
			} else {
				firstUser[u.Username] = i
			}
		}
		if u.PasswordHash == "" {
			k.addf(field+".password_hash", "required (make one with HashPassword)")
		} else if _, err := parsePasswordHash(u.PasswordHash); err != nil {
			k.addf(field+".password_hash", "%v", err)
		}
		seenCommand := map[string]bool{}
		for j, cmd := range u.AllowedCommands {
			cf := indexPath(field+".allowed_commands", j)
			switch {
			case !isName(cmd, "._-"):
				k.addf(cf, "%q is not a command name", cmd)
			case seenCommand[strings.ToLower(cmd)]:
				k.addf(cf, "duplicate command %q", cmd)
			}
			seenCommand[strings.ToLower(cmd)] = true
		}
		k.notifySecret(field, u.NotifySecret)
		for j, network := range u.AllowedNetworks {
			nf := indexPath(field+".allowed_networks", j)
			p, err := netip.ParsePrefix(network)
			switch {
			case err != nil:
				k.addf(nf, "%q is not a network in CIDR form like 192.168.1.0/24", network)
			case p != p.Masked():
				k.addf(nf, "%q has host bits set; did you mean %q?", network, p.Masked().String())
			}
		}
	}
}

func (k *checker) extensions(exts []Extension) {
	firstNumber := map[string]int{}
	firstPort := map[string]int{}
	for i, e := range exts {
		field := indexPath("extensions", i)
		switch {
		case e.Number == "":
			k.addf(field+".number", "required (%s)", extensionNumberHint)
		case !isExtensionNumber(e.Number):
			k.addf(field+".number", "%q must be %s", e.Number, extensionNumberHint)
		default:
			if first, dup := firstNumber[e.Number]; dup {
				k.addf(field+".number", "duplicate number %q (first defined at %s)", e.Number, k.at(indexPath("extensions", first)+".number"))
			} else {
				firstNumber[e.Number] = i
			}
		}
		k.headerText(field+".display_name", e.DisplayName, false)
		if e.PickupGroup != "" && (len(e.PickupGroup) > 32 || !isName(e.PickupGroup, "_-")) {
			k.addf(field+".pickup_group", "%q must be up to 32 letters, digits, _ or -", e.PickupGroup)
		}

		switch e.Kind {
		case KindSIP:
			switch {
			case e.Password == "":
				k.addf(field+".password", "required for kind %q (at least %d characters)", e.Kind, minSIPPasswordLen)
			case utf8.RuneCountInString(e.Password) < minSIPPasswordLen:
				k.addf(field+".password", "must be at least %d characters", minSIPPasswordLen)
			case hasControl(e.Password):
				k.addf(field+".password", "must not contain control characters")
			}
			k.unused(field, e.Kind, "port", e.Port)
			k.unused(field, e.Kind, "url", e.URL)
			k.unused(field, e.Kind, "script", e.Script)
			k.unused(field, e.Kind, "notify_secret", e.NotifySecret)
			if e.SRTP != "" {
				k.oneOf(field+".srtp", e.SRTP, srtpPolicies)
			}
		case KindAnalog:
			switch {
			case e.Port == "":
				k.addf(field+".port", "required for kind %q (the board's port name, like \"fxs0\")", e.Kind)
			case !isName(e.Port, "._-"):
				k.addf(field+".port", "%q is not a port name", e.Port)
			default:
				if first, dup := firstPort[e.Port]; dup {
					k.addf(field+".port", "port %q is already used by extension %q (%s)", e.Port, exts[first].Number, k.at(indexPath("extensions", first)+".port"))
				} else {
					firstPort[e.Port] = i
				}
			}
			k.unused(field, e.Kind, "password", e.Password)
			k.unused(field, e.Kind, "url", e.URL)
			k.unused(field, e.Kind, "script", e.Script)
			k.unused(field, e.Kind, "srtp", e.SRTP)
			k.unused(field, e.Kind, "notify_secret", e.NotifySecret)
		case KindAPI:
			switch {
			case e.URL == "" && e.Script == "":
				k.addf(field, "kind %q needs a url or a script", e.Kind)
			case e.URL != "" && e.Script != "":
				k.addf(field+".script", "set url or script, not both")
			case e.URL != "":
				if problem := checkHTTPURL(e.URL); problem != "" {
					k.addf(field+".url", "%s", problem)
				}
			default:
				if !isScriptName(e.Script) {
					k.addf(field+".script", "%q must be a file name inside data_dir/scripts (relative, no \"..\")", e.Script)
				}
			}
			k.unused(field, e.Kind, "password", e.Password)
			k.unused(field, e.Kind, "port", e.Port)
			k.unused(field, e.Kind, "srtp", e.SRTP)
			k.notifySecret(field, e.NotifySecret)
		case "":
			k.addf(field+".kind", "required (one of %s)", strings.Join(extensionKinds, ", "))
		default:
			k.addf(field+".kind", "unknown kind %q (allowed: %s)", e.Kind, strings.Join(extensionKinds, ", "))
		}
	}
}

// notifySecret checks the notify_secret under field (empty: none).
func (k *checker) notifySecret(field, secret string) {
	switch n := utf8.RuneCountInString(secret); {
	case secret == "":
	case n < minNotifySecretLen || len(secret) > maxNotifySecretLen:
		k.addf(field+".notify_secret", "must be %d to %d characters, got %d", minNotifySecretLen, maxNotifySecretLen, n)
	case !utf8.ValidString(secret) || hasControl(secret):
		k.addf(field+".notify_secret", "must be valid UTF-8 without control characters")
	}
}

// portConflicts reports listeners that would bind the same port.
func (k *checker) portConflicts(c *Config) {
	sipBind, apiBind := c.SIP.BindAddress, c.API.BindAddress
	if c.API.Port != 0 && addressesOverlap(sipBind, apiBind) {
		for _, p := range []struct {
			name string
			port int
		}{{"sip.tcp_port", c.SIP.TCPPort}, {"sip.tls_port", c.SIP.TLSPort}} {
			if p.port == c.API.Port {
				k.addf("api.port", "%d is already used by %s", c.API.Port, p.name)
			}
		}
	}
	rtpBind := c.RTP.BindAddress
	if rtpBind == "" {
		rtpBind = sipBind
	}
	// The relay uses port_min..port_max and, for RTCP, the port above an even one.
	if c.SIP.UDPPort != 0 && validRTPRange(&c.RTP) && c.SIP.UDPPort >= c.RTP.PortMin && c.SIP.UDPPort <= c.RTP.PortMax+1 && addressesOverlap(sipBind, rtpBind) {
		k.addf("sip.udp_port", "%d lies inside the RTP port range %d-%d", c.SIP.UDPPort, c.RTP.PortMin, c.RTP.PortMax)
	}
}

// addressesOverlap reports whether listeners on a and b could collide: the
// same address, or either one is the wildcard. Unparsable addresses are
// reported elsewhere and never overlap.
func addressesOverlap(a, b string) bool {
	x, errX := netip.ParseAddr(a)
	y, errY := netip.ParseAddr(b)
	if errX != nil || errY != nil {
		return false
	}
	return x == y || x.IsUnspecified() || y.IsUnspecified()
}

func (k *checker) requiredIP(field, value string) {
	if value == "" {
		k.addf(field, "required (0.0.0.0 means every address)")
		return
	}
	if _, err := netip.ParseAddr(value); err != nil {
		k.addf(field, "%q is not an IP address", value)
	}
}

// port checks a port number; ports below low are invalid (0 may disable).
func (k *checker) port(field string, port, low int) {
	if port < low || port > maxPort {
		if low == 0 {
			k.addf(field, "must be between 1 and %d, or 0 to disable, got %d", maxPort, port)
		} else {
			k.addf(field, "must be between %d and %d, got %d", low, maxPort, port)
		}
	}
}

func (k *checker) positive(field string, d time.Duration) {
	if d <= 0 {
		k.addf(field, "must be greater than 0, got %s", d)
	}
}

// list checks a non-empty list of names taken from allowed, without repeats.
func (k *checker) list(field string, values, allowed []string) {
	if len(values) == 0 {
		k.addf(field, "must list at least one of %s", strings.Join(allowed, ", "))
		return
	}
	first := map[string]int{}
	for i, v := range values {
		item := indexPath(field, i)
		if !slices.Contains(allowed, v) {
			k.addf(item, "unknown value %q (allowed: %s)", v, strings.Join(allowed, ", "))
			continue
		}
		if j, dup := first[v]; dup {
			k.addf(item, "duplicate %q (first listed at %s)", v, k.at(indexPath(field, j)))
			continue
		}
		first[v] = i
	}
}

// headerText checks text that goes into a quoted SIP header value.
func (k *checker) headerText(field, value string, required bool) {
	switch {
	case value == "":
		if required {
			k.addf(field, "required")
		}
	case !utf8.ValidString(value):
		k.addf(field, "must be valid UTF-8")
	case hasControl(value) || strings.ContainsAny(value, "\"\\"):
		k.addf(field, "must not contain quotes, backslashes, line breaks or other control characters")
	}
}

// unused reports a field set on an extension kind that does not use it.
func (k *checker) unused(field, kind, name, value string) {
	if value != "" {
		k.addf(field+"."+name, "not used by kind %q; remove it", kind)
	}
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// isName reports whether s is 1..maxNameLength ASCII letters, digits or
// characters from extra.
func isName(s, extra string) bool {
	if s == "" || len(s) > maxNameLength {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}

func isExtensionNumber(s string) bool {
	if s == "" || len(s) > maxNumberLength {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '*' || r == '#') {
			return false
		}
	}
	return true
}

// checkHTTPURL returns what is wrong with an API extension URL, or "".
func checkHTTPURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || hasControl(raw):
		return fmt.Sprintf("%q is not a valid URL", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q must start with http:// or https://", raw)
	case u.Host == "":
		return fmt.Sprintf("%q has no host", raw)
	}
	return ""
}

// isScriptName reports whether a script name stays inside the scripts
// directory: relative, no ".." element, no control characters.
func isScriptName(name string) bool {
	if name == "" || hasControl(name) || path.IsAbs(name) || filepath.IsAbs(name) || !filepath.IsLocal(name) {
		return false
	}
	for elem := range strings.SplitSeq(strings.ReplaceAll(name, "\\", "/"), "/") {
		if elem == ".." {
			return false
		}
	}
	return true
}
