package analog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Defaults of the timings in Options.
const (
	DefaultInterDigit   = 4 * time.Second
	DefaultFirstDigit   = 15 * time.Second
	DefaultCallerIDWait = 5 * time.Second
	// DefaultRecallTimeout is how long a phone is rung back for a held or
	// waiting call before that call is released (Asterisk's chan_dahdi
	// rings back until the caller gives up; ATAs ring 20-60 s).
	DefaultRecallTimeout = 30 * time.Second
)

// Errors of Originate.
var (
	// ErrNoPort: no extension binds the number to a port of this board.
	ErrNoPort = errors.New("analog: number is not an analog port of the board")
	// ErrNotFXS: the number is bound to an FXO line (outbound PSTN calls
	// belong to the dial plan).
	ErrNotFXS = errors.New("analog: calls out through an FXO line are not supported")
)

// Options configure an Adapter.
type Options struct {
	// Board holds the ports; FXS ports must be hal.FXS, FXO ports hal.FXO,
	// and both hal.AudioPort.
	Board hal.Board
	// Ports hands out the legs' relay endpoints.
	Ports *relay.PortPool
	// Region gives the ring cadence and the call-progress tones.
	Region region.Region
	// Clock runs the digit and caller-ID timers (nil: hal.SystemClock).
	Clock hal.Clock
	// Extensions returns the current extension table; an analog extension
	// binds its number to a port (config.Extension.Port).
	Extensions func() []config.Extension
	// Incoming hands a leg that called to the call core
	// (pbx.Core.Incoming).
	Incoming func(*Leg)
	// Operator names the extension a PSTN call ringing in on an FXO port
	// is routed to; "" (or a nil func) leaves the line ringing unanswered.
	Operator func(port string) string
	// Codecs restrict what analog callers offer: PCMU, PCMA and
	// telephone-event in this order when empty.
	Codecs []sdp.Format
	// InterDigit ends digit collection after a pause; FirstDigit gives up
	// (congestion tone) when nothing is dialled; CallerIDWait is how long
	// an FXO line rings before its call is offered without caller ID.
	InterDigit, FirstDigit, CallerIDWait time.Duration
	// DialToneWait is how long a call out through an FXO line waits for
	// dial tone after the seizure before it fails with 503.
	DialToneWait time.Duration
	// RecallTimeout returns how long a phone that hung up with a call on
	// hold or waiting is rung back before that call is released; it is
	// asked at each recall, so a config reload applies (nil or a result
	// <= 0: DefaultRecallTimeout).
	RecallTimeout func() time.Duration
	// PulseDial says whether an FXO port dials by loop-disconnect pulses
	// instead of DTMF (nil: DTMF everywhere).
	PulseDial func(port string) bool
	Logger    *slog.Logger
}

// Adapter runs every analog port of a board as a source and sink of legs.
type Adapter struct {
	o     Options
	log   *slog.Logger
	tones map[tone.Kind]tone.Tone
	fxs   map[string]*fxsLine
	fxo   map[string]*fxoLine
	wg    sync.WaitGroup
}

