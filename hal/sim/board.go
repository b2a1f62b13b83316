package sim

import (
	"errors"
	"fmt"
	"sync"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/line"
	"github.com/gatepbx/gatepbx/hal/region"
)

// PortSpec names one port of a simulated board.
type PortSpec struct {
	Name string
	Kind hal.Kind
	// PulseDial: the exchange dials calls out through this FXO line by
	// pulses (see Board.PulseDial).
	PulseDial bool
}

// far is the far end of one line: it hears what the port sends and says
// what the port receives, once per 20 ms frame.
type far interface {
	hear(f *hal.Frame)
	speak(f *hal.Frame)
}

// lineEnd pairs an engine port with its far end.
type lineEnd struct {
	port interface {
		TxFrame(*hal.Frame)
		RxFrame(*hal.Frame)
	}
	far far
}

// Board is a simulated hal.Board. Its port set is fixed at creation.
type Board struct {
	name   string
	clock  hal.Clock
	region region.Region
	ports  []hal.Port
	byName map[string]hal.Port
	phones map[string]*Phone
	cos    map[string]*CO
	pulse  map[string]bool
	lines  []lineEnd

	mu     sync.Mutex
	closed bool
	tick   hal.Timer
	in     hal.Frame
	out    hal.Frame
}

var _ hal.Board = (*Board)(nil)

// NewBoard returns a US-region board with fxs FXS ports named fxs0,
// fxs1, ... and fxo FXO ports named fxo0, fxo1, .... A nil clock means
// hal.SystemClock.
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
	us, err := region.Lookup("us")
	if err != nil {
		return nil, err
	}
	return New(name, specs, clock, us)
}

// New returns a board with the given ports, in that order, behaving as
// the region prescribes (caller ID, flash window, tones). Names must be
// non-empty and unique. A nil clock means hal.SystemClock.
func New(name string, ports []PortSpec, clock hal.Clock, reg region.Region) (*Board, error) {
	if name == "" {
		return nil, errors.New("sim: board has no name")
	}
	if len(ports) == 0 {
		return nil, fmt.Errorf("sim: board %q: no ports", name)
	}
	if clock == nil {
		clock = hal.SystemClock{}
	}
	cfg, err := line.RegionConfig(reg)
	if err != nil {
		return nil, fmt.Errorf("sim: board %q: %w", name, err)
	}
	b := &Board{name: name, clock: clock, region: reg, byName: map[string]hal.Port{},
		phones: map[string]*Phone{}, cos: map[string]*CO{}, pulse: map[string]bool{}}
	for _, spec := range ports {
		if spec.Name == "" {
			b.Close()
			return nil, fmt.Errorf("sim: board %q: port with no name", name)
		}
		if _, dup := b.byName[spec.Name]; dup {
			b.Close()
			return nil, fmt.Errorf("sim: board %q: port %q listed twice", name, spec.Name)
		}
		var p hal.Port
		switch spec.Kind {
		case hal.KindFXS:
			ph, err := newPhone(spec.Name, clock, cfg, reg)
			if err != nil {
				b.Close()
				return nil, err
			}
			b.phones[spec.Name], p = ph, ph.port
			b.lines = append(b.lines, lineEnd{port: ph.port, far: ph})
		case hal.KindFXO:
			co, err := newCO(spec.Name, clock, cfg, reg)
			if err != nil {
				b.Close()
				return nil, err
			}
			b.cos[spec.Name], p = co, co.port
			b.pulse[spec.Name] = spec.PulseDial
			b.lines = append(b.lines, lineEnd{port: co.port, far: co})
		default:
			b.Close()
			return nil, fmt.Errorf("sim: board %q: port %q has unknown kind %q", name, spec.Name, spec.Kind)
		}
		b.ports = append(b.ports, p)
		b.byName[spec.Name] = p
	}
	b.mu.Lock()
	b.tick = clock.AfterFunc(hal.FrameDuration, b.frame)
	b.mu.Unlock()
	return b, nil
}

// frame moves one 20 ms frame each way on every line, then schedules the
// next.
func (b *Board) frame() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	for _, l := range b.lines {
		l.port.TxFrame(&b.out)
		l.far.hear(&b.out)
		l.far.speak(&b.in)
		l.port.RxFrame(&b.in)
	}
	b.tick = b.clock.AfterFunc(hal.FrameDuration, b.frame)
}

// Name returns the board's name.
func (b *Board) Name() string { return b.name }

// Region returns the board's region.
func (b *Board) Region() region.Region { return b.region }

// Ports lists the ports in creation order: *line.FXS and *line.FXO.
func (b *Board) Ports() []hal.Port { return append([]hal.Port(nil), b.ports...) }

// Port finds a port by name.
func (b *Board) Port(name string) (hal.Port, bool) {
	p, ok := b.byName[name]
	return p, ok
}

// PulseDial reports whether calls out through the FXO port name are
// dialled by pulses (PortSpec.PulseDial) rather than DTMF.
func (b *Board) PulseDial(name string) bool { return b.pulse[name] }

// Phone finds the virtual phone on an FXS port.
func (b *Board) Phone(name string) (*Phone, bool) {
	p, ok := b.phones[name]
	return p, ok
}

// CO finds the virtual CO line on an FXO port.
func (b *Board) CO(name string) (*CO, bool) {
	c, ok := b.cos[name]
	return c, ok
}

// Close stops the audio and closes every port. Closing again is a no-op.
func (b *Board) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	if b.tick != nil {
		b.tick.Stop()
	}
	b.mu.Unlock()
	var errs []error
	for _, p := range b.ports {
		if err := p.Close(); err != nil {
			errs = append(errs, fmt.Errorf("sim: close %s: %w", p.Name(), err))
		}
	}
	for _, c := range b.cos {
		c.stop()
	}
	for _, p := range b.phones {
		p.stop()
	}
	return errors.Join(errs...)
}
