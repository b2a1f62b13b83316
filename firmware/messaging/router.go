package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/inbox"
	"github.com/gatepbx/gatepbx/hal/gsm"
	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
)

// Modem is the GSM route (*gsm.Modem).
type Modem interface {
	Send(ctx context.Context, to, text string, o gsm.SendOptions) (refs []uint8, err error)
}

// SIPMessenger sends a SIP MESSAGE (RFC 3428) to a registered extension;
// the SIP stack implements it. It returns once the phone accepted the
// message (2xx) or refused it.
type SIPMessenger interface {
	SendMessage(ctx context.Context, to, from, text string) error
}

// Directory tells which recipients are SIP extensions.
type Directory interface {
	// SIPExtension reports whether number is a SIP extension's number and
	// whether that phone is registered now.
	SIPExtension(number string) (exists, registered bool)
}

// Notifier posts notifications (*notify.Client).
type Notifier interface {
	Send(n notify.Notification) error
}

// Clock is the time source of the retry timers.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Router. Store is required.
type Options struct {
	Store *inbox.Store
	// Directory and SIP make the SIP route; either nil disables it.
	Directory Directory
	SIP       SIPMessenger
	// ModemPrefixes: a number goes to the modem only when it starts with
	// one of them (after spaces, dashes, dots and brackets are dropped);
	// empty means any number.
	ModemPrefixes []string
	// Notifier posts delivery reports and IncomingSMS (nil: none).
	Notifier Notifier
	// IncomingURL gets an IncomingSMS for every received message ("":
	// none).
	IncomingURL string
	// IncomingExtension returns the API extension whose application also
	// gets every IncomingSMS (the reference's "SMS arrives to an API
	// extension"); asked per message, so a config reload applies. Nil, or
	// an empty URL: none.
	IncomingExtension func() IncomingHook
	// Secret returns the notify_secret of an API user, which signs the
	// delivery reports of that user's messages (nil: unsigned).
	Secret func(user string) []byte
	// MaxParts bounds a concatenated SMS (10 when 0).
	MaxParts int
	// MaxQueued bounds the messages waiting in the outbox (500 when 0);
	// beyond it Send refuses with ErrBusy rather than let the store drop
	// one. Keep it under the store's MaxPerFolder.
	MaxQueued int
	// Attempts is how many times a message is tried (5 when 0), with
	// MinBackoff (30 s when 0) doubling up to MaxBackoff (10 min when 0)
	// between tries; SendTimeout bounds one try (3 min when 0).
	Attempts                            int
	MinBackoff, MaxBackoff, SendTimeout time.Duration
	Clock                               Clock        // the system clock when nil
	Logger                              *slog.Logger // slog.Default() when nil
}

// Request is one message to send.
type Request struct {
	Recipient string
	Sender    string // shown as the originator where the route allows (SIP)
	Text      string
	// Encoding for the modem: pdu.Auto (GSM 7-bit when every character
	// fits, else UCS-2), pdu.GSM7 or pdu.UCS2.
	Encoding pdu.Encoding
	// ReportURL gets the SMSDeliveryReport ("" for none); User is the API
	// user sending it.
	ReportURL string
	User      string
}

// Errors of Send.
var (
	ErrNoRoute = errors.New("messaging: no route for the recipient")
	ErrCharset = errors.New("messaging: character not in the chosen encoding")
	ErrTooLong = errors.New("messaging: message too long")
	ErrInvalid = errors.New("messaging: invalid message")
	ErrBusy    = errors.New("messaging: outbox full")
)

// Routes, as stored in inbox.Message.Route.
const (
	RouteGSM = "gsm"
	RouteSIP = "sip"
)

// Message statuses, as stored in inbox.Message.Status.
const (
	StatusQueued    = "queued"    // in the outbox, waiting for (another) try
	StatusSent      = "sent"      // handed to the network; delivery report pending
	StatusDelivered = "delivered" // reached the recipient
	StatusFailed    = "failed"    // could not be sent, or the network gave up
)

// TypeText is the message type of every text message (the Ozeki
// gateway's SMS:TEXT); a forced encoding is kept as a suffix.
const TypeText = "SMS:TEXT"

// maxSIPBody is the largest SIP MESSAGE body (RFC 3428 section 8: 1300
// bytes unless the path is known to be congestion-controlled).
const maxSIPBody = 1300

// maxEarlyReports bounds status reports kept for messages whose Send has
// not returned yet (the network can answer before the modem does).
const maxEarlyReports = 32

// Router routes, stores and delivers messages. Its methods are safe for
// concurrent use.
type Router struct {
	opts  Options
	log   *slog.Logger
	modem atomic.Pointer[modemBox]
	wake  chan struct{}

	mu      sync.Mutex
	retries map[string]retry   // outbox ID -> retry state
	reports map[uint8]*tracked // modem message reference -> message awaiting reports
	early   []gsm.Report       // reports that matched nothing yet
}

type modemBox struct{ m Modem }

type retry struct {
	attempts int
	next     time.Time
}

// tracked is a sent SMS waiting for the status reports of its parts.
type tracked struct {
	id      string
	pending int  // parts without a final report
	failed  bool // a part failed
}