// New checks the options and prepares a line per port; Start runs them.
func New(o Options) (*Adapter, error) {
	if o.Board == nil || o.Ports == nil || o.Incoming == nil {
		return nil, errors.New("analog: board, port pool and Incoming are required")
	}
	if o.Clock == nil {
		o.Clock = hal.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Extensions == nil {
		o.Extensions = func() []config.Extension { return nil }
	}
	if len(o.Codecs) == 0 {
		o.Codecs = []sdp.Format{sdp.PCMU, sdp.PCMA, sdp.TelephoneEvent}
	}
	o.InterDigit = cmp(o.InterDigit, DefaultInterDigit)
	o.FirstDigit = cmp(o.FirstDigit, DefaultFirstDigit)
	o.CallerIDWait = cmp(o.CallerIDWait, DefaultCallerIDWait)
	o.DialToneWait = cmp(o.DialToneWait, DefaultDialToneWait)
	if err := o.Region.Ring.Validate(); err != nil {
		return nil, fmt.Errorf("analog: region %q: %w", o.Region.Code, err)
	}
	a := &Adapter{o: o, log: o.Logger, tones: map[tone.Kind]tone.Tone{},
		fxs: map[string]*fxsLine{}, fxo: map[string]*fxoLine{}}
	for _, k := range []tone.Kind{tone.Dial, tone.Ringback, tone.Busy, tone.Congestion, tone.CallWaiting} {
		t, err := tone.Lookup(o.Region.Tones, k)
		if err != nil {
			return nil, fmt.Errorf("analog: region %q: %w", o.Region.Code, err)
		}
		a.tones[k] = t
	}
	for _, p := range o.Board.Ports() {
		audio, ok := p.(hal.AudioPort)
		if !ok {
			return nil, fmt.Errorf("analog: port %s has no audio stream", p.Name())
		}
		switch port := p.(type) {
		case hal.FXS:
			a.fxs[p.Name()] = &fxsLine{a: a, port: port, audio: audio.Audio(), name: p.Name()}
		case hal.FXO:
			l, err := newFXOLine(a, port, audio.Audio())
			if err != nil {
				return nil, fmt.Errorf("analog: port %s: %w", p.Name(), err)
			}
			a.fxo[p.Name()] = l
		default:
			return nil, fmt.Errorf("analog: port %s is neither FXS nor FXO", p.Name())
		}
	}
	return a, nil
}

// recallLimit is how long a recall rings now (Options.RecallTimeout).
func (a *Adapter) recallLimit() time.Duration {
	if a.o.RecallTimeout == nil {
		return DefaultRecallTimeout
	}
	return cmp(a.o.RecallTimeout(), DefaultRecallTimeout)
}

func cmp(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// line is what the adapter runs per port.
type line interface {
	onEvent(ev hal.Event)
	// fill produces the next frame for the line from the frame just
	// received; false means nothing to send.
	fill(in, out *hal.Frame) bool
}

// Start runs every port until ctx ends or the board closes its ports.
func (a *Adapter) Start(ctx context.Context) {
	for name, l := range a.fxs {
		a.run(ctx, name, l.port, l.audio, l)
	}
	for name, l := range a.fxo {
		a.run(ctx, name, l.port, l.audio, l)
	}
}

func (a *Adapter) run(ctx context.Context, name string, p hal.Port, audio hal.AudioStream, l line) {
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		for {
			select {
			case ev, ok := <-p.Events():
				if !ok {
					return
				}
				l.onEvent(ev)
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		defer a.wg.Done()
		var in, out hal.Frame
		for {
			if err := audio.ReadFrame(ctx, &in); err != nil {
				a.log.Debug("analog port audio stopped", "port", name, "err", err)
				return
			}
			if l.fill(&in, &out) {
				_ = audio.WriteFrame(&out) // fails only once the port closed
			}
		}
	}()
}

// Wait returns once every port's goroutines have ended (ctx of Start
// ended, or the board closed).
func (a *Adapter) Wait() { a.wg.Wait() }

// Originate rings the FXS port bound to number with from as caller ID.
// A busy port gives a leg that fails with 486 at once.
func (a *Adapter) Originate(_ context.Context, number string, from ua.Party, formats []sdp.Format) (*Leg, error) {
	port := ""
	for _, e := range a.o.Extensions() {
		if e.Number == number && e.Kind == config.KindAnalog {
			port = e.Port
			break
		}
	}
	if l, ok := a.fxs[port]; ok {
		return l.originate(from, formats)
	}
	if _, ok := a.fxo[port]; ok {
		return nil, fmt.Errorf("%w (%s on %s)", ErrNotFXS, number, port)
	}
	return nil, fmt.Errorf("%w: %s", ErrNoPort, number)
}

// partyOf names the extension bound to port; the port name when none is.
func (a *Adapter) partyOf(port string) ua.Party {
	for _, e := range a.o.Extensions() {
		if e.Kind == config.KindAnalog && e.Port == port {
			return ua.Party{Number: e.Number, DisplayName: e.DisplayName}
		}
	}
	return ua.Party{Number: port}
}

// generator starts the region's tone of kind.
func (a *Adapter) generator(kind tone.Kind) *tone.Generator {
	g, err := tone.NewGenerator(a.tones[kind])
	if err != nil {
		a.log.Warn("analog: tone not played", "tone", kind, "err", err)
		return nil
	}
	return g
}
