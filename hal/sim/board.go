package sim

import (
	"errors"
	"fmt"

	"github.com/gatepbx/gatepbx/hal"
)

// PortSpec names one port of a simulated board.
type PortSpec struct {
	Name string
	Kind hal.Kind
}

// Board is a simulated hal.Board. Its port set is fixed at creation.
type Board struct {
	name   string
	ports  []hal.Port
	byName map[string]hal.Port
}

var _ hal.Board = (*Board)(nil)

// NewBoard returns a board with fxs FXS ports named fxs0, fxs1, ... and fxo
// FXO ports named fxo0, fxo1, .... A nil clock means hal.SystemClock.
func NewBoard(name string, fxs, fxo int, clock hal.Clock) (*Board, error) {
	if fxs < 0 || fxo < 0 {
		return nil, fmt.Errorf("sim: board %q: negative port count (fxs %d, fxo %d)", name, fxs, fxo)
	}
	specs := make([]PortSpec, 0, fxs+fxo)
	for i := range fxs {
		specs = append(specs, PortSpec{Name: fmt.Sprintf("fxs%d", i), Kind: hal.KindFXS})
	}
	for i := range fxo {
		specs = append(specs, PortSpec{Name: fmt.Sprintf("fxo%d", i), Kind: hal.KindFXO})
	}
	return New(name, specs, clock)
}

// New returns a board with the given ports, in that order. Names must be
// non-empty and unique. A nil clock means hal.SystemClock.
func New(name string, ports []PortSpec, clock hal.Clock) (*Board, error) {
	if name == "" {
		return nil, errors.New("sim: board has no name")
	}
	if len(ports) == 0 {
		return nil, fmt.Errorf("sim: board %q: no ports", name)
	}
	if clock == nil {
		clock = hal.SystemClock{}
	}
	b := &Board{name: name, ports: make([]hal.Port, 0, len(ports)), byName: make(map[string]hal.Port, len(ports))}
	for _, spec := range ports {
		if spec.Name == "" {
			return nil, fmt.Errorf("sim: board %q: port with no name", name)
		}
		if _, dup := b.byName[spec.Name]; dup {
			return nil, fmt.Errorf("sim: board %q: port %q listed twice", name, spec.Name)
		}
		var p hal.Port
		switch spec.Kind {
		case hal.KindFXS:
			p = newFXSPort(spec.Name, clock)
		case hal.KindFXO:
			p = newFXOPort(spec.Name, clock)
		default:
			return nil, fmt.Errorf("sim: board %q: port %q has unknown kind %q", name, spec.Name, spec.Kind)
		}
		b.ports = append(b.ports, p)
		b.byName[spec.Name] = p
	}
	return b, nil
}

// Name returns the board's name.
func (b *Board) Name() string { return b.name }

// Ports lists the ports in creation order.
func (b *Board) Ports() []hal.Port { return append([]hal.Port(nil), b.ports...) }

// Port finds a port by name.
func (b *Board) Port(name string) (hal.Port, bool) {
	p, ok := b.byName[name]
	return p, ok
}

// FXS finds an FXS port by name, with its virtual-phone API.
func (b *Board) FXS(name string) (*FXSPort, bool) {
	p, ok := b.byName[name].(*FXSPort)
	return p, ok
}

// FXO finds an FXO port by name, with its virtual-CO API.
func (b *Board) FXO(name string) (*FXOPort, bool) {
	p, ok := b.byName[name].(*FXOPort)
	return p, ok
}

// Close closes every port. Closing again is a no-op.
func (b *Board) Close() error {
	var errs []error
	for _, p := range b.ports {
		if err := p.Close(); err != nil {
			errs = append(errs, fmt.Errorf("sim: close %s: %w", p.Name(), err))
		}
	}
	return errors.Join(errs...)
}
