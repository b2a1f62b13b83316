package sim

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
)

// usRing is 2 s on, 4 s off.
var usRing = hal.Cadence{Name: "us", On: []time.Duration{2 * time.Second}, Off: []time.Duration{4 * time.Second}}

func newFXS(t *testing.T) (*FXSPort, *ManualClock) {
	t.Helper()
	clock := NewManualClock(epoch)
	b, err := NewBoard("sim", 1, 0, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	p, ok := b.FXS("fxs0")
	if !ok {
		t.Fatal("no fxs0")
	}
	return p, clock
}

// pending returns the events queued on ch without waiting: the sim emits
// synchronously, so everything an action caused is queued when it returns.
func pending(ch <-chan hal.Event) []hal.Event {
	var out []hal.Event
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, ev)
		default:
			return out
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestFXSHookAndDialEvents(t *testing.T) {
	p, clock := newFXS(t)

	must(t, p.GoOffHook())
	must(t, p.GoOffHook()) // already off hook: no second event
	clock.Advance(time.Second)
	must(t, p.Dial("12*#A"))
	must(t, p.Flash())
	clock.Advance(time.Second)
	must(t, p.GoOnHook())
	must(t, p.GoOnHook())

	at0, at1, at2 := epoch, epoch.Add(time.Second), epoch.Add(2*time.Second)
	want := []hal.Event{
		{Port: "fxs0", Type: hal.OffHook, At: at0},
		{Port: "fxs0", Type: hal.Digit, Digit: '1', At: at1},
		{Port: "fxs0", Type: hal.Digit, Digit: '2', At: at1},
		{Port: "fxs0", Type: hal.Digit, Digit: '*', At: at1},
		{Port: "fxs0", Type: hal.Digit, Digit: '#', At: at1},
		{Port: "fxs0", Type: hal.Digit, Digit: 'A', At: at1},
		{Port: "fxs0", Type: hal.Flash, At: at1},
		{Port: "fxs0", Type: hal.OnHook, At: at2},
	}
	if got := pending(p.Events()); !reflect.DeepEqual(got, want) {
		t.Errorf("events\n got %v\nwant %v", got, want)
	}
	if p.OffHook() {
		t.Error("OffHook() = true after GoOnHook")
	}
}

func TestFXSDialErrors(t *testing.T) {
	tests := []struct {
		name    string
		offHook bool
		digits  string
		wantIs  error
		wantMsg string
	}{
		{"on hook", false, "1", ErrOnHook, ""},
		{"bad digit", true, "12x3", nil, `'x' at 2 is not a DTMF digit`},
		{"lower-case", true, "a", nil, "not a DTMF digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newFXS(t)
			if tt.offHook {
				must(t, p.GoOffHook())
				pending(p.Events())
			}
			err := p.Dial(tt.digits)
			if err == nil {
				t.Fatal("Dial succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want containing %q", err, tt.wantMsg)
			}
			if got := pending(p.Events()); len(got) != 0 {
				t.Errorf("failed Dial emitted %v", got)
			}
		})
	}
}

func TestFXSRingCadenceAndStop(t *testing.T) {
	p, clock := newFXS(t)
	cid := &hal.CallerID{Number: "3612345678", Name: "Reception", Time: epoch}
	must(t, p.Ring(context.Background(), usRing, cid))
	cid.Name = "changed by caller" // the port keeps its own copy

	type state struct {
		ringing, bell bool
		count         int
	}
	check := func(step string, want state) {
		t.Helper()
		got := state{p.Ringing(), p.BellOn(), p.RingCount()}
		if got != want {
			t.Errorf("%s: (ringing, bell, count) = %+v, want %+v", step, got, want)
		}
	}
	check("started", state{true, true, 1})
	clock.Advance(2 * time.Second)
	check("first pause", state{true, false, 1})
	clock.Advance(4 * time.Second)
	check("second burst", state{true, true, 2})
	clock.Advance(60 * time.Second)
	check("after a minute", state{true, true, 12})

	if got := p.LastCallerID(); got == nil || got.Name != "Reception" || got.Number != "3612345678" {
		t.Errorf("LastCallerID() = %+v", got)
	}

	must(t, p.StopRing())
	check("stopped", state{false, false, 12})
	if n := clock.Pending(); n != 0 {
		t.Errorf("%d timers left after StopRing", n)
	}
	must(t, p.StopRing()) // idempotent
	clock.Advance(time.Minute)
	check("stays stopped", state{false, false, 12})
	if got := pending(p.Events()); len(got) != 0 {
		t.Errorf("ringing an FXS port emitted %v", got)
	}
}

