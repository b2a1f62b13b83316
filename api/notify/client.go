package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultAttempts   = 3
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 30 * time.Second
	DefaultQueueSize  = 256
	DefaultWorkers    = 2
	// MaxResponseBytes is the most of an application's answer read (and
	// returned by Do); the rest is discarded.
	MaxResponseBytes = 1 << 20
	// MaxURLBytes bounds a notification URL.
	MaxURLBytes = 4096
)

// Errors of Send and Do.
var (
	ErrQueueFull = errors.New("notify: queue full, notification dropped")
	ErrClosed    = errors.New("notify: client closed")
	ErrBadURL    = errors.New("notify: bad URL")
)

// StatusError is a delivery that got an answer other than 2xx.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return "HTTP status " + strconv.Itoa(e.Code) }

// Options configure a Client. Zero values take the defaults above.
type Options struct {
	Logger *slog.Logger
	// Timeout bounds one attempt: connect, send, answer and its body.
	Timeout time.Duration
	// Attempts is how often a notification is tried before it is given
	// up: the first try and Attempts-1 retries. Retries follow connection
	// failures, timeouts and HTTP 408, 425, 429 and 5xx answers.
	Attempts int
	// Backoff is the wait before the first retry; it doubles for each
	// further retry, up to MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// QueueSize bounds the notifications waiting for a worker; Send drops
	// (and counts) what does not fit.
	QueueSize int
	// Workers deliver queued notifications concurrently.
	Workers int
	// UserAgent is sent as User-Agent ("gatepbx" when empty).
	UserAgent string
	// Now is the clock of signatures (nil: time.Now).
	Now func() time.Time
	// Wait blocks for d or until ctx is done (then returning its error);
	// it times the backoff. Nil waits on a real timer.
	Wait func(ctx context.Context, d time.Duration) error
	// Transport sends the requests (nil: a transport of our own, without
	// proxy, closed by Close). Redirects are never followed.
	Transport http.RoundTripper
}

// Stats count what a Client has done since it was made.
type Stats struct {
	Queued    uint64 // accepted by Send
	Delivered uint64 // answered 2xx
	Failed    uint64 // given up after the last attempt or a final answer
	Retries   uint64 // attempts after the first
	Dropped   uint64 // refused by Send: queue full
	Abandoned uint64 // still queued when Close gave up waiting
}

// Client delivers notifications. Make one with New and end it with Close.
type Client struct {
	opts   Options
	log    *slog.Logger
	http   *http.Client
	owned  *http.Transport // nil when Options.Transport was given
	ctx    context.Context // cancelled when Close stops waiting
	cancel context.CancelFunc

	mu     sync.RWMutex // guards closed against Send's channel send
	closed bool
	queue  chan job
	wg     sync.WaitGroup

	queued, delivered, failed, retries, dropped, abandoned atomic.Uint64
}

// job is a queued notification, ready to send.
type job struct {
	url    string
	body   []byte
	secret []byte
	name   Name
}

// New starts a Client and its workers.
func New(o Options) *Client {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	positiveOr(&o.Timeout, DefaultTimeout)
	positiveOr(&o.Attempts, DefaultAttempts)
	positiveOr(&o.Backoff, DefaultBackoff)
	positiveOr(&o.MaxBackoff, DefaultMaxBackoff)
	positiveOr(&o.QueueSize, DefaultQueueSize)
	positiveOr(&o.Workers, DefaultWorkers)
	if o.UserAgent == "" {
		o.UserAgent = "gatepbx"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Wait == nil {
		o.Wait = wait
	}
	c := &Client{opts: o, log: o.Logger, queue: make(chan job, o.QueueSize)}
	rt := o.Transport
	if rt == nil {
		c.owned = http.DefaultTransport.(*http.Transport).Clone()
		c.owned.Proxy = nil
		c.owned.MaxIdleConnsPerHost = o.Workers
		rt = c.owned
	}
	c.http = &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for range o.Workers {
		c.wg.Go(c.work)
	}
	return c
}

// positiveOr sets *v to def unless it is positive.
func positiveOr[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// wait is the default Options.Wait: a real timer.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send queues n for delivery and returns at once: ErrBadURL (wrapped) for a
// URL that is not http(s), ErrQueueFull when the queue is full (the
// notification is dropped, counted and logged), ErrClosed after Close.
// It never blocks, so a call's goroutine may call it.
func (c *Client) Send(n Notification) error {
	j, err := prepare(&n)
	if err != nil {
		return err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return ErrClosed
	}
	select {
	case c.queue <- j:
		c.queued.Add(1)
		return nil
	default:
	}
	// Log the 1st, 2nd, 4th, 8th, ... drop: a flood cannot flood the log.
	if d := c.dropped.Add(1); d&(d-1) == 0 {
		c.log.Warn("notify: queue full, notification dropped", "notification", string(n.Name),
			"url", safeURL(n.URL), "dropped_total", d, "queue_size", c.opts.QueueSize)
	}
	return ErrQueueFull
}

// Do delivers n now, with the same timeout and retries as Send, and
// returns the application's answer body (at most MaxResponseBytes): the
// OzML that the caller runs next. It fails with a *StatusError for a
// final answer other than 2xx, ctx's error when ctx ends, and ErrClosed
// after Close. Failures are logged as Send's are.
func (c *Client) Do(ctx context.Context, n Notification) ([]byte, error) {
	j, err := prepare(&n)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	closed := c.closed
	c.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	unhook := context.AfterFunc(c.ctx, stop)
	defer unhook()
	return c.deliver(ctx, j, true)
}

// Stats returns the counters.
func (c *Client) Stats() Stats {
	return Stats{
		Queued: c.queued.Load(), Delivered: c.delivered.Load(), Failed: c.failed.Load(),
		Retries: c.retries.Load(), Dropped: c.dropped.Load(), Abandoned: c.abandoned.Load(),
	}
}

// Close stops accepting notifications and lets the workers deliver what
// is queued until ctx ends; then it cancels what is in flight, abandons
// the rest and returns ctx's error. When Close returns, every worker has
// exited and the idle connections are closed.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		c.cancel()
		<-done
	}
	c.cancel()
	if c.owned != nil {
		c.owned.CloseIdleConnections()
	}
	if n := c.abandoned.Load(); n > 0 {
		c.log.Warn("notify: notifications not delivered at shutdown", "abandoned", n)
	}
	return err
}

