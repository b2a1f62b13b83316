package mailq

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/google/uuid"
)

// Clock is the time source for backoff and dates.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Queue. Dir is required; without Relay.Host the
// queue keeps what it holds and Enqueue answers ErrNoRelay until
// SetRelay names one.
type Options struct {
	Dir   string // the queue's directory (created)
	Relay Relay
	From  string // envelope sender, and From when an Email has no Sender
	// AttachmentRoot is the only directory attachments may come from;
	// empty refuses attachments.
	AttachmentRoot string
	// MaxMessageBytes bounds a built message, attachments included
	// (10 MiB when 0).
	MaxMessageBytes int64
	// MinBackoff is the first retry delay (1 min when 0), doubled per
	// attempt up to MaxBackoff (1 h when 0); MaxAge (5 days when 0) after
	// acceptance a message still undelivered fails.
	MinBackoff, MaxBackoff, MaxAge time.Duration
	// MaxFailed is how many failed messages are kept (100 when 0).
	MaxFailed int
	Clock     Clock        // the system clock when nil
	Logger    *slog.Logger // slog.Default() when nil
}

// State is where a message is.
type State string

// The states of a queued message.
const (
	Queued State = "queued" // waiting for (another) attempt
	Failed State = "failed" // refused for good or expired; kept for inspection
)

