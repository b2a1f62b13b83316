package trunk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// State is where a trunk's registration stands.
type State string

// The registration states.
const (
	StateDisabled    State = "Disabled"    // Register is false: nothing is sent
	StateRegistering State = "Registering" // first attempt under way
	StateRegistered  State = "Registered"  // the provider accepted us until Status.Expires
	StateFailed      State = "Failed"      // the provider refused (403, bad credentials, 4xx); retried after backoff
	StateBackoff     State = "Backoff"     // no usable answer (timeout, transport error, 5xx, 408); retried after backoff
	StateClosed      State = "Closed"      // Close has run
)

// Status is a snapshot of a registration, for ListExtensions-style queries.
type Status struct {
	Trunk         string
	State         State
	LastError     string    // the last failure, kept after a later success
	Expires       time.Time // end of the registration when Registered
	NextAttempt   time.Time // when the next REGISTER goes out
	Failures      int       // consecutive failures
	Registrations int       // successful REGISTERs since Start
}

// Clock is the time source of the refresh and retry timers.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// DefaultRequestTimeout bounds one REGISTER transaction with its
// challenges when Options.RequestTimeout is zero.
const DefaultRequestTimeout = 32 * time.Second

// Options are what a Registration needs besides its Config.
type Options struct {
	// Client sends the REGISTERs: a *sipgo.Client on the appliance's user
	// agent, so that the provider's requests come back to our listener.
	Client Requester
	// Contact is where the provider sends calls for us: our advertised
	// address and listening port; its user part is replaced by the
	// trunk's Username.
	Contact sip.Uri
	// Clock drives refreshes and retries; the system clock when nil.
	Clock Clock
	// RequestTimeout bounds one attempt; DefaultRequestTimeout when 0.
	RequestTimeout time.Duration
	// OnChange, when set, is called with each new status from the
	// registration's goroutine; it must not block.
	OnChange func(Status)
	// BeforeRegister, when set, runs in the registration's goroutine
	// before each REGISTER (the first, every refresh and every retry)
	// with the trunk's name; the appliance re-resolves the registrar
	// host there for recognising the provider's calls (Inbound.Resolve).
	BeforeRegister func(ctx context.Context, trunk string)
	Logger         *slog.Logger
}

// Registration keeps one trunk registered with its provider.
type Registration struct {
	cfg     Config
	o       Options
	auth    *Authorizer
	log     *slog.Logger
	callID  sip.CallIDHeader
	tag     string
	cseq    uint32
	dest    string // host:port the REGISTERs go to
	reqURI  sip.Uri
	aor     sip.Uri
	contact sip.Uri

	mu     sync.Mutex
	status Status

	cancel context.CancelFunc
	done   chan struct{}
}

// NewRegistration checks cfg and opts and returns a stopped Registration.
func NewRegistration(cfg Config, opts Options) (*Registration, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("trunk %s: %w", cfg.Name, err)
	}
	if opts.Client == nil {
		return nil, fmt.Errorf("trunk %s: no SIP client", cfg.Name)
	}
	if opts.Contact.Host == "" {
		return nil, fmt.Errorf("trunk %s: no contact address", cfg.Name)
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	host, port, _ := splitHostPort(cfg.Registrar) // validated
	if port == 0 {
		port = 5060
		if cfg.transport() == "tls" {
			port = 5061
		}
	}
	domain := cfg.Domain
	if domain == "" {
		domain = host
	}
	r := &Registration{
		cfg:    cfg,
		o:      opts,
		auth:   NewAuthorizer(cfg.authUser(), cfg.Password),
		log:    opts.Logger.With("trunk", cfg.Name),
		callID: sip.CallIDHeader(sip.GenerateTagN(24) + "@gatepbx"),
		tag:    sip.GenerateTagN(16),
		dest:   net.JoinHostPort(host, strconv.Itoa(port)),
		reqURI: sip.Uri{Scheme: "sip", Host: domain},
		aor:    sip.Uri{Scheme: "sip", User: cfg.Username, Host: domain},
		status: Status{Trunk: cfg.Name, State: StateDisabled},
	}
	r.contact = opts.Contact
	r.contact.User = cfg.Username
	if cfg.transport() != "udp" {
		r.contact.UriParams = sip.NewParams()
		r.contact.UriParams.Add("transport", cfg.transport())
	}
	return r, nil
}

// Authorizer answers the provider's challenges with this trunk's
// credentials; outbound INVITEs through the trunk use it.
func (r *Registration) Authorizer() *Authorizer { return r.auth }

// Status returns the current status.
func (r *Registration) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Start begins registering in a goroutine of its own (nothing happens
// when the trunk does not register). Call it once.
func (r *Registration) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done = make(chan struct{})
	if !r.cfg.Register {
		close(r.done)
		return
	}
	r.set(func(s *Status) { s.State = StateRegistering })
	go r.run(ctx)
}

