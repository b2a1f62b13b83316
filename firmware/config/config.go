package config

import (
	"log/slog"
	"path/filepath"
	"reflect"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/trunk"
)

// Extension kinds.
const (
	KindSIP    = "sip"    // a SIP phone that registers with a password
	KindAnalog = "analog" // an FXS port of the board
	KindAPI    = "api"    // an HTTP application or an on-device OzML script
)

// Config is the whole configuration file.
//
// A Config returned by Parse or Load also remembers, in an unexported field,
// which file and line each setting came from so that Validate and
// ValidatePorts can point at them. Compare configs with Equal, which ignores
// that bookkeeping, rather than with reflect.DeepEqual.
type Config struct {
	DataDir    string      `yaml:"data_dir"`
	Board      string      `yaml:"board"`
	Region     string      `yaml:"region"`
	LogLevel   string      `yaml:"log_level"`
	SIP        SIP         `yaml:"sip"`
	RTP        RTP         `yaml:"rtp"`
	API        API         `yaml:"api"`
	History    History     `yaml:"history"`
	SMTP       SMTP        `yaml:"smtp"`
	GSM        GSM         `yaml:"gsm"`
	SMS        SMS         `yaml:"sms"`
	Extensions []Extension `yaml:"extensions"`
	// Analog holds the analog ports' settings: recall ring, FXO inbound.
	Analog Analog `yaml:"analog"`
	// Dialplan is routing beyond the extensions: routes, ring groups,
	// forwarding rules and feature codes.
	Dialplan dialplan.Config `yaml:"dialplan"`
	// Trunks are the SIP providers the appliance registers with and calls
	// out through.
	Trunks []trunk.Config `yaml:"trunks"`

	source *source // where Parse found each field; nil for configs built in code
}

// SIP holds the SIP listeners, registrar and digest authentication settings.
type SIP struct {
	BindAddress            string        `yaml:"bind_address"`
	AdvertiseAddress       string        `yaml:"advertise_address"`
	UDPPort                int           `yaml:"udp_port"`
	TCPPort                int           `yaml:"tcp_port"`
	TLSPort                int           `yaml:"tls_port"`
	TLSCertFile            string        `yaml:"tls_cert_file"`
	TLSKeyFile             string        `yaml:"tls_key_file"`
	Realm                  string        `yaml:"realm"`
	DigestAlgorithms       []string      `yaml:"digest_algorithms"`
	NonceLifetime          time.Duration `yaml:"nonce_lifetime"`
	RegisterMinExpires     int           `yaml:"register_min_expires"`
	RegisterMaxExpires     int           `yaml:"register_max_expires"`
	RegisterDefaultExpires int           `yaml:"register_default_expires"`
	RingTimeout            time.Duration `yaml:"ring_timeout"`
	AuthFailureLimit       int           `yaml:"auth_failure_limit"`
	AuthFailureWindow      time.Duration `yaml:"auth_failure_window"`
	UserAgent              string        `yaml:"user_agent"`
	// MaxTransactions is how many live SIP server transactions there may
	// be before new UDP requests are answered 503 (overload guard); 0:
	// automatic, from the process's soft memory limit.
	MaxTransactions int `yaml:"max_transactions"`
	// MaxConnections caps the open SIP TCP and TLS connections per
	// listener, half of them from one address at most; 0: automatic,
	// from the soft memory limit.
	MaxConnections int `yaml:"max_connections"`
}

// RTP holds the media relay settings.
type RTP struct {
	BindAddress    string        `yaml:"bind_address"`
	PortMin        int           `yaml:"port_min"`
	PortMax        int           `yaml:"port_max"`
	MediaTimeout   time.Duration `yaml:"media_timeout"`
	Codecs         []string      `yaml:"codecs"`
	TelephoneEvent bool          `yaml:"telephone_event"`
	// SRTP is the default SRTP policy of SIP phones: SRTPOff,
	// SRTPOptional or SRTPRequired; an extension's own SRTP overrides it.
	SRTP string `yaml:"srtp"`
}

// SRTP policies (rtp.srtp and an extension's srtp).
const (
	SRTPOff      = "off"      // plain RTP only; RTP/SAVP offers are refused
	SRTPOptional = "optional" // SRTP when the phone offers it, plain RTP offered
	SRTPRequired = "required" // SRTP only: offered, and plain offers refused
)

// Extension returns the extension numbered number.
func (c *Config) Extension(number string) (Extension, bool) {
	for _, e := range c.Extensions {
		if e.Number == number {
			return e, true
		}
	}
	return Extension{}, false
}

// SRTPPolicy is the SRTP policy of extension e: its own, else rtp.srtp.
func (c *Config) SRTPPolicy(e Extension) string {
	if e.SRTP != "" {
		return e.SRTP
	}
	return c.RTP.SRTP
}

// API holds the HTTP API listener and its users.
type API struct {
	BindAddress string    `yaml:"bind_address"`
	Port        int       `yaml:"port"`
	Users       []APIUser `yaml:"users"`
	// RoutingInterceptionURL, when set, is asked where each call goes
	// before it is routed and when the attempt fails (the
	// RoutingInterception notification, api/API.md); "" leaves routing to
	// the dial plan.
	RoutingInterceptionURL string `yaml:"routing_interception_url"`
	// RoutingInterceptionTimeout bounds each question; no answer in time
	// keeps the normal routing.
	RoutingInterceptionTimeout time.Duration `yaml:"routing_interception_timeout"`
	// OzML bounds the scripts of API extensions (see OzML).
	OzML OzML `yaml:"ozml"`
}

