package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatepbx/gatepbx/sip/ratelimit"
)

// Status is what the health page reports.
type Status struct {
	Version       string `json:"version"`
	Uptime        string `json:"uptime"`
	Registrations int    `json:"registrations"`
	ActiveCalls   int    `json:"active_calls"`
	Board         string `json:"board"`
	BoardError    string `json:"board_error,omitempty"`
	// Modem is the GSM modem's health; nil without a modem.
	Modem *ModemStatus `json:"modem,omitempty"`
}

// ModemStatus is the GSM modem's health as its last poll found it.
type ModemStatus struct {
	Device string `json:"device"`
	// Responding: the modem answered the last poll. When it did not,
	// Error says why and the other fields are the last known values.
	Responding   bool      `json:"responding"`
	Registered   bool      `json:"registered"`   // home network or roaming
	Registration string    `json:"registration"` // not registered, home, searching, denied, unknown, roaming
	SignalDBm    int       `json:"signal_dbm"`   // -113 to -51; 0 when unknown
	RSSI         int       `json:"rssi"`         // +CSQ 0-31; 99 when unknown
	Operator     string    `json:"operator,omitempty"`
	Checked      time.Time `json:"checked,omitzero"` // when the modem last answered
	Error        string    `json:"error,omitempty"`
}

// StatusSource supplies the health page's figures.
type StatusSource interface {
	Status() Status
}

// Options configure the HTTP handler. Nil sources answer as if empty.
type Options struct {
	Logger     *slog.Logger
	Status     StatusSource
	Calls      Calls
	History    CallHistory
	Extensions Extensions
	// Addressbooks serves ListAddressbookNames and ListAddressbookContacts
	// (nil: no books).
	Addressbooks Addressbooks
	// Mail queues SendEmail (*mailq.Queue; nil: 501); Messages routes
	// SendSMS and SendMessage (*messaging.Router; nil: 501); Inbox serves
	// ReceiveMessage (*inbox.Store; nil: no messages).
	Mail     Mailer
	Messages MessageSender
	Inbox    MessageStore
	// Users are the API accounts at start; SetUsers replaces them.
	Users []User
	// CheckPassword reports whether password matches a User.PasswordHash
	// (slow by design). Nil lets nobody in.
	CheckPassword func(hash, password string) bool
	// AuthFailureLimit failed logins from one source address within
	// AuthFailureWindow block that address (answered 305 unchecked) until
	// the window has passed. Zero means 20 per minute; a negative limit
	// disables blocking.
	AuthFailureLimit  int
	AuthFailureWindow time.Duration
	// Now is the clock (nil: time.Now); Location is the time zone of the
	// times the API reads and writes (nil: time.Local).
	Now      func() time.Time
	Location *time.Location
}

// Handler is the HTTP API.
type Handler struct {
	opts    Options
	log     *slog.Logger
	loc     *time.Location
	mux     *http.ServeMux
	users   atomic.Pointer[userTable]
	key     []byte // HMAC key of the login cache, random per process
	limiter *ratelimit.Limiter
	// checkSlots bounds concurrent password hashing, which is slow on
	// purpose, so a login flood cannot starve the media relay of CPU.
	checkSlots chan struct{}
	writers    sync.Pool // *xmlWriter
}

// New builds the handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.AuthFailureLimit == 0 {
		o.AuthFailureLimit = 20
	}
	if o.AuthFailureWindow <= 0 {
		o.AuthFailureWindow = time.Minute
	}
	h := &Handler{
		opts: o, log: o.Logger, loc: o.Location, mux: http.NewServeMux(),
		key:        make([]byte, 32),
		limiter:    ratelimit.New(o.AuthFailureLimit, o.AuthFailureWindow, o.Now),
		checkSlots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
	}
	_, _ = rand.Read(h.key) // never fails (crypto/rand panics rather)
	h.writers.New = func() any { return &xmlWriter{buf: make([]byte, 0, 1024)} }
	h.SetUsers(o.Users)
	h.mux.HandleFunc("/health", h.health)
	h.mux.HandleFunc("/api", h.command)
	h.mux.HandleFunc("/api/", h.command)
	h.mux.HandleFunc("/", h.command)
	return h
}

// SetUsers replaces the API accounts (config reload). Logins verified
// against the old accounts are forgotten.
func (h *Handler) SetUsers(users []User) {
	h.users.Store(newUserTable(users))
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	var st Status
	if h.opts.Status != nil {
		st = h.opts.Status.Status()
	}
	_ = json.NewEncoder(w).Encode(struct {
		OK bool `json:"ok"`
		Status
	}{true, st})
}

// request is one API command being served.
type request struct {
	name   string // canonical command name
	params *params
	user   *apiUser
	now    time.Time
	http   context.Context // the HTTP request's: ends when the client gives up
}

// context is the base of the command's contexts: it ends when the client
// gives up (a command waiting on a call stops waiting) and carries the
// API user (UserFrom).
func (r *request) context() context.Context {
	ctx := r.http
	if ctx == nil {
		ctx = context.Background()
	}
	if r.user == nil {
		return ctx
	}
	return context.WithValue(ctx, userKey{}, r.user.Name)
}

// required returns a mandatory parameter's value; ok is false when it is
// missing or empty.
func (r *request) required(name string) (string, bool) {
	v := r.params.value(name)
	return v, v != ""
}