func TestFXSRingTripByOffHook(t *testing.T) {
	p, clock := newFXS(t)
	must(t, p.Ring(context.Background(), usRing, nil))
	clock.Advance(3 * time.Second)
	must(t, p.GoOffHook())
	if p.Ringing() {
		t.Error("still ringing after off hook")
	}
	if clock.Pending() != 0 {
		t.Error("ring timer left after ring trip")
	}
	want := []hal.Event{{Port: "fxs0", Type: hal.OffHook, At: epoch.Add(3 * time.Second)}}
	if got := pending(p.Events()); !reflect.DeepEqual(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if p.LastCallerID() != nil {
		t.Error("LastCallerID() != nil for a ring without caller ID")
	}
}

func TestFXSRingRestartsWithNewCadence(t *testing.T) {
	p, clock := newFXS(t)
	must(t, p.Ring(context.Background(), usRing, nil))
	clock.Advance(7 * time.Second)
	short := hal.Cadence{Name: "short", On: []time.Duration{time.Second}, Off: []time.Duration{time.Second}}
	must(t, p.Ring(context.Background(), short, nil))
	if got := p.RingCount(); got != 1 {
		t.Errorf("RingCount() after restart = %d, want 1", got)
	}
	if clock.Pending() != 1 {
		t.Errorf("Pending() = %d, want 1 (old cadence's timer stopped)", clock.Pending())
	}
	clock.Advance(4 * time.Second)
	if got := p.RingCount(); got != 3 {
		t.Errorf("RingCount() = %d, want 3", got)
	}
}

func TestFXSRingErrors(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		setup   func(*FXSPort)
		ctx     context.Context
		cadence hal.Cadence
		wantIs  error
		wantMsg string
	}{
		{"off hook", func(p *FXSPort) { p.GoOffHook() }, context.Background(), usRing, hal.ErrOffHook, ""},
		{"closed", func(p *FXSPort) { p.Close() }, context.Background(), usRing, hal.ErrClosed, ""},
		{"canceled", func(*FXSPort) {}, canceled, usRing, context.Canceled, ""},
		{"bad cadence", func(*FXSPort) {}, context.Background(), hal.Cadence{Name: "none"}, nil, "no ring bursts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newFXS(t)
			tt.setup(p)
			err := p.Ring(tt.ctx, tt.cadence, nil)
			if err == nil {
				t.Fatal("Ring succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want containing %q", err, tt.wantMsg)
			}
			if p.Ringing() {
				t.Error("ringing after failed Ring")
			}
		})
	}
}

func TestFXSClosed(t *testing.T) {
	p, clock := newFXS(t)
	must(t, p.Ring(context.Background(), usRing, nil))
	must(t, p.Close())
	must(t, p.Close())
	if clock.Pending() != 0 {
		t.Error("ring timer left after Close")
	}
	if _, open := <-p.Events(); open {
		t.Error("events channel open after Close")
	}
	for name, err := range map[string]error{
		"StopRing":  p.StopRing(),
		"GoOffHook": p.GoOffHook(),
		"GoOnHook":  p.GoOnHook(),
		"Flash":     p.Flash(),
		"Dial":      p.Dial("1"),
	} {
		if !errors.Is(err, hal.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

func TestFXSDropsEventsForSlowReader(t *testing.T) {
	p, _ := newFXS(t)
	must(t, p.GoOffHook())
	must(t, p.Dial(strings.Repeat("5", 100)))
	if got := len(pending(p.Events())); got != eventBuffer {
		t.Errorf("queued %d events, want %d", got, eventBuffer)
	}
	if got, want := p.DroppedEvents(), uint64(101-eventBuffer); got != want {
		t.Errorf("DroppedEvents() = %d, want %d", got, want)
	}
}

// TestFXSConcurrentUse gives the race detector the exchange, the phone and
// the clock acting at once.
func TestFXSConcurrentUse(t *testing.T) {
	p, clock := newFXS(t)
	fast := hal.Cadence{On: []time.Duration{time.Millisecond}, Off: []time.Duration{time.Millisecond}}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for range 200 {
			p.Ring(context.Background(), fast, nil)
			p.StopRing()
		}
	}()
	go func() {
		defer wg.Done()
		for range 200 {
			p.GoOffHook()
			p.Dial("1")
			p.GoOnHook()
		}
	}()
	go func() {
		defer wg.Done()
		for range 200 {
			clock.Advance(time.Millisecond)
		}
	}()
	go func() {
		for range p.Events() {
		}
	}()
	wg.Wait()
	must(t, p.Close())
}