// APIUser is one account of the HTTP API.
type APIUser struct {
	Username string `yaml:"username"`
	// PasswordHash is "pbkdf2-sha256$<iterations>$<salt>$<hash>" as made by
	// HashPassword; check a password with CheckPassword.
	PasswordHash string `yaml:"password_hash"`
	// AllowedCommands lists the API commands the user may run; empty means all.
	AllowedCommands []string `yaml:"allowed_commands,omitempty"`
	// AllowedNetworks lists client networks in CIDR form; empty means any.
	AllowedNetworks []string `yaml:"allowed_networks,omitempty"`
	// NotifySecret, when set, signs the notifications sent for this user's
	// commands (FinishedUrl, ErrorUrl, ...) with HMAC-SHA256 so that the
	// application can check they come from this appliance. It is a shared
	// secret, stored as written: at least 16 characters.
	NotifySecret string `yaml:"notify_secret,omitempty"`
}

// History bounds the call history store.
type History struct {
	MaxRecords int `yaml:"max_records"`
}

// Extension is one dialable number.
type Extension struct {
	Number      string `yaml:"number"`
	Kind        string `yaml:"kind"`
	DisplayName string `yaml:"display_name,omitempty"`
	Password    string `yaml:"password,omitempty"` // KindSIP only
	Port        string `yaml:"port,omitempty"`     // KindAnalog only: the hal port name
	URL         string `yaml:"url,omitempty"`      // KindAPI only, or Script
	Script      string `yaml:"script,omitempty"`   // KindAPI only: file in DataDir/scripts
	SRTP        string `yaml:"srtp,omitempty"`     // KindSIP only: overrides rtp.srtp
	// PickupGroup names the extension's call-pickup group: the group
	// pickup code (*8) answers calls ringing extensions of the same group.
	// Extensions that leave it empty share one default group.
	PickupGroup string `yaml:"pickup_group,omitempty"`
	// NotifySecret (KindAPI only), when set, signs the requests the
	// extension's scripts send (IncomingCall, CallConnected, DtmfEntered,
	// GoTo, ...) unless an API user's secret signs them (api/API.md).
	NotifySecret string `yaml:"notify_secret,omitempty"`
}

// Defaults returns the configuration used for every option the file leaves
// out. It has no extensions and no API users.
func Defaults() Config {
	return Config{
		Dialplan: dialplan.DefaultConfig(),
		DataDir:  "./data",
		Board:    "sim",
		Region:   "us",
		LogLevel: "info",
		SIP: SIP{
			BindAddress:            "0.0.0.0",
			UDPPort:                5060,
			TCPPort:                5060,
			TLSPort:                5061,
			Realm:                  "gatepbx",
			DigestAlgorithms:       []string{"MD5"},
			NonceLifetime:          5 * time.Minute,
			RegisterMinExpires:     60,
			RegisterMaxExpires:     3600,
			RegisterDefaultExpires: 600,
			RingTimeout:            60 * time.Second,
			AuthFailureLimit:       20,
			AuthFailureWindow:      time.Minute,
			UserAgent:              "gatepbx",
		},
		RTP: RTP{
			PortMin:        10000,
			PortMax:        20000,
			MediaTimeout:   30 * time.Second,
			Codecs:         []string{"PCMU", "PCMA"},
			TelephoneEvent: true,
			SRTP:           SRTPOptional,
		},
		API: API{
			BindAddress:                "0.0.0.0",
			Port:                       9509,
			RoutingInterceptionTimeout: 3 * time.Second,
			OzML:                       defaultOzML,
		},
		History: History{MaxRecords: 10000},
		SMTP:    SMTP{Security: SecurityStartTLS},
		GSM:     GSM{Baud: 115200, HealthInterval: time.Minute, CommandTimeout: 10 * time.Second},
		SMS:     SMS{SIPMessage: true},
		Analog:  Analog{RecallTimeout: 30 * time.Second},
	}
}

// Equal reports whether two configs hold the same settings, ignoring where
// they were read from. A nil list and an empty list are not equal; Parse
// always yields nil for an empty list.
func (c Config) Equal(other Config) bool {
	c.source, other.source = nil, nil
	return reflect.DeepEqual(c, other)
}

// SlogLevel is LogLevel as a slog level (info when LogLevel is not valid).
func (c *Config) SlogLevel() slog.Level {
	for _, l := range logLevels {
		if l.name == c.LogLevel {
			return l.level
		}
	}
	return slog.LevelInfo
}

// AddressbookDir is where the address books live: DataDir/addressbooks,
// one CSV file per book.
func (c *Config) AddressbookDir() string {
	return filepath.Join(c.DataDir, "addressbooks")
}

// ScriptPath is where the OzML script of an API extension lives:
// DataDir/scripts/Script. It is "" when the extension has no script.
func (c *Config) ScriptPath(e Extension) string {
	if e.Script == "" {
		return ""
	}
	return filepath.Join(c.DataDir, "scripts", filepath.FromSlash(e.Script))
}
