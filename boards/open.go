package boards

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/hal/sim"
)

// Options tune OpenWith; the zero value opens the real host.
type Options struct {
	// Clock drives the line engine (nil: hal.SystemClock).
	Clock hal.Clock
	// Hardware resolves SPI, GPIO and PCM names (nil: this machine,
	// through periph and ALSA).
	Hardware Hardware
	// Sleep is the chips' reset and calibration wait (nil: time.Sleep).
	Sleep func(time.Duration)
	// Logger receives chip and audio failures after Open (nil:
	// slog.Default()).
	Logger *slog.Logger
}

// Open turns a profile into a running hal.Board on the given clock (nil
// means hal.SystemClock), on this machine's hardware. A sim profile gives
// a *sim.Board; a hardware profile brings up its chips, line engines and
// PCM pump, or fails with an error naming the chip that failed its sanity
// check (the appliance then runs without analog ports).
func Open(p Profile, clock hal.Clock) (hal.Board, error) {
	return OpenWith(context.Background(), p, Options{Clock: clock})
}

// OpenWith is Open with options; ctx bounds the opening only (the board
// runs until Close).
func OpenWith(ctx context.Context, p Profile, o Options) (hal.Board, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = hal.SystemClock{}
	}
	switch p.Driver {
	case DriverSim:
		specs := make([]sim.PortSpec, len(p.Ports))
		for i, port := range p.Ports {
			specs[i] = sim.PortSpec{Name: port.Name, Kind: port.Kind, PulseDial: port.Dial == DialPulse}
		}
		reg, err := region.Lookup(p.Region)
		if err != nil {
			return nil, fmt.Errorf("board %q: %w", p.Name, err)
		}
		b, err := sim.New(p.Name, specs, o.Clock, reg)
		if err != nil {
			return nil, fmt.Errorf("board %q: %w", p.Name, err)
		}
		return b, nil
	default:
		if o.Hardware == nil {
			o.Hardware = &hostHardware{}
		}
		if o.Sleep == nil {
			o.Sleep = defaultSleep
		}
		if o.Logger == nil {
			o.Logger = slog.Default()
		}
		b, err := openHardware(ctx, p, o)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
}
