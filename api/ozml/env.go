package ozml

import (
	"context"
	"errors"
	"net/url"
	"time"
)

// ErrNotAvailable is returned (and logged) for verbs whose service the
// appliance does not have yet, e.g. SendEmail before the messaging work.
var ErrNotAvailable = errors.New("not available yet")

// Env is the rest of the appliance as a script sees it, implemented by
// the firmware's wiring. One Env serves every script; its methods may be
// called from many goroutines.
type Env interface {
	// Fetch sends a notification (form fields, NotificationName among
	// them) to target, an http(s) URL or an on-device script path, and
	// returns the body of the reply, which the interpreter parses as
	// OzML. fetch.Loader implements it.
	Fetch(ctx context.Context, target string, form url.Values) ([]byte, error)
	// Call originates an outbound call from an API extension; when it is
	// answered the firmware runs its own script on it (URL →
	// CallConnected, or the inline Script). It returns once dialling has
	// started; later failures go to ErrorURL.
	Call(ctx context.Context, req CallRequest) error
	// CallSetup rings caller, then connects it to callee (click to dial).
	CallSetup(ctx context.Context, caller, callee, errorURL string) error
	// Request originates a call and reports its progress. The channel
	// carries the states in order and is closed after the final one
	// (Completed, Busy, NotFound, Rejected or Error); it must be buffered
	// or fed from its own goroutine, because the interpreter runs the
	// OnInCall block before reading on. When ctx ends the call is hung up
	// and the channel closed.
	Request(ctx context.Context, req RequestParams) (<-chan RequestEvent, error)
}

// CallRequest is the Call verb's parameters.
type CallRequest struct {
	Dialed            string
	APIExtension      string // default: this call's ApiExtension
	CallerID          string
	CallerDisplayName string
	URL               string    // CallConnected target
	Script            *Document // inline ResponseOzML, when given
	ErrorURL          string
	FinishedURL       string
	RingTime          time.Duration // 0: the extension's default
}

// RequestParams is the Request verb's parameters.
type RequestParams struct {
	DialedAddress     string
	ExtensionAddress  string
	CallerPhoneNumber string
	CallerDisplayName string
	RingTime          time.Duration
}

// Request states, as Request blocks name them (OnSetup, OnRinging, ...).
const (
	StateSetup     = "Setup"
	StateRinging   = "Ringing"
	StateInCall    = "InCall"
	StateCompleted = "Completed"
	StateBusy      = "Busy"
	StateNotFound  = "NotFound"
	StateRejected  = "Rejected"
	StateError     = "Error"
)

// RequestEvent is one state of a call placed by Request.
type RequestEvent struct {
	State string
	Call  Call  // the answered call, with StateInCall
	Err   error // the reason, with StateError
}

// Messenger is the message bus between scripts on the device (SendMsg,
// WaitForMsg); bus.Bus implements it.
type Messenger interface {
	// Send queues text for the connection named to.
	Send(to, text string) error
	// Receive takes the oldest message queued for name, waiting for one
	// until ctx ends. A queued message is returned even when ctx has
	// already ended.
	Receive(ctx context.Context, name string) (string, error)
}

// The messaging verbs use these when the Env also implements them; until
// then they fail with ErrNotAvailable.
type (
	// EmailSender sends SendEmail.
	EmailSender interface {
		SendEmail(ctx context.Context, m Email) error
	}
	// SMSSender sends SendSMS.
	SMSSender interface {
		SendSMS(ctx context.Context, m SMS) error
	}
	// AlarmSender sends SendAlarmNotification (Contact-ID over DTMF).
	AlarmSender interface {
		SendAlarm(ctx context.Context, a Alarm) error
	}
)

// Email is SendEmail's parameters.
type Email struct {
	Recipient, Sender, Subject, Message string
	Attachments                         []string // paths relative to the data dir, checked local
}

// SMS is SendSMS's parameters.
type SMS struct {
	Recipient, Sender, Message, DeliveryReportURL string
}

// Alarm is SendAlarmNotification's parameters.
type Alarm struct {
	PhoneNumber, AccountNumber, EventCode, PartitionNumber, ZoneNumber string
	EventQualifier, APIExtension, ResultURL                            string
}
