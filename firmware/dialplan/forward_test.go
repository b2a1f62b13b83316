package dialplan

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestChainForward(t *testing.T) {
	rules, err := NewForwards([]Forward{
		{Extension: "101", Always: "102"},
		{Extension: "102", Always: "103"},
		{Extension: "104", Busy: "105", NoAnswer: "106", NoAnswerAfter: 15 * time.Second},
		{Extension: "105", Always: "104"}, // loop only through 104's busy rule
		{Extension: "106", Busy: "104"},
		{Extension: "107", Always: "95551234"}, // external, through a trunk route
		{Extension: "110", Always: "111"},
		{Extension: "111", Always: "110"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		dialled   string
		steps     []Condition // applied in turn to the current target
		target    string
		forwarded bool
		err       error
		path      []string
	}{
		{"none", "103", []Condition{Unconditional}, "103", false, nil, []string{"103"}},
		{"chain", "101", []Condition{Unconditional}, "103", true, nil, []string{"101", "102", "103"}},
		{"external", "107", []Condition{Unconditional}, "95551234", true, nil, []string{"107", "95551234"}},
		{"two-loop", "110", []Condition{Unconditional}, "", false, ErrForwardLoop, []string{"110"}},
		{"busy-loop", "104", []Condition{Busy}, "", false, ErrForwardLoop, []string{"104"}},
		{"no-answer then busy back", "104", []Condition{NoAnswer, Busy}, "", false, ErrForwardLoop, []string{"104", "106"}},
		{"no rule for busy", "103", []Condition{Busy}, "103", false, nil, []string{"103"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewChain(tt.dialled)
			cur := tt.dialled
			var (
				target    string
				forwarded bool
				err       error
			)
			for _, cond := range tt.steps {
				target, forwarded, err = c.Forward(rules, cur, cond)
				if err != nil {
					break
				}
				cur = target
			}
			if target != tt.target || forwarded != tt.forwarded || !errors.Is(err, tt.err) {
				t.Errorf("got %q %v %v; want %q %v %v", target, forwarded, err, tt.target, tt.forwarded, tt.err)
			}
			if !reflect.DeepEqual(c.Path(), tt.path) {
				t.Errorf("path %v, want %v", c.Path(), tt.path)
			}
		})
	}
}

func TestChainTooManyHops(t *testing.T) {
	var rules []Forward
	for i := range MaxForwardHops + 2 {
		rules = append(rules, Forward{Extension: string(rune('a'+i)) + "0", Always: string(rune('a'+i+1)) + "0"})
	}
	table := &Forwards{rules: map[string]Forward{}}
	for _, f := range rules {
		table.rules[f.Extension] = f // letters are not numbers: skip Validate
	}
	_, _, err := NewChain("a0").Forward(table, "a0", Unconditional)
	if !errors.Is(err, ErrTooManyHops) {
		t.Fatalf("err %v, want ErrTooManyHops", err)
	}
}

func TestForwardsUpdate(t *testing.T) {
	tab, err := NewForwards(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Update("101", func(f *Forward) { f.NoAnswer = "200" }); err != nil {
		t.Fatal(err)
	}
	if got := tab.Get("101").RingFor(); got != DefaultNoAnswerAfter {
		t.Errorf("RingFor %v, want default", got)
	}
	if err := tab.Update("101", func(f *Forward) { f.Always = "101" }); err == nil || !strings.Contains(err.Error(), "always: forwards 101 to itself") {
		t.Errorf("self-forward error %v", err)
	}
	if got := tab.Get("101"); got.Always != "" {
		t.Errorf("failed update applied: %+v", got)
	}
	if err := tab.Update("101", func(f *Forward) { f.NoAnswer = "" }); err != nil {
		t.Fatal(err)
	}
	if all := tab.All(); len(all) != 0 {
		t.Errorf("empty rule kept: %+v", all)
	}
	if got := (Forward{Extension: "1"}).RingFor(); got != 0 {
		t.Errorf("RingFor without no-answer target %v", got)
	}
	if _, err := NewForwards([]Forward{{Extension: "1", Busy: "2"}, {Extension: "1"}}); err == nil || !strings.Contains(err.Error(), "forwards[1].extension") {
		t.Errorf("duplicate error %v", err)
	}
	if _, err := NewForwards([]Forward{{Extension: "1", NoAnswerAfter: -time.Second}}); err == nil || !strings.Contains(err.Error(), "forwards[0].no_answer_after") {
		t.Errorf("negative delay error %v", err)
	}
}

func TestRingGroupSteps(t *testing.T) {
	sim := RingGroup{Number: "600", Strategy: Simultaneous, Members: []string{"101", "102"}}
	if got, want := sim.Steps(), []Step{{Members: []string{"101", "102"}, Ring: DefaultRingTime}}; !reflect.DeepEqual(got, want) {
		t.Errorf("simultaneous %+v, want %+v", got, want)
	}
	seq := RingGroup{Number: "601", Strategy: Sequential, Members: []string{"101", "102"}, RingTime: 5 * time.Second}
	if got, want := seq.Steps(), []Step{{[]string{"101"}, 5 * time.Second}, {[]string{"102"}, 5 * time.Second}}; !reflect.DeepEqual(got, want) {
		t.Errorf("sequential %+v, want %+v", got, want)
	}
	for _, tt := range []struct {
		g    RingGroup
		want string
	}{
		{RingGroup{Number: "x", Strategy: Sequential, Members: []string{"1"}}, "number:"},
		{RingGroup{Number: "6", Strategy: "random", Members: []string{"1"}}, "strategy:"},
		{RingGroup{Number: "6", Strategy: Sequential}, "members: empty"},
		{RingGroup{Number: "6", Strategy: Sequential, Members: []string{"1", "1"}}, "members[1]: 1 listed twice"},
		{RingGroup{Number: "6", Strategy: Sequential, Members: []string{"6"}}, "members[0]: the group"},
		{RingGroup{Number: "6", Strategy: Sequential, Members: []string{"1"}, RingTime: -1}, "ring_time:"},
		{RingGroup{Number: "6", Strategy: Sequential, Members: []string{"1"}, NoAnswer: "?"}, "no_answer:"},
	} {
		if err := tt.g.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.g, err, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := DefaultConfig()
	c.Routes = []Route{{Name: "a", Prefix: "9", Target: Target{Kind: TargetExtension}}, {Name: "a", Pattern: "_X", Target: Target{Kind: TargetTrunk}}}
	c.RingGroups = []RingGroup{{Number: "600", Strategy: Sequential, Members: []string{"1"}}, {Number: "600", Strategy: "x", Members: []string{"1"}}}
	c.Forwards = []Forward{{Extension: "1", Busy: "1"}}
	c.FeatureCodes.Pickup = "8"
	err := c.Validate()
	for _, want := range []string{
		`routes[1].name: "a" is also routes[0]`,
		"routes[1].target.name:",
		"ring_groups[1].strategy:",
		"ring_groups[1].number: 600 is also ring_groups[0]",
		"forwards[0].busy: forwards 1 to itself",
		"feature_codes.pickup:",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
