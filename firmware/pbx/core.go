package pbx

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Leg is what the core needs of any party of a call, whatever its kind.
// Events use the SIP layer's vocabulary (ringing, answered, failed,
// hangup, cancelled, DTMF); other leg kinds speak it too.
type Leg interface {
	Events() <-chan ua.Event
	Endpoint() *relay.Endpoint
	// Formats is the leg's negotiated format list (once answered).
	Formats() []sdp.Format
	Hangup()
	Done() <-chan struct{}
}

// CallerLeg is a leg that called the appliance.
type CallerLeg interface {
	Leg
	Caller() ua.Party
	Dialed() string
	Offered() []sdp.Format
	Ringing() error
	Progress(formats []sdp.Format) error
	Answer(formats []sdp.Format) error
	Reject(code int, reason string)
}

// CalleeLeg is a leg the appliance originated.
type CalleeLeg interface {
	Leg
}

// Originator makes outgoing legs to an extension.
type Originator interface {
	Originate(ctx context.Context, number string, from ua.Party, formats []sdp.Format) (CalleeLeg, error)
}

// SIPOriginator adapts the SIP user agent to Originator.
func SIPOriginator(s *ua.Server) Originator { return sipOriginator{s} }

type sipOriginator struct{ s *ua.Server }

func (o sipOriginator) Originate(ctx context.Context, number string, from ua.Party, formats []sdp.Format) (CalleeLeg, error) {
	leg, err := o.s.Originate(ctx, number, from, formats)
	if err != nil {
		return nil, err
	}
	return leg, nil
}

// HistoryStore keeps finished calls durably.
type HistoryStore interface {
	Append(r history.Record) error
}

// Options configure the core.
type Options struct {
	Logger       *slog.Logger
	Clock        Clock
	History      HistoryStore
	Directory    *Directory
	RingTimeout  time.Duration
	MediaTimeout time.Duration // 0 disables
	// Player plays music on hold and the tones of transfers; nil plays
	// silence (nothing is sent).
	Player Player
	// OnEnd, when set, is called with every history record the core
	// writes (a transferred conversation's and the call's final one) and
	// the FinishedUrl of the call's last API transfer, "" when none. It
	// runs on the call's goroutine and must not block.
	OnEnd func(r history.Record, finishedURL string)
}

// Core owns the table of live calls.
type Core struct {
	log   *slog.Logger
	opts  Options
	dir   atomic.Pointer[Directory]
	sip   atomic.Value // Originator
	kinds sync.Map     // extension kind ("analog", "api") → Originator
	mu    sync.Mutex
	calls map[string]*Call
	// snapshots holds each live call's published state; only the call's
	// owner goroutine writes its entry (Call.setState).
	snapshots map[string]CallSnapshot
	wg        sync.WaitGroup
	closing   atomic.Bool
}

// New makes a core. SetOriginator must be called before calls arrive.
func New(o Options) *Core {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.RingTimeout <= 0 {
		o.RingTimeout = 60 * time.Second
	}
	c := &Core{log: o.Logger, opts: o, calls: map[string]*Call{}, snapshots: map[string]CallSnapshot{}}
	if o.Directory == nil {
		o.Directory = NewDirectory(nil)
	}
	c.dir.Store(o.Directory)
	return c
}

// SetOriginator wires the leg maker (the SIP side needs the core as its
// handler first, so this comes after New).
func (c *Core) SetOriginator(o Originator) { c.sip.Store(o) }

// SetKindOriginator wires the leg maker for extensions of a kind other
// than "sip" (config.KindAnalog, config.KindAPI). Until one is set, calls to
// such extensions fail with 480.
func (c *Core) SetKindOriginator(kind string, o Originator) { c.kinds.Store(kind, o) }

// SetDirectory swaps the extension table (config reload).
func (c *Core) SetDirectory(d *Directory) { c.dir.Store(d) }

// Directory returns the current extension table.
func (c *Core) Directory() *Directory { return c.dir.Load() }

// ActiveCalls is the number of calls in progress.
func (c *Core) ActiveCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// IncomingCall implements ua.CallHandler.
func (c *Core) IncomingCall(leg *ua.InboundLeg) { c.Incoming(leg) }

// Incoming starts a call for a leg that called the appliance: the call's
// own goroutine routes, rings and connects it.
func (c *Core) Incoming(leg CallerLeg) {
	if c.closing.Load() {
		leg.Reject(503, "Service Unavailable")
		return
	}
	if r, ok := leg.(interface{ Replaces() ua.Replaced }); ok && r.Replaces() != nil {
		c.replaceLeg(leg, r.Replaces())
		return
	}
	if c.pickup(leg) {
		return
	}
	call := &Call{
		core: c, a: leg, inbox: make(chan command, 4), done: make(chan struct{}), ending: make(chan struct{}),
		rec: history.Record{
			Direction: "internal", Caller: leg.Caller().Number, CallerName: leg.Caller().DisplayName,
			Dialed: leg.Dialed(), Callee: leg.Dialed(), Start: c.opts.Clock.Now(),
		},
	}
	c.inbound(leg, &call.rec)
	c.mu.Lock()
	call.id = c.newID()
	call.rec.CallID = call.id
	call.state = StateSetup
	c.calls[call.id] = call
	c.snapshots[call.id] = call.snapshot()
	c.wg.Add(1)
	c.mu.Unlock()
	bindCall(leg, call.id) // a caller leg the appliance made (apiext) learns its call
	go call.run()
}

// Hangup ends a call by its ID; false when no such call.
func (c *Core) Hangup(callID string) bool {
	c.mu.Lock()
	call, ok := c.calls[callID]
	c.mu.Unlock()
	if !ok {
		return false
	}
	call.send(command{kind: cmdHangup, state: "Hangup"})
	return true
}

// Shutdown refuses new calls, ends every call in progress and waits until
// their history records are written or ctx ends.
func (c *Core) Shutdown(ctx context.Context) error {
	c.closing.Store(true)
	c.mu.Lock()
	for _, call := range c.calls {
		call.send(command{kind: cmdHangup, state: "Shutdown"})
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("pbx: calls still ending at shutdown deadline")
	}
}

func (c *Core) remove(call *Call) {
	c.mu.Lock()
	delete(c.calls, call.id)
	delete(c.snapshots, call.id)
	c.mu.Unlock()
	c.wg.Done()
}

const idAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// newID makes a short random call ID like Ozeki's "Nt3uh"; c.mu is held.
func (c *Core) newID() string {
	var b [5]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic("crypto/rand failed: " + err.Error()) // never happens on Linux
		}
		for i := range b {
			b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
		}
		id := string(b[:])
		if _, taken := c.calls[id]; !taken {
			return id
		}
	}
}
