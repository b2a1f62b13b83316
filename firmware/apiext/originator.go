package apiext

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Core is the call control a script uses on its own call; *pbx.Core is
// one.
type Core interface {
	Settled(ctx context.Context, callID string) error
	BlindTransfer(ctx context.Context, t pbx.Transfer) error
	AttendedTransfer(ctx context.Context, a pbx.Attended) error
	Forward(ctx context.Context, callID, destination string) error
	Hold(ctx context.Context, callID string, party pbx.Party) error
	Unhold(ctx context.Context, callID string, party pbx.Party) error
	SendDTMF(ctx context.Context, callID, keys string, party pbx.Party) error
	// Incoming starts a call whose calling party is a leg of ours (a
	// call the extension places); it binds the leg to its call first.
	Incoming(leg pbx.CallerLeg)
}

// Audio opens what scripts play; *player.Library is one.
type Audio interface {
	Open(ctx context.Context, spec string) (player.Source, error)
	Speak(ctx context.Context, text, language, voice string) (player.Source, error)
	Tone(region string, kind tone.Kind) (player.Source, error)
}

// Interpreter loads and runs OzML; *ozml.Interpreter is one.
type Interpreter interface {
	Load(ctx context.Context, target, notification string, call ozml.Call, extra url.Values) (*ozml.Document, error)
	Run(ctx context.Context, call ozml.Call, doc *ozml.Document, ro ozml.RunOptions) ozml.Result
}

// Options configure an Originator. Ports, Core, Interp, Audio and
// Extension are required.
type Options struct {
	Ports  *relay.PortPool
	Core   Core
	Interp Interpreter
	Audio  Audio
	// Extension looks an API extension up in the running config.
	Extension func(number string) (config.Extension, bool)
	// DataDir is where recordings are written (under RecordDir unless a
	// script names its own RecordPath); empty refuses Record.
	DataDir string
	// RecordURL turns a recording's name (relative to
	// DataDir/RecordDir) into the URL the application downloads it from;
	// nil gives no RecordURL.
	RecordURL func(name string) string
	Logger    *slog.Logger
	// Notify sends the CallError and CallFinished notifications of calls
	// the extensions place (nil: none are sent).
	Notify func(notify.Notification)
	// Alarm times the Contact ID exchanges (SendAlarm, ReceiveAlarm).
	Alarm AlarmTiming
	Clock stream.Clock     // paces audio and recordings; nil: real time
	Now   func() time.Time // nil: time.Now
}

// RecordDir is the directory under the data dir where recordings go.
const RecordDir = "recordings"

// Originator makes the legs of calls to API extensions; it is the core's
// pbx.Originator for config.KindAPI.
type Originator struct {
	opts Options
	log  *slog.Logger
	wg   sync.WaitGroup

	mu   sync.Mutex
	legs map[string]*Leg // by call ID, while their scripts run
}

// New returns an Originator.
func New(o Options) *Originator {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = stream.SystemClock{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Originator{opts: o, log: o.Logger, legs: map[string]*Leg{}}
}

// Originate implements pbx.Originator: it makes the leg and starts its
// script, which waits for the call's ID before notifying the application.
func (o *Originator) Originate(_ context.Context, number string, from ua.Party, formats []sdp.Format) (pbx.CalleeLeg, error) {
	ext, ok := o.opts.Extension(number)
	if !ok || ext.Kind != config.KindAPI {
		return nil, fmt.Errorf("apiext: %s is not an API extension", number)
	}
	target := ext.URL
	if target == "" {
		target = ext.Script
	}
	if target == "" {
		return nil, fmt.Errorf("apiext: API extension %s has neither url nor script", number)
	}
	media, err := newAgent(o.opts.Ports, formats, o.opts.Clock, o.opts.Now)
	if err != nil {
		return nil, err
	}
	l := newLeg(o, number, from, target, media)
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		l.run()
	}()
	return l, nil
}

// Leg returns the leg of a call whose API extension runs a script.
func (o *Originator) Leg(callID string) (*Leg, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	l, ok := o.legs[callID]
	return l, ok
}

// Wait returns when every script has ended (after the core hung their
// calls up) or ctx ends.
func (o *Originator) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("apiext: scripts still running: %w", ctx.Err())
	}
}

func (o *Originator) track(id string, l *Leg) {
	o.mu.Lock()
	o.legs[id] = l
	o.mu.Unlock()
}

func (o *Originator) untrack(id string, l *Leg) {
	o.mu.Lock()
	if o.legs[id] == l {
		delete(o.legs, id)
	}
	o.mu.Unlock()
}