// New opens the router on its store; messages left in the outbox by an
// earlier run are delivered by Run.
func New(o Options) (*Router, error) {
	if o.Store == nil {
		return nil, errors.New("messaging: no store")
	}
	if o.MaxParts <= 0 {
		o.MaxParts = 10
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = 500
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 30 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 3 * time.Minute
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	r := &Router{
		opts: o, log: o.Logger.With("component", "messaging"), wake: make(chan struct{}, 1),
		retries: map[string]retry{}, reports: map[uint8]*tracked{},
	}
	now := o.Clock.Now()
	for _, m := range o.Store.List(inbox.Outbox) {
		r.retries[m.ID] = retry{next: now}
	}
	return r, nil
}

// SetModem attaches the GSM modem (nil detaches it). The modem is opened
// after the router so that its OnMessage and OnReport can be ModemMessage
// and ModemReport from the start.
func (r *Router) SetModem(m Modem) {
	if m == nil {
		r.modem.Store(nil)
	} else {
		r.modem.Store(&modemBox{m})
	}
	r.poke()
}

func (r *Router) currentModem() Modem {
	if b := r.modem.Load(); b != nil {
		return b.m
	}
	return nil
}

func (r *Router) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// normalizeNumber drops the separators people write in numbers.
func normalizeNumber(s string) string {
	return strings.Map(func(c rune) rune {
		if strings.ContainsRune(" -.()/", c) {
			return -1
		}
		return c
	}, strings.TrimSpace(s))
}

// isPhoneNumber: 1 to 20 digits with an optional leading "+".
func isPhoneNumber(s string) bool {
	d := strings.TrimPrefix(s, "+")
	return d != "" && len(d) <= 20 && !strings.ContainsFunc(d, func(c rune) bool { return c < '0' || c > '9' })
}

// Route tells which route would take recipient now: RouteSIP, RouteGSM,
// or ErrNoRoute.
func (r *Router) Route(recipient string) (string, error) {
	to := strings.TrimSpace(recipient)
	if r.opts.Directory != nil {
		if exists, registered := r.opts.Directory.SIPExtension(to); exists {
			if registered && r.opts.SIP != nil {
				return RouteSIP, nil
			}
			return "", fmt.Errorf("%w: extension %s is not reachable by SIP MESSAGE", ErrNoRoute, to)
		}
	}
	n := normalizeNumber(to)
	switch {
	case !isPhoneNumber(n):
		return "", fmt.Errorf("%w: %q is neither an extension nor a phone number", ErrNoRoute, recipient)
	case r.currentModem() == nil:
		return "", fmt.Errorf("%w: no GSM modem for %s", ErrNoRoute, n)
	case len(r.opts.ModemPrefixes) > 0 && !slices.ContainsFunc(r.opts.ModemPrefixes, func(p string) bool { return strings.HasPrefix(n, p) }):
		return "", fmt.Errorf("%w: %s matches no modem prefix", ErrNoRoute, n)
	}
	return RouteGSM, nil
}

// Send checks req, picks its route and stores it in the outbox, returning
// the message's ID (the SmsId) once it is on disk; Run delivers it.
// Errors wrap ErrNoRoute, ErrCharset, ErrTooLong or ErrInvalid for
// requests that cannot be taken, ErrBusy when the outbox is full;
// anything else is a storage failure.
func (r *Router) Send(req Request) (string, error) {
	if req.Text == "" || !utf8.ValidString(req.Text) {
		return "", fmt.Errorf("%w: empty text or not UTF-8", ErrInvalid)
	}
	route, err := r.Route(req.Recipient)
	if err != nil {
		return "", err
	}
	to := strings.TrimSpace(req.Recipient)
	typ := TypeText
	switch route {
	case RouteSIP:
		if len(req.Text) > maxSIPBody {
			return "", fmt.Errorf("%w: %d bytes, a SIP MESSAGE carries at most %d", ErrTooLong, len(req.Text), maxSIPBody)
		}
	case RouteGSM:
		to = normalizeNumber(to)
		if _, _, err := pdu.Split(req.Text, req.Encoding, r.opts.MaxParts); err != nil {
			switch {
			case errors.Is(err, pdu.ErrCharset):
				return "", fmt.Errorf("%w: %w", ErrCharset, err)
			case errors.Is(err, pdu.ErrTooLong):
				return "", fmt.Errorf("%w: %w", ErrTooLong, err)
			}
			return "", fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if req.Encoding == pdu.GSM7 || req.Encoding == pdu.UCS2 {
			typ += ":" + strings.ToUpper(req.Encoding.String())
		}
	}
	r.mu.Lock()
	queued := len(r.retries)
	r.mu.Unlock()
	if queued >= r.opts.MaxQueued {
		return "", fmt.Errorf("%w: %d messages waiting", ErrBusy, queued)
	}
	now := r.opts.Clock.Now()
	m, err := r.opts.Store.Add(inbox.Message{
		Folder: inbox.Outbox, Type: typ, Originator: req.Sender, Recipient: to, Data: req.Text,
		Route: route, Status: StatusQueued, ReportURL: req.ReportURL, User: req.User,
	})
	if err != nil {
		if errors.Is(err, inbox.ErrTooLarge) {
			return "", fmt.Errorf("%w: %w", ErrTooLong, err)
		}
		return "", fmt.Errorf("messaging: store: %w", err)
	}
	r.mu.Lock()
	r.retries[m.ID] = retry{next: now}
	r.mu.Unlock()
	r.log.Info("message queued", "id", m.ID, "route", route, "to", to)
	r.poke()
	return m.ID, nil
}

// encodingOf reads the forced encoding back from a stored type.
func encodingOf(typ string) pdu.Encoding {
	switch {
	case strings.HasSuffix(typ, ":GSM7"):
		return pdu.GSM7
	case strings.HasSuffix(typ, ":UCS2"):
		return pdu.UCS2
	}
	return pdu.Auto
}

// IncomingHook is an application that gets IncomingSMS notifications,
// signed with Secret when it is not empty.
type IncomingHook struct {
	URL    string
	Secret []byte
}
