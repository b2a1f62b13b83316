package listen

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/stream"
)

// Defaults.
const (
	DefaultMatchWindow = 500 * time.Millisecond
	DefaultQueueSlots  = 64
	DefaultBuffer      = 32
	eventBuffer        = 32
	pendingMax         = 8
)

// source says how a key was heard.
type source uint8

// The sources.
const (
	outOfBand source = iota // RFC 4733 telephone event or SIP INFO
	inBand                  // tone in the audio
)

// Config sets up a Listener.
type Config struct {
	// InBandOff disables in-band detection (Tap then ignores audio).
	InBandOff bool
	// Detector tunes the in-band detector; zero means dtmf.DefaultConfig.
	Detector dtmf.Config
	// MatchWindow is how far apart the two copies of one key press may
	// arrive; default 500 ms.
	MatchWindow time.Duration
	QueueSlots  int              // audio packets buffered; default 64
	Buffer      int              // keys buffered on the Digits channel; default 32
	Now         func() time.Time // default time.Now
}

// Stats counts what a Listener did.
type Stats struct {
	Packets    uint64 // audio packets examined
	Events     uint64 // out-of-band keys received (RFC 4733 starts, Signal)
	Tones      uint64 // in-band keys detected
	Delivered  uint64 // keys put on the channel
	Duplicates uint64 // keys dropped as the second copy of a press
	Dropped    uint64 // audio packets or events lost to full buffers
	Overflow   uint64 // keys lost because nobody read the channel
}

// event is one out-of-band key: from RFC 4733 or from signalling.
type event struct{ key byte }

type heard struct {
	key byte
	at  time.Time
}

// Listener merges the DTMF inputs of one leg. Create it with New, install
// Tap and Event on the endpoint, and Run it.
type Listener struct {
	cfg                                            Config
	queue                                          *stream.Queue
	events                                         chan event
	digits                                         chan byte
	det                                            *dtmf.Detector
	now                                            func() time.Time
	window                                         time.Duration
	evDrops                                        atomic.Uint64
	running                                        atomic.Bool
	packets, evs, tones, delivered, dups, overflow atomic.Uint64

	// Owned by Run.
	pending [2][]heard // per source: delivered keys not yet paired
	payload [stream.MaxPayload]byte
	pcm     [stream.MaxPayload]int16
	found   []dtmf.Event
}

// New returns a Listener.
func New(cfg Config) (*Listener, error) {
	if cfg.Detector == (dtmf.Config{}) {
		cfg.Detector = dtmf.DefaultConfig()
	}
	det, err := dtmf.NewDetector(cfg.Detector)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if cfg.MatchWindow <= 0 {
		cfg.MatchWindow = DefaultMatchWindow
	}
	if cfg.QueueSlots <= 0 {
		cfg.QueueSlots = DefaultQueueSlots
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Listener{
		cfg:    cfg,
		queue:  stream.NewQueue(cfg.QueueSlots),
		events: make(chan event, eventBuffer),
		digits: make(chan byte, cfg.Buffer),
		det:    det,
		now:    cfg.Now,
		window: cfg.MatchWindow,
		found:  make([]dtmf.Event, 0, 8),
	}
	for i := range l.pending {
		l.pending[i] = make([]heard, 0, pendingMax)
	}
	return l, nil
}

// Digits delivers the keys ('0'-'9', '*', '#', 'A'-'D'), each press once.
// It is never closed.
func (l *Listener) Digits() <-chan byte { return l.digits }

// Tap takes the leg's audio; its signature matches relay.AudioTapFunc.
// It never blocks.
func (l *Listener) Tap(pt uint8, ts uint32, payload []byte) {
	if l.cfg.InBandOff || (pt != stream.PayloadPCMU && pt != stream.PayloadPCMA) {
		return
	}
	l.queue.Tap(pt, ts, payload)
}

// Event takes RFC 4733 events; install it with
// relay.Endpoint.SetDTMFListener(pt, l.Event). It never blocks.
func (l *Listener) Event(code uint8, end bool, _ uint16) {
	if end {
		return // the start already gave the key
	}
	if key, ok := stream.EventDigit(code); ok {
		l.queueKey(key)
	}
}

// Signal takes a key the phone sent by signalling (SIP INFO). It counts as
// out-of-band like an RFC 4733 event, so an in-band copy of the same press
// is dropped. It never blocks.
func (l *Listener) Signal(key byte) {
	if dtmf.ValidDigit(key) {
		if key >= 'a' && key <= 'd' {
			key -= 'a' - 'A'
		}
		l.queueKey(key)
	}
}

func (l *Listener) queueKey(key byte) {
	select {
	case l.events <- event{key}:
	default:
		l.evDrops.Add(1)
	}
}

// Stats returns the counters.
func (l *Listener) Stats() Stats {
	return Stats{
		Packets:    l.packets.Load(),
		Events:     l.evs.Load(),
		Tones:      l.tones.Load(),
		Delivered:  l.delivered.Load(),
		Duplicates: l.dups.Load(),
		Dropped:    l.queue.Drops() + l.evDrops.Load(),
		Overflow:   l.overflow.Load(),
	}
}

// Run listens until ctx ends and returns ctx's error. Run may be called
// once at a time.
func (l *Listener) Run(ctx context.Context) error {
	if !l.running.CompareAndSwap(false, true) {
		return errors.New("listen: Run called twice")
	}
	defer l.running.Store(false)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-l.events:
			l.evs.Add(1)
			l.heard(ev.key, outOfBand)
		case <-l.queue.Ready():
			l.drain()
		}
	}
}

// drain detects tones in every queued audio packet.
func (l *Listener) drain() {
	for {
		pt, _, n, ok := l.queue.Pop(l.payload[:])
		if !ok {
			return
		}
		l.packets.Add(1)
		k, _ := stream.Decode(pt, l.pcm[:], l.payload[:n])
		l.found = l.det.Detect(l.found[:0], l.pcm[:k])
		for _, e := range l.found {
			if e.Kind == dtmf.KeyDown {
				l.tones.Add(1)
				l.heard(e.Digit, inBand)
			}
		}
	}
}

// heard merges one key from src (see the package doc).
func (l *Listener) heard(key byte, src source) {
	now := l.now()
	other := &l.pending[1-src]
	l.expire(now)
	for i, h := range *other {
		if h.key == key {
			*other = append((*other)[:i], (*other)[i+1:]...)
			l.dups.Add(1)
			return
		}
	}
	mine := &l.pending[src]
	if len(*mine) == pendingMax {
		*mine = append((*mine)[:0], (*mine)[1:]...)
	}
	*mine = append(*mine, heard{key: key, at: now})
	select {
	case l.digits <- key:
		l.delivered.Add(1)
	default:
		l.overflow.Add(1)
	}
}

// expire forgets unpaired keys older than the window.
func (l *Listener) expire(now time.Time) {
	for s := range l.pending {
		p := l.pending[s]
		k := 0
		for k < len(p) && now.Sub(p[k].at) > l.window {
			k++
		}
		if k > 0 {
			l.pending[s] = append(p[:0], p[k:]...)
		}
	}
}
