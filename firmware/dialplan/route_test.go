package dialplan

import (
	"reflect"
	"strings"
	"testing"
)

func testPlan(t *testing.T) *Plan {
	t.Helper()
	p, err := NewPlan([]Route{
		{Name: "outside", Priority: 10, Prefix: "9", MinLength: 4, Target: Target{Kind: TargetTrunk, Name: "provider"},
			Strip: 1, Prepend: "+1", CallerID: CallerID{Number: "5551000", Name: "Office"}},
		{Name: "backup", Priority: 20, Prefix: "9", MinLength: 4, Target: Target{Kind: TargetTrunk, Name: "backup"}, Strip: 1},
		{Name: "local-fxo", Priority: 10, Pattern: "_8NXXXXXX", Target: Target{Kind: TargetFXO, Name: "fxo1"}, Strip: 1},
		{Name: "emergency", Priority: 10, Exact: "911", Target: Target{Kind: TargetFXO, Name: "fxo1"}},
		{Name: "groups", Priority: 30, Pattern: "_6XX", Target: Target{Kind: TargetRingGroup}},
		{Name: "ivr", Priority: 30, Exact: "700", Target: Target{Kind: TargetAPI, Name: "700"}},
		{Name: "did", Exact: "5551234", From: []Source{"trunk:provider"}, Target: Target{Kind: TargetExtension, Name: "101"}},
		{Name: "did-any", Priority: 5, Pattern: "_555XXXX", From: []Source{"trunk:provider"}, Target: Target{Kind: TargetExtension}, Strip: 3},
		{Name: "short", Priority: 40, MinLength: 3, MaxLength: 3, Target: Target{Kind: TargetExtension}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanRoute(t *testing.T) {
	p := testPlan(t)
	tests := []struct {
		src     Source
		dialled string
		want    Decision
		ok      bool
	}{
		{Internal, "95551234", Decision{Route: "outside", Target: Target{TargetTrunk, "provider"}, Number: "+15551234", CallerID: CallerID{"5551000", "Office"}}, true},
		{Internal, "911", Decision{Route: "emergency", Target: Target{TargetFXO, "fxo1"}, Number: "911"}, true}, // exact beats prefix 9 (and is too short for it)
		{Internal, "82345678", Decision{Route: "local-fxo", Target: Target{TargetFXO, "fxo1"}, Number: "2345678"}, true},
		{Internal, "81345678", Decision{}, false}, // N excludes 1; too long for "short"
		{Internal, "601", Decision{Route: "groups", Target: Target{Kind: TargetRingGroup}, Number: "601"}, true},
		{Internal, "700", Decision{Route: "ivr", Target: Target{TargetAPI, "700"}, Number: "700"}, true}, // exact beats length at the same priority
		{Internal, "123", Decision{Route: "short", Target: Target{Kind: TargetExtension}, Number: "123"}, true},
		{Internal, "5551234", Decision{}, false}, // DID routes are for the trunk only
		{"trunk:provider", "5551234", Decision{Route: "did", Target: Target{TargetExtension, "101"}, Number: "5551234"}, true}, // priority 0 before 5
		{"trunk:provider", "5559876", Decision{Route: "did-any", Target: Target{Kind: TargetExtension}, Number: "9876"}, true},
		{"trunk:other", "5551234", Decision{}, false},
		{Internal, "9", Decision{}, false},
	}
	for _, tt := range tests {
		got, ok := p.Route(tt.src, tt.dialled)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Route(%s, %q) = %+v, %v; want %+v, %v", tt.src, tt.dialled, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPlanCandidatesOrder(t *testing.T) {
	p := testPlan(t)
	var names []string
	for _, d := range p.Candidates(Internal, "95551234") {
		names = append(names, d.Route+"="+d.Number)
	}
	if want := []string{"outside=+15551234", "backup=5551234"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("candidates %v, want %v", names, want)
	}
}

func TestPlanSpecificityAndOrder(t *testing.T) {
	p, err := NewPlan([]Route{
		{Name: "any", Pattern: "_X.", Target: Target{Kind: TargetExtension}},
		{Name: "first9", Prefix: "9", Target: Target{Kind: TargetExtension}},
		{Name: "second9", Prefix: "9", Target: Target{Kind: TargetExtension}},
		{Name: "long", Pattern: "_99X", Target: Target{Kind: TargetExtension}},
		{Name: "strip-all", Priority: -1, Exact: "0", Strip: 1, Target: Target{Kind: TargetExtension}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for dialled, want := range map[string]string{"991": "long", "912": "first9", "512": "any", "0": ""} {
		d, _ := p.Route(Internal, dialled) // "0": strip-all leaves nothing, _X. needs two digits
		if d.Route != want {
			t.Errorf("%s: route %q, want %q", dialled, d.Route, want)
		}
	}
}

func TestRouteValidate(t *testing.T) {
	tests := []struct {
		r    Route
		want string
	}{
		{Route{Prefix: "9", Target: Target{Kind: TargetExtension}}, "name: missing"},
		{Route{Name: "x", Target: Target{Kind: TargetExtension}}, "none set"},
		{Route{Name: "x", Exact: "1a", Target: Target{Kind: TargetExtension}}, "exact:"},
		{Route{Name: "x", Prefix: "9 ", Target: Target{Kind: TargetExtension}}, "prefix:"},
		{Route{Name: "x", Pattern: "9X", Target: Target{Kind: TargetExtension}}, "pattern:"},
		{Route{Name: "x", MinLength: 5, MaxLength: 3, Target: Target{Kind: TargetExtension}}, "max_length:"},
		{Route{Name: "x", MinLength: -1, Target: Target{Kind: TargetExtension}}, "min_length:"},
		{Route{Name: "x", Prefix: "9", Strip: -1, Target: Target{Kind: TargetExtension}}, "strip:"},
		{Route{Name: "x", Prefix: "9", Prepend: "x", Target: Target{Kind: TargetExtension}}, "prepend:"},
		{Route{Name: "x", Prefix: "9", Target: Target{Kind: "pstn"}}, "target.kind:"},
		{Route{Name: "x", Prefix: "9", Target: Target{Kind: TargetTrunk}}, "target.name:"},
		{Route{Name: "x", Prefix: "9", From: []Source{"pstn"}, Target: Target{Kind: TargetExtension}}, "from[0]:"},
	}
	for _, tt := range tests {
		err := tt.r.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: got %v, want %q", tt.r, err, tt.want)
		}
	}
	if _, err := NewPlan([]Route{{Name: "ok", Prefix: "1", Target: Target{Kind: TargetExtension}}, {Name: "bad", Target: Target{Kind: TargetTrunk}}}); err == nil || !strings.Contains(err.Error(), "routes[1].target.name:") {
		t.Errorf("NewPlan error %v, want routes[1].target.name", err)
	}
}

func FuzzPlanRoute(f *testing.F) {
	for _, s := range []string{"95551234", "911", "", "9", "+15551234", "*72", "601"} {
		f.Add(s, true)
	}
	p, err := NewPlan([]Route{
		{Name: "out", Prefix: "9", MinLength: 2, Strip: 1, Prepend: "+1", Target: Target{Kind: TargetTrunk, Name: "t"}},
		{Name: "pat", Pattern: "_[1-5]X!", Strip: 2, Target: Target{Kind: TargetExtension}},
		{Name: "did", From: []Source{"trunk:t"}, MinLength: 1, Target: Target{Kind: TargetExtension, Name: "101"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, dialled string, fromTrunk bool) {
		src := Internal
		if fromTrunk {
			src = "trunk:t"
		}
		d, ok := p.Route(src, dialled)
		if !ok {
			return
		}
		if d.Number == "" {
			t.Fatalf("%q routed by %s to an empty number", dialled, d.Route)
		}
		if d.Route == "out" && d.Number != "+1"+dialled[1:] {
			t.Fatalf("%q rewritten to %q", dialled, d.Number)
		}
	})
}