// Close stops refreshing and, if registered, unregisters (Expires: 0),
// waiting at most the request timeout for the provider's answer. Calling
// it again does nothing more.
func (r *Registration) Close() error {
	if r.cancel == nil {
		return nil
	}
	r.cancel()
	<-r.done
	var err error
	if r.Status().State == StateRegistered {
		ctx, cancel := context.WithTimeout(context.Background(), r.o.RequestTimeout)
		defer cancel()
		var res *sip.Response
		if res, err = r.send(ctx, 0); err == nil && res.StatusCode/100 != 2 {
			err = fmt.Errorf("unregister: %d %s", res.StatusCode, res.Reason)
		}
		if err != nil {
			err = fmt.Errorf("trunk %s: %w", r.cfg.Name, err)
		}
	}
	r.set(func(s *Status) { s.State, s.Expires, s.NextAttempt = StateClosed, time.Time{}, time.Time{} })
	return err
}

// run registers, then refreshes or retries, until ctx ends.
func (r *Registration) run(ctx context.Context) {
	defer close(r.done)
	expires := r.cfg.expires()
	for {
		wait, minExpires := r.attempt(ctx, expires)
		if minExpires > expires {
			expires = minExpires // 423: again at once, with what the provider wants
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-r.o.Clock.After(wait):
		}
	}
}

// attempt sends one REGISTER and records the outcome; it returns how long
// to wait before the next one, or the provider's Min-Expires after a 423.
func (r *Registration) attempt(ctx context.Context, expires int) (wait time.Duration, minExpires int) {
	actx, cancel := context.WithTimeout(ctx, r.o.RequestTimeout)
	defer cancel()
	if r.o.BeforeRegister != nil {
		r.o.BeforeRegister(actx, r.cfg.Name)
	}
	res, err := r.send(actx, expires)
	if ctx.Err() != nil {
		return 0, 0
	}
	now := r.o.Clock.Now()
	if err == nil {
		switch {
		case res.StatusCode/100 == 2:
			granted := r.granted(res, expires)
			wait = refreshAfter(granted)
			r.set(func(s *Status) {
				s.State, s.Failures, s.Registrations = StateRegistered, 0, s.Registrations+1
				s.Expires, s.NextAttempt = now.Add(granted), now.Add(wait)
			})
			r.log.Debug("trunk registered", "expires", granted)
			return wait, 0
		case res.StatusCode == sip.StatusIntervalToBrief:
			if h := res.GetHeader("Min-Expires"); h != nil {
				if n, perr := strconv.Atoi(h.Value()); perr == nil && n > expires && n <= 24*3600 {
					return 0, n
				}
			}
		}
		err = fmt.Errorf("register: %d %s", res.StatusCode, res.Reason)
	}
	state := StateFailed
	if res == nil || res.StatusCode == sip.StatusRequestTimeout || res.StatusCode >= 500 {
		state = StateBackoff
	}
	if errors.Is(err, ErrRejected) {
		state = StateFailed
	}
	var failures int
	r.set(func(s *Status) {
		s.Failures++
		failures = s.Failures
		wait = r.cfg.Backoff(s.Failures)
		s.State, s.LastError, s.Expires, s.NextAttempt = state, err.Error(), time.Time{}, now.Add(wait)
	})
	r.log.Warn("trunk registration failed", "err", err, "failures", failures, "retry_in", wait)
	return wait, 0
}

// refreshAfter is when to refresh a registration granted for d: half
// way for short ones, 30 s before expiry otherwise.
func refreshAfter(d time.Duration) time.Duration {
	return d - min(d/2, 30*time.Second)
}

// granted reads the lifetime the provider gave our contact: the expires
// parameter of our Contact in the 200, else its Expires header, else what
// we asked for.
func (r *Registration) granted(res *sip.Response, asked int) time.Duration {
	secs := asked
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil && n >= 0 {
			secs = n
		}
	}
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || c.Address.User != r.contact.User || c.Address.Host != r.contact.Host || c.Address.Port != r.contact.Port {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				secs = n
			}
		}
	}
	return time.Duration(max(secs, 1)) * time.Second
}

// send builds one REGISTER asking for expires seconds and sends it,
// answering challenges.
func (r *Registration) send(ctx context.Context, expires int) (*sip.Response, error) {
	req := sip.NewRequest(sip.REGISTER, r.reqURI)
	req.SetDestination(r.dest)
	req.SetTransport(sip.NetworkToUpper(r.cfg.transport()))
	from := &sip.FromHeader{Address: r.aor, Params: sip.NewParams()}
	from.Params.Add("tag", r.tag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: r.aor, Params: sip.NewParams()})
	callID := r.callID
	req.AppendHeader(&callID)
	r.cseq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: r.cseq, MethodName: sip.REGISTER})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(&sip.ContactHeader{Address: r.contact, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	req.AppendHeader(sip.NewHeader("User-Agent", "gatepbx"))
	req.SetBody(nil)
	res, err := r.auth.Do(ctx, r.o.Client, req)
	if cseq := req.CSeq(); cseq != nil {
		r.cseq = cseq.SeqNo // the challenges' retries took numbers too
	}
	return res, err
}

// set changes the status under the lock and reports the new one.
func (r *Registration) set(fn func(*Status)) {
	r.mu.Lock()
	fn(&r.status)
	s := r.status
	r.mu.Unlock()
	if r.o.OnChange != nil {
		r.o.OnChange(s)
	}
}
