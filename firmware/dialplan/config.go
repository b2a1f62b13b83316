package dialplan

import (
	"errors"
	"fmt"
)

// Config is the dial plan section of the appliance's configuration.
type Config struct {
	Routes       []Route      `yaml:"routes"`
	RingGroups   []RingGroup  `yaml:"ring_groups"`
	Forwards     []Forward    `yaml:"forwards"`
	FeatureCodes FeatureCodes `yaml:"feature_codes"`
}

// DefaultConfig has no routes, ring groups or forwards, and the default
// feature codes.
func DefaultConfig() Config { return Config{FeatureCodes: DefaultFeatureCodes()} }

// Validate checks every part; errors name the field by path
// (routes[2].pattern: ...).
func (c Config) Validate() error {
	var errs []error
	names := map[string]int{}
	for i, r := range c.Routes {
		if err := r.Validate(); err != nil {
			errs = append(errs, prefixErr(fmt.Sprintf("routes[%d]", i), err))
		}
		if j, dup := names[r.Name]; dup && r.Name != "" {
			errs = append(errs, fmt.Errorf("routes[%d].name: %q is also routes[%d]", i, r.Name, j))
		}
		names[r.Name] = i
	}
	groups := map[string]int{}
	for i, g := range c.RingGroups {
		if err := g.Validate(); err != nil {
			errs = append(errs, prefixErr(fmt.Sprintf("ring_groups[%d]", i), err))
		}
		if j, dup := groups[g.Number]; dup {
			errs = append(errs, fmt.Errorf("ring_groups[%d].number: %s is also ring_groups[%d]", i, g.Number, j))
		}
		groups[g.Number] = i
	}
	exts := map[string]int{}
	for i, f := range c.Forwards {
		if err := f.Validate(); err != nil {
			errs = append(errs, prefixErr(fmt.Sprintf("forwards[%d]", i), err))
		}
		if j, dup := exts[f.Extension]; dup {
			errs = append(errs, fmt.Errorf("forwards[%d].extension: %s is also forwards[%d]", i, f.Extension, j))
		}
		exts[f.Extension] = i
	}
	if err := c.FeatureCodes.Validate(); err != nil {
		errs = append(errs, prefixErr("feature_codes", err))
	}
	return errors.Join(errs...)
}

// prefixErr puts path. in front of each of err's joined errors.
func prefixErr(path string, err error) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, len(list))
	for i, e := range list {
		out[i] = fmt.Errorf("%s.%w", path, e)
	}
	return errors.Join(out...)
}
