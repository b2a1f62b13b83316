package dialplan

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Strategy is how a ring group rings its members.
type Strategy string

// The ring strategies.
const (
	Simultaneous Strategy = "simultaneous" // all members at once; the first to answer wins
	Sequential   Strategy = "sequential"   // one member after another, RingTime each
)

// DefaultRingTime is a ring group's RingTime when it sets none.
const DefaultRingTime = 20 * time.Second

// RingGroup is an extension kind: a number that rings several extensions.
type RingGroup struct {
	Number   string   `yaml:"number"`
	Name     string   `yaml:"name,omitempty"`
	Strategy Strategy `yaml:"strategy"`
	Members  []string `yaml:"members"`
	// RingTime is how long each member rings (sequential) or the whole
	// group rings (simultaneous); DefaultRingTime when 0.
	RingTime time.Duration `yaml:"ring_time,omitempty"`
	// NoAnswer is the number dialled when nobody answers; empty means the
	// caller is told no one answered.
	NoAnswer string `yaml:"no_answer,omitempty"`
}

// Validate checks g; field names in errors are relative to it.
func (g RingGroup) Validate() error {
	var errs []error
	if !validNumber(g.Number) {
		errs = append(errs, fmt.Errorf("number: %q is not a number", g.Number))
	}
	if g.Strategy != Simultaneous && g.Strategy != Sequential {
		errs = append(errs, fmt.Errorf("strategy: %q is not %s or %s", g.Strategy, Simultaneous, Sequential))
	}
	if len(g.Members) == 0 {
		errs = append(errs, errors.New("members: empty"))
	}
	for i, m := range g.Members {
		switch {
		case !validNumber(m):
			errs = append(errs, fmt.Errorf("members[%d]: %q is not a number", i, m))
		case m == g.Number:
			errs = append(errs, fmt.Errorf("members[%d]: the group %s is a member of itself", i, m))
		case slices.Index(g.Members, m) < i:
			errs = append(errs, fmt.Errorf("members[%d]: %s listed twice", i, m))
		}
	}
	if g.RingTime < 0 {
		errs = append(errs, fmt.Errorf("ring_time: %v is negative", g.RingTime))
	}
	if g.NoAnswer != "" && !validNumber(g.NoAnswer) {
		errs = append(errs, fmt.Errorf("no_answer: %q is not a number", g.NoAnswer))
	}
	return errors.Join(errs...)
}

// Step is one round of ringing: these members at once, for Ring.
type Step struct {
	Members []string
	Ring    time.Duration
}

// Steps is g's ringing plan: one step with every member (simultaneous),
// or one step per member in order (sequential).
func (g RingGroup) Steps() []Step {
	ring := g.RingTime
	if ring == 0 {
		ring = DefaultRingTime
	}
	if g.Strategy == Simultaneous {
		return []Step{{Members: slices.Clone(g.Members), Ring: ring}}
	}
	steps := make([]Step, len(g.Members))
	for i, m := range g.Members {
		steps[i] = Step{Members: []string{m}, Ring: ring}
	}
	return steps
}
