package dialplan

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// TargetKind says what a route leads to.
type TargetKind string

// The kinds of route target.
const (
	TargetExtension TargetKind = "extension"  // a local extension by number
	TargetRingGroup TargetKind = "ring_group" // a ring group by number
	TargetAPI       TargetKind = "api"        // an API extension by number
	TargetFXO       TargetKind = "fxo"        // an analog FXO line by port name
	TargetTrunk     TargetKind = "trunk"      // a SIP trunk by name
)

var targetKinds = []TargetKind{TargetExtension, TargetRingGroup, TargetAPI, TargetFXO, TargetTrunk}

// Target is where a matched route sends the call. For extension, ring
// group and API targets an empty Name means the rewritten number itself.
type Target struct {
	Kind TargetKind `yaml:"kind"`
	Name string     `yaml:"name,omitempty"`
}

// CallerID overrides what the called side is shown; empty fields keep the
// caller's own.
type CallerID struct {
	Number string `yaml:"number,omitempty"`
	Name   string `yaml:"name,omitempty"`
}

// Source names where a call comes from, matched against Route.From:
// Internal for the appliance's own extensions, "trunk:NAME" for a SIP
// trunk, "fxo:PORT" for an analog line.
type Source string

// Internal is the source of calls placed by local extensions and the API.
const Internal Source = "internal"

// Route is one dial plan entry. It matches a dialled number when every
// condition it sets holds; at least one of Exact, Prefix, Pattern,
// MinLength or MaxLength must be set.
type Route struct {
	Name string `yaml:"name"`
	// Priority orders routes: lower first. Among equal priorities the more
	// specific route (exact, then more fixed characters) wins, then the one
	// listed first.
	Priority  int    `yaml:"priority,omitempty"`
	Exact     string `yaml:"exact,omitempty"`
	Prefix    string `yaml:"prefix,omitempty"`
	Pattern   string `yaml:"pattern,omitempty"` // Asterisk notation, e.g. "_9NXXXXXX"
	MinLength int    `yaml:"min_length,omitempty"`
	MaxLength int    `yaml:"max_length,omitempty"`
	// From limits the route to calls from these sources (see Source);
	// empty means any.
	From   []Source `yaml:"from,omitempty"`
	Target Target   `yaml:"target"`
	// Strip removes this many leading characters, then Prepend is put in
	// front: "9" + "5551234" with strip 1 and prepend "+1" → "+15551234".
	Strip    int      `yaml:"strip,omitempty"`
	Prepend  string   `yaml:"prepend,omitempty"`
	CallerID CallerID `yaml:"caller_id,omitempty"`
}

// Validate checks r alone; field names in errors are relative to it.
func (r Route) Validate() error {
	var errs []error
	if r.Name == "" {
		errs = append(errs, errors.New("name: missing"))
	}
	if r.Exact == "" && r.Prefix == "" && r.Pattern == "" && r.MinLength == 0 && r.MaxLength == 0 {
		errs = append(errs, errors.New("exact, prefix, pattern, min_length, max_length: none set, the route would match everything"))
	}
	if r.Exact != "" && !validNumber(r.Exact) {
		errs = append(errs, fmt.Errorf("exact: %q is not a number (digits, *, #, leading +)", r.Exact))
	}
	if r.Prefix != "" && !validNumber(r.Prefix) {
		errs = append(errs, fmt.Errorf("prefix: %q is not a number (digits, *, #, leading +)", r.Prefix))
	}
	if r.Pattern != "" {
		if _, err := CompilePattern(r.Pattern); err != nil {
			errs = append(errs, fmt.Errorf("pattern: %w", err))
		}
	}
	if r.MinLength < 0 {
		errs = append(errs, fmt.Errorf("min_length: %d is negative", r.MinLength))
	}
	if r.MaxLength < 0 || r.MaxLength > 0 && r.MaxLength < r.MinLength {
		errs = append(errs, fmt.Errorf("max_length: %d is below min_length %d or negative", r.MaxLength, r.MinLength))
	}
	if r.Strip < 0 {
		errs = append(errs, fmt.Errorf("strip: %d is negative", r.Strip))
	}
	if r.Prepend != "" && !validNumber(r.Prepend) {
		errs = append(errs, fmt.Errorf("prepend: %q is not a number (digits, *, #, leading +)", r.Prepend))
	}
	if !slices.Contains(targetKinds, r.Target.Kind) {
		errs = append(errs, fmt.Errorf("target.kind: %q is not one of %v", r.Target.Kind, targetKinds))
	}
	if (r.Target.Kind == TargetFXO || r.Target.Kind == TargetTrunk) && r.Target.Name == "" {
		errs = append(errs, fmt.Errorf("target.name: missing, a %s target needs one", r.Target.Kind))
	}
	for i, s := range r.From {
		if s != Internal && !strings.HasPrefix(string(s), "trunk:") && !strings.HasPrefix(string(s), "fxo:") {
			errs = append(errs, fmt.Errorf("from[%d]: %q is not %q, trunk:NAME or fxo:PORT", i, s, Internal))
		}
	}
	return errors.Join(errs...)
}

