package trunk

import (
	"errors"
	"fmt"
	"slices"
)

// Set is the appliance's trunks, registered together.
type Set struct {
	regs []*Registration // in config order
}

// NewSet builds a Registration per trunk with the same options (OnChange
// receives every trunk's changes; Status.Trunk tells them apart).
func NewSet(cfgs []Config, opts Options) (*Set, error) {
	if err := ValidateAll(cfgs); err != nil {
		return nil, err
	}
	s := &Set{}
	for _, c := range cfgs {
		r, err := NewRegistration(c, opts)
		if err != nil {
			return nil, err
		}
		s.regs = append(s.regs, r)
	}
	return s, nil
}

// Start starts every registration.
func (s *Set) Start() {
	for _, r := range s.regs {
		r.Start()
	}
}

// Close unregisters every trunk, one after another.
func (s *Set) Close() error {
	var errs []error
	for _, r := range s.regs {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// Get returns the named trunk's registration.
func (s *Set) Get(name string) (*Registration, bool) {
	i := slices.IndexFunc(s.regs, func(r *Registration) bool { return r.cfg.Name == name })
	if i < 0 {
		return nil, false
	}
	return s.regs[i], true
}

// Statuses returns every trunk's status, in config order.
func (s *Set) Statuses() []Status {
	out := make([]Status, len(s.regs))
	for i, r := range s.regs {
		out[i] = r.Status()
	}
	return out
}

// Config returns the named trunk's configuration, for outbound calls.
func (s *Set) Config(name string) (Config, error) {
	r, ok := s.Get(name)
	if !ok {
		return Config{}, fmt.Errorf("trunk %q: not configured", name)
	}
	return r.cfg, nil
}
