package apiext

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/media/listen"
	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// agent is a leg's media: bridge is the endpoint the core bridges to the
// caller, near the agent's own endpoint, linked to bridge over the host.
type agent struct {
	bridge, near *relay.Endpoint
	pacer        *stream.Pacer
	feed         *feed
	taps         stream.TapMux
	keys         *listen.Listener
	formats      []sdp.Format
	stop         context.CancelFunc
	wg           sync.WaitGroup
}

// newAgent allocates the two endpoints and links them; formats are what
// the caller offered, of which the first G.711 codec and the telephone
// events are kept.
func newAgent(ports *relay.PortPool, offered []sdp.Format, clock stream.Clock, now func() time.Time) (*agent, error) {
	audio, events, ok := pickFormats(offered)
	if !ok {
		return nil, errors.New("apiext: the caller offered neither PCMU nor PCMA")
	}
	bridge, err := ports.Allocate()
	if err != nil {
		return nil, fmt.Errorf("apiext: media: %w", err)
	}
	near, err := ports.Allocate()
	if err != nil {
		bridge.Close()
		return nil, fmt.Errorf("apiext: media: %w", err)
	}
	a := &agent{bridge: bridge, near: near, feed: &feed{}, formats: []sdp.Format{audio}}
	if events.Name != "" {
		a.formats = append(a.formats, events)
	}
	bridge.SetRemote(hostAddr(near.LocalAddr()))
	near.SetRemote(hostAddr(bridge.LocalAddr()))
	a.pacer, err = stream.NewPacer(near, stream.PacerConfig{PayloadType: audio.PT, EventPayloadType: events.PT, Clock: clock})
	if err == nil {
		a.keys, err = listen.New(listen.Config{Now: now})
	}
	if err != nil {
		a.close()
		return nil, fmt.Errorf("apiext: media: %w", err)
	}
	a.taps.Add(a.keys.Tap)
	near.SetAudioTap(a.taps.Tap)
	if events.PT != 0 {
		near.SetDTMFListener(events.PT, a.keys.Event)
	}
	bridge.Start()
	near.Start()
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	a.wg.Add(2)
	go func() { defer a.wg.Done(); _ = a.pacer.Play(ctx, a.feed) }()
	go func() { defer a.wg.Done(); _ = a.keys.Run(ctx) }()
	return a, nil
}

// close stops the agent's goroutines and frees both endpoints.
func (a *agent) close() {
	if a.stop != nil {
		a.stop()
	}
	a.wg.Wait()
	a.feed.set(nil, nil)
	a.near.Close()
	a.bridge.Close()
}

// play sends src into the call until it ends (nil), fails, or ctx ends
// (ctx's error: barge-in). src is closed.
func (a *agent) play(ctx context.Context, src player.Source) error {
	done := make(chan error, 1)
	a.feed.set(src, done)
	defer src.Close()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		a.feed.set(nil, nil)
		return ctx.Err()
	}
}

// hostAddr is ap as reachable from this host: an unspecified bind address
// becomes loopback.
func hostAddr(ap netip.AddrPort) netip.AddrPort {
	addr := ap.Addr().Unmap()
	if addr.IsUnspecified() {
		if addr.Is6() {
			addr = netip.IPv6Loopback()
		} else {
			addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
	}
	return netip.AddrPortFrom(addr, ap.Port())
}

// pickFormats takes the first G.711 format and the telephone events of an
// offer.
func pickFormats(offered []sdp.Format) (audio, events sdp.Format, ok bool) {
	for _, f := range offered {
		switch {
		case strings.EqualFold(f.Name, "telephone-event"):
			if events.Name == "" {
				events = f
			}
		case !ok && (strings.EqualFold(f.Name, "PCMU") || strings.EqualFold(f.Name, "PCMA")):
			audio, ok = f, true
		}
	}
	return audio, events, ok
}

// feed is the agent's one endless source: the current prompt's frames,
// silence when there is none. The pacer reads it on its goroutine.
type feed struct {
	mu   sync.Mutex
	src  stream.Source
	done chan<- error
}

// set makes src the current audio (nil: silence); done learns how it
// ended. A replaced source's waiter is not told.
func (f *feed) set(src stream.Source, done chan<- error) {
	f.mu.Lock()
	f.src, f.done = src, done
	f.mu.Unlock()
}

// ReadFrame implements stream.Source; it never ends.
func (f *feed) ReadFrame(dst []int16) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	if f.src != nil {
		var err error
		n, err = f.src.ReadFrame(dst)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			f.done <- err
			f.src, f.done = nil, nil
		}
	}
	clear(dst[n:])
	return len(dst), nil
}
