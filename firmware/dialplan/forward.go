package dialplan

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Condition is why a call is being forwarded.
type Condition int

// The forwarding conditions.
const (
	Unconditional Condition = iota // always, before ringing
	Busy                           // the extension is busy (or in DND)
	NoAnswer                       // it rang NoAnswerAfter without an answer
)

func (c Condition) String() string {
	switch c {
	case Unconditional:
		return "unconditional"
	case Busy:
		return "busy"
	case NoAnswer:
		return "no-answer"
	}
	return fmt.Sprintf("Condition(%d)", int(c))
}

// DefaultNoAnswerAfter is the no-answer delay when a rule sets none.
const DefaultNoAnswerAfter = 20 * time.Second

// MaxForwardHops bounds a forwarding chain even without a loop.
const MaxForwardHops = 8

// Forward is one extension's forwarding rule and the other settings its
// star codes change (do not disturb, call waiting). The targets are
// numbers dialled through the plan as if by the extension itself, so an
// external number reaches a trunk by the ordinary routes.
type Forward struct {
	Extension     string        `yaml:"extension"`
	Always        string        `yaml:"always,omitempty"`
	Busy          string        `yaml:"busy,omitempty"`
	NoAnswer      string        `yaml:"no_answer,omitempty"`
	NoAnswerAfter time.Duration `yaml:"no_answer_after,omitempty"` // DefaultNoAnswerAfter when 0
	DND           bool          `yaml:"dnd,omitempty"`             // do not disturb: treat as busy
	// NoCallWaiting makes a busy extension busy to a second call instead
	// of ringing it with a call-waiting tone.
	NoCallWaiting bool `yaml:"no_call_waiting,omitempty"`
}

// Validate checks f; field names in errors are relative to it.
func (f Forward) Validate() error {
	var errs []error
	if !validNumber(f.Extension) {
		errs = append(errs, fmt.Errorf("extension: %q is not a number", f.Extension))
	}
	for _, t := range []struct{ field, v string }{{"always", f.Always}, {"busy", f.Busy}, {"no_answer", f.NoAnswer}} {
		switch {
		case t.v == "":
		case !validNumber(t.v):
			errs = append(errs, fmt.Errorf("%s: %q is not a number", t.field, t.v))
		case t.v == f.Extension:
			errs = append(errs, fmt.Errorf("%s: forwards %s to itself", t.field, f.Extension))
		}
	}
	if f.NoAnswerAfter < 0 {
		errs = append(errs, fmt.Errorf("no_answer_after: %v is negative", f.NoAnswerAfter))
	}
	return errors.Join(errs...)
}

// Target returns the number f forwards to on cond, or "" for none.
func (f Forward) Target(cond Condition) string {
	switch cond {
	case Unconditional:
		return f.Always
	case Busy:
		return f.Busy
	case NoAnswer:
		return f.NoAnswer
	}
	return ""
}

// RingFor is how long the extension rings before the no-answer rule
// applies; zero when it has no no-answer target.
func (f Forward) RingFor() time.Duration {
	if f.NoAnswer == "" {
		return 0
	}
	if f.NoAnswerAfter == 0 {
		return DefaultNoAnswerAfter
	}
	return f.NoAnswerAfter
}

// Forwards is the live table of forwarding rules, changed by feature
// codes and the API while calls read it; safe for concurrent use.
type Forwards struct {
	mu    sync.RWMutex
	rules map[string]Forward
}

// NewForwards builds the table from configured rules.
func NewForwards(rules []Forward) (*Forwards, error) {
	t := &Forwards{rules: make(map[string]Forward, len(rules))}
	for i, f := range rules {
		if err := f.Validate(); err != nil {
			return nil, prefixErr(fmt.Sprintf("forwards[%d]", i), err)
		}
		if _, dup := t.rules[f.Extension]; dup {
			return nil, fmt.Errorf("forwards[%d].extension: %s has a rule already", i, f.Extension)
		}
		t.rules[f.Extension] = f
	}
	return t, nil
}

// Get returns ext's rule (the zero rule, with Extension set, if none).
func (t *Forwards) Get(ext string) Forward {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if f, ok := t.rules[ext]; ok {
		return f
	}
	return Forward{Extension: ext}
}

// Update changes ext's rule by fn under the table's lock, validating the
// result; a rule left empty is removed.
func (t *Forwards) Update(ext string, fn func(*Forward)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.rules[ext]
	if !ok {
		f = Forward{Extension: ext}
	}
	fn(&f)
	f.Extension = ext
	if err := f.Validate(); err != nil {
		return fmt.Errorf("forward rule of %s: %w", ext, err)
	}
	if f == (Forward{Extension: ext}) {
		delete(t.rules, ext)
		return nil
	}
	t.rules[ext] = f
	return nil
}

// All returns every rule, sorted by extension (for saving and listing).
func (t *Forwards) All() []Forward {
	t.mu.RLock()
	defer t.mu.RUnlock()
	keys := slices.Sorted(maps.Keys(t.rules))
	out := make([]Forward, len(keys))
	for i, k := range keys {
		out[i] = t.rules[k]
	}
	return out
}

// ErrForwardLoop is returned when a forwarding chain comes back to a
// number it has been through.
var ErrForwardLoop = errors.New("forwarding loop")

// ErrTooManyHops is returned when a chain exceeds MaxForwardHops.
var ErrTooManyHops = errors.New("too many forwarding hops")

// RuleSource gives an extension's forwarding rule; *Forwards is one.
type RuleSource interface {
	Get(ext string) Forward
}

// Chain is one call's path through forwards: every number it has rung
// or been sent to. A call keeps its Chain from the first number dialled,
// so a loop through busy and no-answer forwards is caught as well as one
// through unconditional forwards. Not safe for concurrent use (one call,
// one goroutine).
type Chain struct {
	seen []string
}

// NewChain starts a chain at the dialled number.
func NewChain(dialled string) *Chain { return &Chain{seen: []string{dialled}} }

// Path is the numbers the call has gone through, first to last.
func (c *Chain) Path() []string { return slices.Clone(c.seen) }

// Forward returns where a call to ext goes on cond: the rule's target,
// followed through the unconditional forwards of each target in turn.
// forwarded is false when ext has no rule for cond (target is then ext).
// A number already in the chain gives ErrForwardLoop; the chain is left
// unchanged on error.
func (c *Chain) Forward(rules RuleSource, ext string, cond Condition) (target string, forwarded bool, err error) {
	seen := c.seen
	cur := ext
	next := rules.Get(ext).Target(cond)
	for next != "" {
		if slices.Contains(seen, next) {
			return "", false, fmt.Errorf("%s forwards to %s: %w through %v", cur, next, ErrForwardLoop, seen)
		}
		if len(seen)-len(c.seen) >= MaxForwardHops {
			return "", false, fmt.Errorf("%s forwards to %s: %w (%d)", cur, next, ErrTooManyHops, MaxForwardHops)
		}
		seen = append(seen[:len(seen):len(seen)], next)
		cur, next, forwarded = next, rules.Get(next).Always, true
	}
	if forwarded {
		c.seen = seen
	}
	return cur, forwarded, nil
}
