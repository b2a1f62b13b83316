package dialplan

import (
	"errors"
	"fmt"
	"strings"
)

// Action is what a feature code asks for.
type Action string

// The feature actions. Those marked "+ number" take the digits dialled
// after the code as their argument.
const (
	ActionDNDOn           Action = "dnd_on"
	ActionDNDOff          Action = "dnd_off"
	ActionForwardAlways   Action = "forward_always" // + number
	ActionForwardBusy     Action = "forward_busy"   // + number
	ActionForwardNoAnswer Action = "forward_no_answer"
	ActionForwardClear    Action = "forward_clear" // clears all three
	ActionCallWaitingOn   Action = "call_waiting_on"
	ActionCallWaitingOff  Action = "call_waiting_off"
	ActionPickup          Action = "pickup"          // a call ringing in the caller's pickup group
	ActionDirectedPickup  Action = "directed_pickup" // + extension
)

// FeatureCodes is the table of star codes; an empty code disables its
// feature. Codes are digits, * and #, starting with * or #.
type FeatureCodes struct {
	DNDOn           string `yaml:"dnd_on"`
	DNDOff          string `yaml:"dnd_off"`
	ForwardAlways   string `yaml:"forward_always"`    // code + number
	ForwardBusy     string `yaml:"forward_busy"`      // code + number
	ForwardNoAnswer string `yaml:"forward_no_answer"` // code + number
	ForwardClear    string `yaml:"forward_clear"`
	CallWaitingOn   string `yaml:"call_waiting_on"`
	CallWaitingOff  string `yaml:"call_waiting_off"`
	Pickup          string `yaml:"pickup"`
	DirectedPickup  string `yaml:"directed_pickup"` // code + extension
}

// DefaultFeatureCodes are the usual North American vertical service codes
// where one exists, Asterisk's otherwise.
func DefaultFeatureCodes() FeatureCodes {
	return FeatureCodes{
		DNDOn:           "*78",
		DNDOff:          "*79",
		ForwardAlways:   "*72",
		ForwardBusy:     "*90",
		ForwardNoAnswer: "*92",
		ForwardClear:    "*73",
		CallWaitingOn:   "*71",
		CallWaitingOff:  "*70",
		Pickup:          "*8",
		DirectedPickup:  "**",
	}
}

// codeRow is one table row: the yaml field name, the code, its action and
// whether digits follow.
type codeRow struct {
	field  string
	code   string
	action Action
	arg    bool
}

func (f FeatureCodes) rows() []codeRow {
	return []codeRow{
		{"dnd_on", f.DNDOn, ActionDNDOn, false},
		{"dnd_off", f.DNDOff, ActionDNDOff, false},
		{"forward_always", f.ForwardAlways, ActionForwardAlways, true},
		{"forward_busy", f.ForwardBusy, ActionForwardBusy, true},
		{"forward_no_answer", f.ForwardNoAnswer, ActionForwardNoAnswer, true},
		{"forward_clear", f.ForwardClear, ActionForwardClear, false},
		{"call_waiting_on", f.CallWaitingOn, ActionCallWaitingOn, false},
		{"call_waiting_off", f.CallWaitingOff, ActionCallWaitingOff, false},
		{"pickup", f.Pickup, ActionPickup, false},
		{"directed_pickup", f.DirectedPickup, ActionDirectedPickup, true},
	}
}

// Validate checks every code's form and that no dialled string could mean
// two features: no code is a prefix of another, so that an analog line
// collecting digits knows when a code is complete.
func (f FeatureCodes) Validate() error {
	var errs []error
	rows := f.rows()
	for i, r := range rows {
		if r.code == "" {
			continue
		}
		if !validCode(r.code) {
			errs = append(errs, fmt.Errorf("%s: %q must start with * or # and hold only digits, * and #", r.field, r.code))
			continue
		}
		for _, o := range rows[:i] {
			switch {
			case o.code == "":
			case o.code == r.code:
				errs = append(errs, fmt.Errorf("%s: %q is also %s", r.field, r.code, o.field))
			case strings.HasPrefix(r.code, o.code), strings.HasPrefix(o.code, r.code):
				errs = append(errs, fmt.Errorf("%s: %q and %s %q overlap (one is a prefix of the other)", r.field, r.code, o.field, o.code))
			}
		}
	}
	return errors.Join(errs...)
}

func validCode(s string) bool {
	return len(s) >= 2 && len(s) <= 8 && (s[0] == '*' || s[0] == '#') && dialChars(s)
}

// Feature is a parsed feature code.
type Feature struct {
	Action Action
	Arg    string // the number after the code, for actions that take one
}

// Parse reads dialled as a feature code. A trailing # (the phone's "send"
// key) is dropped from an argument. ok is false when dialled is not a
// feature code, including a code that needs a number dialled without one
// or with something other than a number. f must be valid (Validate).
func (f FeatureCodes) Parse(dialled string) (feat Feature, ok bool) {
	if dialled == "" || dialled[0] != '*' && dialled[0] != '#' {
		return Feature{}, false
	}
	for _, r := range f.rows() {
		switch {
		case r.code == "":
		case !r.arg && dialled == r.code:
			return Feature{Action: r.action}, true
		case r.arg && strings.HasPrefix(dialled, r.code):
			arg := strings.TrimSuffix(dialled[len(r.code):], "#")
			if !validNumber(arg) {
				return Feature{}, false
			}
			return Feature{Action: r.action, Arg: arg}, true
		}
	}
	return Feature{}, false
}

// Apply carries out the forwarding, do-not-disturb and call-waiting
// actions of feat for ext on t; handled is false for the pickups, which
// the call core carries out itself.
func (feat Feature) Apply(t *Forwards, ext string) (handled bool, err error) {
	var fn func(*Forward)
	switch feat.Action {
	case ActionDNDOn:
		fn = func(f *Forward) { f.DND = true }
	case ActionDNDOff:
		fn = func(f *Forward) { f.DND = false }
	case ActionForwardAlways:
		fn = func(f *Forward) { f.Always = feat.Arg }
	case ActionForwardBusy:
		fn = func(f *Forward) { f.Busy = feat.Arg }
	case ActionForwardNoAnswer:
		fn = func(f *Forward) { f.NoAnswer = feat.Arg }
	case ActionForwardClear:
		fn = func(f *Forward) { f.Always, f.Busy, f.NoAnswer = "", "", "" }
	case ActionCallWaitingOn:
		fn = func(f *Forward) { f.NoCallWaiting = false }
	case ActionCallWaitingOff:
		fn = func(f *Forward) { f.NoCallWaiting = true }
	default:
		return false, nil
	}
	if err := t.Update(ext, fn); err != nil {
		return true, fmt.Errorf("feature %s: %w", feat.Action, err)
	}
	return true, nil
}