// Status describes a queued or failed message.
type Status struct {
	ID          string    `json:"id"`
	Seq         uint64    `json:"seq"` // acceptance order
	State       State     `json:"state"`
	From        string    `json:"from"` // envelope sender
	To          []string  `json:"to"`   // recipients still to deliver (Failed: the refused ones)
	Subject     string    `json:"subject,omitempty"`
	Size        int       `json:"size"`
	Accepted    time.Time `json:"accepted"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// Queue is the durable mail queue. Its methods are safe for concurrent use.
type Queue struct {
	opts      Options
	queueDir  string
	failedDir string
	log       *slog.Logger
	wake      chan struct{}

	mu      sync.Mutex
	relay   Relay  // Options.Relay, then SetRelay's
	from    string // Options.From, then SetRelay's
	pending map[string]*Status
	failed  map[string]*Status
	seq     uint64 // the last Seq given
}

const (
	queueSub  = "queue"
	failedSub = "failed"
	metaExt   = ".json"
	bodyExt   = ".eml"
)

// Open loads (or creates) the queue in opts.Dir.
func Open(opts Options) (*Queue, error) {
	if opts.Dir == "" {
		return nil, errors.New("mailq: no directory")
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = 10 << 20
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Minute
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Hour
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 5 * 24 * time.Hour
	}
	if opts.MaxFailed <= 0 {
		opts.MaxFailed = 100
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	q := &Queue{
		opts:      opts,
		queueDir:  filepath.Join(opts.Dir, queueSub),
		failedDir: filepath.Join(opts.Dir, failedSub),
		log:       opts.Logger.With("component", "mailq"),
		wake:      make(chan struct{}, 1),
		relay:     opts.Relay,
		from:      opts.From,
		pending:   map[string]*Status{},
		failed:    map[string]*Status{},
	}
	for _, d := range []string{q.queueDir, q.failedDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("mailq: %w", err)
		}
	}
	if err := q.load(q.queueDir, q.pending); err != nil {
		return nil, err
	}
	if err := q.load(q.failedDir, q.failed); err != nil {
		return nil, err
	}
	// After a start every queued mail is tried at once (the relay or the
	// network may have been fixed with the restart); its backoff goes on
	// from its attempt count. MaxAge still counts from acceptance.
	now := opts.Clock.Now()
	for _, st := range q.pending {
		if st.NextAttempt.After(now) {
			st.NextAttempt = now
		}
	}
	return q, nil
}

// load reads the state files of dir, deleting temporary files and message
// files without state (from an Enqueue that never returned).
func (q *Queue) load(dir string, into map[string]*Status) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("mailq: %w", err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
			os.Remove(filepath.Join(dir, name))
		case strings.HasSuffix(name, bodyExt):
			if !names[strings.TrimSuffix(name, bodyExt)+metaExt] {
				q.log.Warn("removing message never acknowledged", "file", name)
				os.Remove(filepath.Join(dir, name))
			}
		case strings.HasSuffix(name, metaExt):
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return fmt.Errorf("mailq: %w", err)
			}
			var st Status
			if err := json.Unmarshal(data, &st); err != nil || st.ID+metaExt != name {
				q.log.Error("skipping unreadable queue entry", "file", name, "err", err)
				continue
			}
			if !names[st.ID+bodyExt] {
				// Moved to failed/ (or never complete): nothing to send.
				q.log.Warn("dropping state without its message", "file", name)
				os.Remove(filepath.Join(dir, name))
				continue
			}
			into[st.ID] = &st
			q.seq = max(q.seq, st.Seq)
		}
	}
	return nil
}

// Enqueue validates and builds e and stores it durably, returning its
// EmailId once it is on disk. Errors wrap ErrInvalid, ErrAttachment,
// ErrTooLarge or ErrNoRelay for bad requests; anything else is a storage
// failure.
func (q *Queue) Enqueue(e Email) (string, error) {
	relay, envFrom := q.current()
	if relay.Host == "" {
		return "", ErrNoRelay
	}
	to, err := parseRecipients(e.Recipient)
	if err != nil {
		return "", err
	}
	from := envFrom
	if strings.TrimSpace(e.Sender) != "" {
		a, err := mail.ParseAddress(e.Sender)
		if err != nil {
			return "", fmt.Errorf("%w: sender %q: %w", ErrInvalid, e.Sender, err)
		}
		from = a.String()
	}
	limit := q.opts.MaxMessageBytes
	if int64(len(e.Message)) > limit {
		return "", fmt.Errorf("%w: body of %d bytes", ErrTooLarge, len(e.Message))
	}
	atts, err := readAttachments(q.opts.AttachmentRoot, e.Attachments, limit-int64(len(e.Message)))
	if err != nil {
		return "", err
	}
	now := q.opts.Clock.Now()
	id := uuid.NewString()
	msg, err := build(header{id: id, from: from, subject: e.Subject, to: to, date: now}, e.Message, atts)
	if err != nil {
		return "", fmt.Errorf("mailq: build: %w", err)
	}
	if int64(len(msg)) > limit {
		return "", fmt.Errorf("%w: %d bytes encoded, at most %d", ErrTooLarge, len(msg), limit)
	}
	st := &Status{
		ID: id, State: Queued, From: envFrom, To: to, Subject: e.Subject,
		Size: len(msg), Accepted: now, NextAttempt: now,
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seq++
	st.Seq = q.seq
	if err := writeFileSync(q.queueDir, id+bodyExt, msg); err != nil {
		return "", err
	}
	if err := q.writeStatus(q.queueDir, st); err != nil {
		os.Remove(filepath.Join(q.queueDir, id+bodyExt))
		return "", err
	}
	if err := config.SyncDir(q.queueDir); err != nil {
		return "", err
	}
	q.pending[id] = st
	q.log.Info("e-mail queued", "id", id, "to", to, "size", len(msg))
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return id, nil
}

func (q *Queue) writeStatus(dir string, st *Status) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("mailq: %w", err)
	}
	return writeFileSync(dir, st.ID+metaExt, data)
}

// Status returns a queued or failed message's state.
func (q *Queue) Status(id string) (Status, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if st, ok := q.pending[id]; ok {
		return clone(st), nil
	}
	if st, ok := q.failed[id]; ok {
		return clone(st), nil
	}
	return Status{}, fmt.Errorf("%w: %q (sent, or never queued)", ErrNotFound, id)
}

func clone(st *Status) Status {
	c := *st
	c.To = slices.Clone(st.To)
	return c
}

// Pending returns the messages waiting for delivery, oldest first.
func (q *Queue) Pending() []Status { return q.list(q.pending) }

// Failed returns the messages kept after failing, oldest first.
func (q *Queue) Failed() []Status { return q.list(q.failed) }

func (q *Queue) list(m map[string]*Status) []Status {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Status, 0, len(m))
	for _, st := range m {
		out = append(out, clone(st))
	}
	slices.SortFunc(out, bySeq)
	return out
}

// current is the relay and the envelope sender in force.
func (q *Queue) current() (Relay, string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.relay, q.from
}

// SetRelay changes the relay and the default envelope sender (a config
// reload). Nothing queued is lost: queued messages keep their envelope
// sender and are tried at once through the new relay. An empty Host stops
// delivery (queued messages wait) and makes Enqueue answer ErrNoRelay.
func (q *Queue) SetRelay(r Relay, from string) {
	q.mu.Lock()
	q.relay, q.from = r, from
	now := q.opts.Clock.Now()
	for _, st := range q.pending {
		if st.NextAttempt.After(now) {
			st.NextAttempt = now
		}
	}
	q.mu.Unlock()
	q.log.Info("relay changed", "host", r.Host, "port", r.Port, "queued", len(q.Pending()))
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run delivers queued mail until ctx ends, waking when mail is enqueued
// and when the earliest retry is due.
func (q *Queue) Run(ctx context.Context) error {
	for {
		q.DeliverDue(ctx)
		var timer <-chan time.Time
		if next, ok := q.nextAttempt(); ok {
			timer = q.opts.Clock.After(max(0, next.Sub(q.opts.Clock.Now())))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-q.wake:
		case <-timer:
		}
	}
}

// nextAttempt is the earliest retry time; false when nothing is queued
// or there is no relay to try (SetRelay wakes Run).
func (q *Queue) nextAttempt() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var next time.Time
	if q.relay.Host == "" {
		return next, false
	}
	for _, st := range q.pending {
		if next.IsZero() || st.NextAttempt.Before(next) {
			next = st.NextAttempt
		}
	}
	return next, !next.IsZero()
}

// DeliverDue makes one attempt at every message whose retry time has come,
// one after the other, and returns how many were sent.
func (q *Queue) DeliverDue(ctx context.Context) (sent int) {
	now := q.opts.Clock.Now()
	q.mu.Lock()
	var due []Status
	for _, st := range q.pending {
		if !st.NextAttempt.After(now) {
			due = append(due, clone(st))
		}
	}
	q.mu.Unlock()
	slices.SortFunc(due, bySeq)
	for _, st := range due {
		if ctx.Err() != nil {
			return sent
		}
		if q.attempt(ctx, st) {
			sent++
		}
	}
	return sent
}

// attempt tries one message and records the outcome.
func (q *Queue) attempt(ctx context.Context, st Status) (sent bool) {
	msg, err := os.ReadFile(filepath.Join(q.queueDir, st.ID+bodyExt))
	if err != nil {
		q.log.Error("queued message unreadable", "id", st.ID, "err", err)
		return false
	}
	relay, _ := q.current()
	if relay.Host == "" {
		return false // no relay (SetRelay removed it): the message waits
	}
	refused, err := relay.deliver(ctx, st.From, st.To, msg)
	if ctx.Err() != nil {
		return false // shutting down: not an attempt
	}
	now := q.opts.Clock.Now()
	st.Attempts++
	var perm *permanentError
	switch {
	case err == nil && len(refused) == 0:
		q.log.Info("e-mail sent", "id", st.ID, "to", st.To, "attempts", st.Attempts)
		q.remove(st.ID)
		return true
	case err == nil:
		// Delivered to the others; keep the refused part as failed.
		q.log.Warn("e-mail sent, some recipients refused", "id", st.ID, "refused", refused)
		st.To = recipientsOf(refused)
		st.LastError = strings.Join(refused, "; ")
		q.fail(st)
		return true
	case errors.As(err, &perm):
		q.log.Warn("e-mail refused by the relay", "id", st.ID, "err", err)
		st.LastError = err.Error()
		q.fail(st)
	case now.Sub(st.Accepted) >= q.opts.MaxAge:
		q.log.Warn("e-mail expired", "id", st.ID, "attempts", st.Attempts, "err", err)
		st.LastError = fmt.Sprintf("expired after %d attempts: %v", st.Attempts, err)
		q.fail(st)
	default:
		st.LastError = err.Error()
		st.NextAttempt = now.Add(q.backoff(st.Attempts))
		q.log.Info("e-mail deferred", "id", st.ID, "attempts", st.Attempts, "retry_at", st.NextAttempt, "err", err)
		q.mu.Lock()
		defer q.mu.Unlock()
		if err := q.writeStatus(q.queueDir, &st); err != nil {
			q.log.Error("cannot record attempt", "id", st.ID, "err", err)
		}
		q.pending[st.ID] = &st
	}
	return false
}

func bySeq(a, b Status) int { return cmp.Compare(a.Seq, b.Seq) }

func recipientsOf(refused []string) []string {
	out := make([]string, len(refused))
	for i, r := range refused {
		out[i], _, _ = strings.Cut(r, ": ")
	}
	return out
}

// backoff is the delay after the given number of failed attempts.
func (q *Queue) backoff(attempts int) time.Duration {
	d := q.opts.MinBackoff
	for i := 1; i < attempts && d < q.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, q.opts.MaxBackoff)
}

// remove deletes a sent message: state file first, so a crash in between
// leaves only an orphan message file that Open deletes.
func (q *Queue) remove(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.pending, id)
	for _, ext := range []string{metaExt, bodyExt} {
		if err := os.Remove(filepath.Join(q.queueDir, id+ext)); err != nil {
			q.log.Error("cannot remove sent e-mail", "id", id, "err", err)
		}
	}
	if err := config.SyncDir(q.queueDir); err != nil {
		q.log.Error("cannot sync queue", "err", err)
	}
}

// fail moves a message to failed/ with its reason and prunes the oldest
// failed messages beyond MaxFailed.
func (q *Queue) fail(st Status) {
	st.State, st.NextAttempt = Failed, time.Time{}
	q.mu.Lock()
	defer q.mu.Unlock()
	// Order for crashes: failed state, then the message, then the queue
	// state; every prefix leaves the message queued or failed.
	err := q.writeStatus(q.failedDir, &st)
	if err == nil {
		err = os.Rename(filepath.Join(q.queueDir, st.ID+bodyExt), filepath.Join(q.failedDir, st.ID+bodyExt))
	}
	if err == nil {
		err = config.SyncDir(q.failedDir)
	}
	if err == nil {
		err = os.Remove(filepath.Join(q.queueDir, st.ID+metaExt))
	}
	if err == nil {
		err = config.SyncDir(q.queueDir)
	}
	if err != nil {
		q.log.Error("cannot move e-mail to failed", "id", st.ID, "err", err)
	}
	delete(q.pending, st.ID)
	q.failed[st.ID] = &st
	for len(q.failed) > q.opts.MaxFailed {
		var oldest *Status
		for _, f := range q.failed {
			if oldest == nil || f.Seq < oldest.Seq {
				oldest = f
			}
		}
		delete(q.failed, oldest.ID)
		os.Remove(filepath.Join(q.failedDir, oldest.ID+metaExt))
		os.Remove(filepath.Join(q.failedDir, oldest.ID+bodyExt))
	}
}