// work delivers queued notifications until the queue is closed and empty.
func (c *Client) work() {
	for j := range c.queue {
		if c.ctx.Err() != nil {
			c.abandoned.Add(1)
			continue
		}
		_, _ = c.deliver(c.ctx, j, false)
	}
}

// prepare checks n and encodes it.
func prepare(n *Notification) (job, error) {
	if n.Name == "" {
		return job{}, errors.New("notify: notification without a name")
	}
	if err := CheckURL(n.URL); err != nil {
		return job{}, err
	}
	return job{url: n.URL, body: n.Encode(), secret: n.Secret, name: n.Name}, nil
}

// CheckURL reports whether raw is a URL notifications can be sent to:
// absolute http or https with a host, at most MaxURLBytes, no control
// characters. The error wraps ErrBadURL and never repeats the URL's
// userinfo.
func CheckURL(raw string) error {
	if len(raw) > MaxURLBytes {
		return fmt.Errorf("%w: longer than %d bytes", ErrBadURL, MaxURLBytes)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] == 0x7f {
			return fmt.Errorf("%w: control character", ErrBadURL)
		}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%w: does not parse", ErrBadURL)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w: %s: only http and https are allowed", ErrBadURL, safeURL(raw))
	case u.Host == "":
		return fmt.Errorf("%w: %s: no host", ErrBadURL, safeURL(raw))
	}
	return nil
}

// deliver tries j up to Attempts times, waiting the backoff between tries,
// and records and logs the outcome. keep asks for the answer body.
func (c *Client) deliver(ctx context.Context, j job, keep bool) ([]byte, error) {
	backoff := c.opts.Backoff
	for attempt := 1; ; attempt++ {
		body, status, err := c.attempt(ctx, j, keep)
		if err == nil {
			c.delivered.Add(1)
			return body, nil
		}
		retry := retryable(status) && attempt < c.opts.Attempts && ctx.Err() == nil
		if !retry {
			c.failed.Add(1)
			c.log.Warn("notify: delivery failed", "notification", string(j.name), "url", safeURL(j.url),
				"status", status, "attempts", attempt, "err", err)
			return nil, err
		}
		c.log.Debug("notify: attempt failed, retrying", "notification", string(j.name), "url", safeURL(j.url),
			"status", status, "attempt", attempt, "retry_in", backoff, "err", err)
		if werr := c.opts.Wait(ctx, backoff); werr != nil {
			c.failed.Add(1)
			c.log.Warn("notify: delivery abandoned", "notification", string(j.name), "url", safeURL(j.url),
				"status", status, "attempts", attempt, "err", werr)
			return nil, fmt.Errorf("notify: %w (last attempt: %w)", werr, err)
		}
		c.retries.Add(1)
		backoff = min(2*backoff, c.opts.MaxBackoff)
	}
}

// retryable reports whether an attempt that ended with status (0: no
// answer at all) is worth repeating.
func retryable(status int) bool {
	switch {
	case status == 0, status >= 500:
		return true
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly, status == http.StatusTooManyRequests:
		return true
	}
	return false
}

// attempt makes one POST. status is 0 when no answer came.
func (c *Client) attempt(ctx context.Context, j job, keep bool) (body []byte, status int, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url, bytes.NewReader(j.body))
	if err != nil {
		return nil, 0, fmt.Errorf("notify: request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("Cache-Control", "no-store,no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("User-Agent", c.opts.UserAgent)
	if len(j.secret) > 0 {
		h.Set(SignatureHeader, Sign(j.secret, c.opts.Now(), j.body))
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, 0, scrub(err)
	}
	defer res.Body.Close()
	limited := io.LimitReader(res.Body, MaxResponseBytes)
	if keep && res.StatusCode/100 == 2 {
		body, err = io.ReadAll(limited)
	} else {
		_, err = io.Copy(io.Discard, limited)
	}
	if res.StatusCode/100 != 2 {
		return nil, res.StatusCode, &StatusError{Code: res.StatusCode}
	}
	// A 2xx answer means delivered; only a caller that wants the body
	// fails on it being cut short.
	if err != nil && keep {
		return nil, res.StatusCode, fmt.Errorf("notify: reading the answer: %w", scrub(err))
	}
	return body, res.StatusCode, nil
}

// scrub removes the URL (which may hold credentials) from a transport
// error, keeping the cause.
func scrub(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// SafeURL is raw fit for a log: no userinfo, and the query string (which
// may carry tokens) replaced by "redacted".
func SafeURL(raw string) string { return safeURL(raw) }

func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "redacted", false
	}
	return u.String()
}