// invalid is the 302 reply for a missing or bad parameter of this command.
func (r *request) invalid(param string) reply {
	return reply{code: CodeInvalidParameter, args: []string{param, r.name}}
}

// reply is a command's answer: the code, the template's arguments, and
// the command-specific elements after <Message> (nil when none).
type reply struct {
	code Code
	args []string
	body func(w *xmlWriter)
}

func (h *Handler) command(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" && r.URL.Path != "/api" && r.URL.Path != "/api/" {
		http.NotFound(w, r)
		return
	}
	rep := h.serve(r)
	xw := h.writers.Get().(*xmlWriter)
	xw.envelope(rep.code, rep.code.Message(rep.args...))
	if rep.body != nil {
		rep.body(xw)
	}
	xw.finish()
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(xw.buf)
	if cap(xw.buf) <= 1<<20 {
		h.writers.Put(xw)
	}
}

// serve runs one request through parsing, authentication, command lookup
// and the ACL, in that order, and then the command.
func (h *Handler) serve(r *http.Request) reply {
	p, err := readParams(r)
	if err != nil {
		return reply{code: CodeParseError, args: []string{parseDetail(err)}}
	}
	src := sourceAddr(r)
	user, code := h.authenticate(r.Context(), p, src)
	if code != CodeOK {
		return reply{code: code}
	}
	given := p.value("command")
	if given == "" {
		return reply{code: CodeInvalidParameter, args: []string{"command", ""}}
	}
	cmd, ok := lookupCommand(given)
	switch {
	case !ok || (cmd.kind == kindHTTP && cmd.run == nil):
		return reply{code: CodeNotImplementedCommand, args: []string{given}}
	case cmd.kind == kindOzML:
		return reply{code: CodeInappropriateCommand, args: []string{given}}
	case !user.mayRun(cmd.name):
		return reply{code: CodeForbiddenUser}
	}
	return cmd.run(h, &request{name: cmd.name, params: p, user: user, now: h.opts.Now(), http: r.Context()})
}

// readParams collects the parameters of a GET query, or of a POST form
// body followed by its query string.
func readParams(r *http.Request) (*params, error) {
	p := &params{}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || mt != "application/x-www-form-urlencoded" {
				return nil, parseErrorf("unsupported Content-Type '%s'", ct)
			}
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
				return nil, parseErrorf("request body larger than %d bytes", maxBodyBytes)
			}
			return nil, parseErrorf("request body unreadable")
		}
		if err := parseParams(p, string(body)); err != nil {
			return nil, err
		}
	default:
		return nil, parseErrorf("unsupported HTTP method '%s'", r.Method)
	}
	if len(r.URL.RawQuery) > maxQueryBytes {
		return nil, parseErrorf("query string longer than %d bytes", maxQueryBytes)
	}
	if err := parseParams(p, r.URL.RawQuery); err != nil {
		return nil, err
	}
	return p, nil
}

// sourceAddr is the client's IP address (no proxy headers are trusted: the
// appliance is reached directly on the LAN).
func sourceAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// authenticate checks Username and Password: 304 when either is missing,
// 305 when wrong (or the source is blocked), 307 when the user may not
// call from src. A success is cached; failures count against src.
func (h *Handler) authenticate(ctx context.Context, p *params, src netip.Addr) (*apiUser, Code) {
	if h.limiter.Blocked(src) {
		return nil, CodeAuthenticationFailed
	}
	name, password := p.value("Username"), p.value("Password")
	if name == "" || password == "" {
		return nil, CodeAuthenticationRequired
	}
	t := h.users.Load()
	u := t.byName[name]
	if u != nil && !u.mayConnectFrom(src) {
		// Refused before the password is checked, so a forbidden network
		// cannot be used to guess passwords; it still counts as a failure.
		h.fail(src)
		return nil, CodeForbiddenAddress
	}
	key := loginKey(h.key, name, password)
	if cached := t.cached(key); cached != nil {
		return cached, CodeOK
	}
	ok, checked := h.checkPassword(ctx, t, u, password)
	if !ok {
		if checked {
			h.fail(src)
		}
		return nil, CodeAuthenticationFailed
	}
	t.remember(key, u)
	return u, CodeOK
}

// checkPassword verifies password for u; for an unknown user (nil) it
// hashes against another user's hash and fails, so both cost the same.
// checked is false when the client left while waiting for a hashing slot.
func (h *Handler) checkPassword(ctx context.Context, t *userTable, u *apiUser, password string) (ok, checked bool) {
	hash := t.timingHash
	if u != nil {
		hash = u.PasswordHash
	}
	if hash == "" || h.opts.CheckPassword == nil {
		return false, true
	}
	select {
	case h.checkSlots <- struct{}{}:
	case <-ctx.Done():
		return false, false
	}
	ok = h.opts.CheckPassword(hash, password)
	<-h.checkSlots
	return ok && u != nil, true
}

// fail counts a failed login from src and logs when it gets src blocked.
// Never log what was sent: it may be a password.
func (h *Handler) fail(src netip.Addr) {
	if h.limiter.Fail(src) {
		h.log.Warn("api: source blocked after repeated failed logins", "source", src.String(),
			"limit", h.opts.AuthFailureLimit, "window", h.opts.AuthFailureWindow.String())
	}
}
