package boards

import (
	"errors"
	"fmt"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/sim"
)

// ErrNoHardwareDrivers is wrapped by Open for hardware profiles until the
// chip drivers exist; the appliance can still run its SIP side without
// analog ports.
var ErrNoHardwareDrivers = errors.New("hardware drivers not built yet")

// Open turns a profile into a running hal.Board on the given clock (nil
// means hal.SystemClock). A sim profile gives a *sim.Board.
func Open(p Profile, clock hal.Clock) (hal.Board, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	switch p.Driver {
	case DriverSim:
		specs := make([]sim.PortSpec, len(p.Ports))
		for i, port := range p.Ports {
			specs[i] = sim.PortSpec{Name: port.Name, Kind: port.Kind}
		}
		b, err := sim.New(p.Name, specs, clock)
		if err != nil {
			return nil, fmt.Errorf("board %q: %w", p.Name, err)
		}
		return b, nil
	default:
		return nil, fmt.Errorf("board %q: %w", p.Name, ErrNoHardwareDrivers)
	}
}
