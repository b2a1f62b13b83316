package app

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/gatepbx/gatepbx/media/listen"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// finishKeys stops an HTTP API Record at one of its FinishDigits,
// pressed by either recorded party: RFC 4733 events and in-band tones as
// each recorded leg's audio tap sees them (SIP INFO keys are not
// watched). One listen.Listener per tap does the detecting.
type finishKeys struct {
	keys      string
	listeners []*listen.Listener

	once sync.Once
	key  byte // the key that stopped the recording; set once
}

// newFinishKeys prepares the watch of legs taps for keys.
func newFinishKeys(keys string, legs int) (*finishKeys, error) {
	f := &finishKeys{keys: strings.ToUpper(keys)}
	for range legs {
		l, err := listen.New(listen.Config{})
		if err != nil {
			return nil, fmt.Errorf("finish digits: %w", err)
		}
		f.listeners = append(f.listeners, l)
	}
	return f, nil
}

// tap returns the audio tap of leg i: every packet goes to next, then
// its telephone events (payload type eventPT, 0: none negotiated) and
// its audio to the leg's listener. It runs on the endpoint's reader
// goroutine and neither blocks nor allocates.
func (f *finishKeys) tap(i int, eventPT uint8, next stream.TapFunc) stream.TapFunc {
	l := f.listeners[i]
	// The one event in progress: an RFC 4733 press repeats its start
	// packets with one timestamp, so a new timestamp is a new press.
	var pressed bool
	var pressTS uint32
	return func(pt uint8, ts uint32, payload []byte) {
		next(pt, ts, payload)
		if eventPT != 0 && pt == eventPT {
			if len(payload) >= 4 && (!pressed || ts != pressTS) {
				pressed, pressTS = true, ts
				l.Event(payload[0], false, 0)
			}
			return
		}
		l.Tap(pt, ts, payload)
	}
}

// run listens until ctx ends; the first finish key calls stop.
func (f *finishKeys) run(ctx context.Context, stop func()) {
	var wg sync.WaitGroup
	for _, l := range f.listeners {
		wg.Go(func() { _ = l.Run(ctx) })
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case k := <-l.Digits():
					if strings.IndexByte(f.keys, k) >= 0 {
						f.once.Do(func() { f.key = k; stop() })
					}
				}
			}
		})
	}
	wg.Wait()
}

// stoppedBy is the finish key that stopped the recording ("" for none);
// call it after run has returned.
func (f *finishKeys) stoppedBy() string {
	if f.key == 0 {
		return ""
	}
	return string(f.key)
}

// telephoneEventPT is the telephone-event payload type of formats (0: none).
func telephoneEventPT(formats []sdp.Format) uint8 {
	for _, f := range formats {
		if strings.EqualFold(f.Name, "telephone-event") {
			return f.PT
		}
	}
	return 0
}
