package line

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/haltest"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/hal/vclock"
)

var epoch = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)

// change is one driver command with its virtual time offset.
type change struct {
	at time.Duration
	lf hal.Linefeed // FXS
	on bool         // FXO: off hook
}

// fakeFXS records linefeed changes.
type fakeFXS struct {
	clock *vclock.Manual
	mu    sync.Mutex
	log   []change
	fail  error
}

func (d *fakeFXS) SetLinefeed(lf hal.Linefeed) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.log = append(d.log, change{at: d.clock.Now().Sub(epoch), lf: lf})
	return nil
}

func (d *fakeFXS) changes() []change {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]change(nil), d.log...)
}

// fakeFXO records hook changes.
type fakeFXO struct {
	clock *vclock.Manual
	mu    sync.Mutex
	log   []change
}

func (d *fakeFXO) SetHook(off bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.log = append(d.log, change{at: d.clock.Now().Sub(epoch), on: off})
	return nil
}

func (d *fakeFXO) changes() []change {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]change(nil), d.log...)
}

var errChip = errors.New("chip gone")

// framer is a port's PCM side as the tests drive it.
type framer interface {
	TxFrame(*hal.Frame)
	RxFrame(*hal.Frame)
}

// runFrames advances the clock in 20 ms steps for d, calling the port's
// frame hooks: rx supplies the line's audio (nil: silence); what the port
// sends is appended to the result.
func runFrames(clock *vclock.Manual, p framer, d time.Duration, rx func(*hal.Frame)) []int16 {
	var out []int16
	for elapsed := time.Duration(0); elapsed < d; elapsed += hal.FrameDuration {
		var in, tx hal.Frame
		if rx != nil {
			rx(&in)
		}
		p.RxFrame(&in)
		p.TxFrame(&tx)
		out = append(out, tx[:]...)
		clock.Advance(hal.FrameDuration)
	}
	return out
}

// fromSamples returns an rx func that plays samples, then silence.
func fromSamples(samples []int16) func(*hal.Frame) {
	return func(f *hal.Frame) {
		n := copy(f[:], samples)
		clear(f[n:])
		samples = samples[n:]
	}
}

var (
	drain = haltest.Drain
	types = haltest.Types
)

func newTestFXS(t *testing.T, cfg Config) (*FXS, *fakeFXS, *vclock.Manual) {
	t.Helper()
	clock := vclock.New(epoch)
	drv := &fakeFXS{clock: clock}
	p, err := NewFXS("fxs0", drv, clock, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, drv, clock
}

func newTestFXO(t *testing.T, cfg Config) (*FXO, *fakeFXO, *vclock.Manual) {
	t.Helper()
	clock := vclock.New(epoch)
	drv := &fakeFXO{clock: clock}
	p, err := NewFXO("fxo0", drv, clock, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, drv, clock
}

// regionConfig returns a region and the engine configuration for it.
func regionConfig(t *testing.T, code string) (region.Region, Config) {
	t.Helper()
	r, err := region.Lookup(code)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := RegionConfig(r)
	if err != nil {
		t.Fatal(err)
	}
	return r, cfg
}