// validNumber reports whether s is digits, * and # with an optional
// leading +.
func validNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	return s != "" && len(s) <= maxPatternLen && dialChars(s)
}

// dialChars reports whether s holds only digits, * and #.
func dialChars(s string) bool {
	for i := range len(s) {
		if c := s[i]; !(c >= '0' && c <= '9' || c == '*' || c == '#') {
			return false
		}
	}
	return true
}

// Decision is a matched route, with the number rewritten for its target.
type Decision struct {
	Route    string // Route.Name
	Target   Target
	Number   string // the dialled number after Strip and Prepend
	CallerID CallerID
}

// compiled is a route ready to match.
type compiled struct {
	Route
	pattern     Pattern
	hasPattern  bool
	specificity int
	order       int
}

// Plan is a compiled, immutable set of routes; safe for concurrent use.
type Plan struct {
	routes []compiled
}

// NewPlan compiles routes in match order; it fails on the first invalid
// one, naming it by index.
func NewPlan(routes []Route) (*Plan, error) {
	p := &Plan{routes: make([]compiled, 0, len(routes))}
	for i, r := range routes {
		if err := r.Validate(); err != nil {
			return nil, prefixErr(fmt.Sprintf("routes[%d]", i), err)
		}
		c := compiled{Route: r, order: i}
		switch {
		case r.Exact != "":
			c.specificity = math.MaxInt
		case r.Pattern != "":
			c.pattern, _ = CompilePattern(r.Pattern) // validated above
			c.hasPattern = true
			c.specificity = max(c.pattern.fixed, len(r.Prefix))
		default:
			c.specificity = len(r.Prefix)
		}
		p.routes = append(p.routes, c)
	}
	slices.SortStableFunc(p.routes, func(a, b compiled) int {
		if a.Priority != b.Priority {
			return a.Priority - b.Priority
		}
		if a.specificity != b.specificity {
			if a.specificity > b.specificity {
				return -1
			}
			return 1
		}
		return a.order - b.order
	})
	return p, nil
}

// Route returns the first route matching a call from src to dialled.
func (p *Plan) Route(src Source, dialled string) (Decision, bool) {
	for i := range p.routes {
		if d, ok := p.routes[i].match(src, dialled); ok {
			return d, true
		}
	}
	return Decision{}, false
}

// Candidates returns every matching route in order, for failover (the
// next trunk when the first is down).
func (p *Plan) Candidates(src Source, dialled string) []Decision {
	var out []Decision
	for i := range p.routes {
		if d, ok := p.routes[i].match(src, dialled); ok {
			out = append(out, d)
		}
	}
	return out
}

func (c *compiled) match(src Source, n string) (Decision, bool) {
	switch {
	case len(c.From) > 0 && !slices.Contains(c.From, src),
		c.Exact != "" && n != c.Exact,
		c.Prefix != "" && !strings.HasPrefix(n, c.Prefix),
		c.hasPattern && !c.pattern.Match(n),
		c.MinLength > 0 && len(n) < c.MinLength,
		c.MaxLength > 0 && len(n) > c.MaxLength,
		c.Strip > len(n), c.Strip == len(n) && c.Prepend == "":
		return Decision{}, false
	}
	return Decision{Route: c.Name, Target: c.Target, Number: c.Prepend + n[c.Strip:], CallerID: c.CallerID}, true
}
