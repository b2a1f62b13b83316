package dialplan

import (
	"strings"
	"testing"
)

func TestFeatureParse(t *testing.T) {
	codes := DefaultFeatureCodes()
	tests := []struct {
		dialled string
		want    Feature
		ok      bool
	}{
		{"*78", Feature{Action: ActionDNDOn}, true},
		{"*79", Feature{Action: ActionDNDOff}, true},
		{"*7295551234", Feature{ActionForwardAlways, "95551234"}, true},
		{"*72+15551234#", Feature{ActionForwardAlways, "+15551234"}, true},
		{"*72", Feature{}, false}, // needs a number
		{"*72abc", Feature{}, false},
		{"*90102", Feature{ActionForwardBusy, "102"}, true},
		{"*92102", Feature{ActionForwardNoAnswer, "102"}, true},
		{"*73", Feature{Action: ActionForwardClear}, true},
		{"*8", Feature{Action: ActionPickup}, true},
		{"**102", Feature{ActionDirectedPickup, "102"}, true},
		{"*71", Feature{Action: ActionCallWaitingOn}, true},
		{"*70", Feature{Action: ActionCallWaitingOff}, true},
		{"*780", Feature{}, false},
		{"101", Feature{}, false},
		{"", Feature{}, false},
		{"#", Feature{}, false},
	}
	for _, tt := range tests {
		got, ok := codes.Parse(tt.dialled)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.dialled, got, ok, tt.want, tt.ok)
		}
	}
	off := codes
	off.Pickup = ""
	if _, ok := off.Parse("*8"); ok {
		t.Error("disabled code parsed")
	}
}

func TestFeatureCodesValidate(t *testing.T) {
	for _, tt := range []struct {
		mod  func(*FeatureCodes)
		want string
	}{
		{func(c *FeatureCodes) { c.DNDOff = "*78" }, `dnd_off: "*78" is also dnd_on`},
		{func(c *FeatureCodes) { c.Pickup = "*7" }, `pickup: "*7" and dnd_on "*78" overlap`},
		{func(c *FeatureCodes) { c.DirectedPickup = "*7" }, `directed_pickup: "*7" and dnd_on`}, // *78: DND or pickup of 8?
		{func(c *FeatureCodes) { c.DNDOn = "78" }, "dnd_on: \"78\" must start with"},
		{func(c *FeatureCodes) { c.DNDOn = "*" }, "dnd_on:"},
	} {
		c := DefaultFeatureCodes()
		tt.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v, want %q", err, tt.want)
		}
	}
}

func TestFeatureApply(t *testing.T) {
	tab, _ := NewForwards(nil)
	codes := DefaultFeatureCodes()
	for _, step := range []struct {
		dialled string
		handled bool
		want    Forward
	}{
		{"*78", true, Forward{Extension: "101", DND: true}},
		{"*72102", true, Forward{Extension: "101", DND: true, Always: "102"}},
		{"*90103", true, Forward{Extension: "101", DND: true, Always: "102", Busy: "103"}},
		{"*73", true, Forward{Extension: "101", DND: true}},
		{"*79", true, Forward{Extension: "101"}},
		{"*70", true, Forward{Extension: "101", NoCallWaiting: true}},
		{"*71", true, Forward{Extension: "101"}},
		{"*8", false, Forward{Extension: "101"}},
		{"**102", false, Forward{Extension: "101"}},
	} {
		f, ok := codes.Parse(step.dialled)
		if !ok {
			t.Fatalf("%s not parsed", step.dialled)
		}
		handled, err := f.Apply(tab, "101")
		if err != nil || handled != step.handled {
			t.Fatalf("%s: handled %v err %v", step.dialled, handled, err)
		}
		if got := tab.Get("101"); got != step.want {
			t.Fatalf("after %s: %+v, want %+v", step.dialled, got, step.want)
		}
	}
	f, _ := codes.Parse("*72101")
	if _, err := f.Apply(tab, "101"); err == nil || !strings.Contains(err.Error(), "to itself") {
		t.Errorf("forward to self: %v", err)
	}
}

func FuzzFeatureCode(f *testing.F) {
	for _, s := range []string{"*78", "*7295551234#", "**102", "*8", "*72", "#", "*72+1#", "*90*"} {
		f.Add(s)
	}
	codes := DefaultFeatureCodes()
	f.Fuzz(func(t *testing.T, dialled string) {
		feat, ok := codes.Parse(dialled)
		if !ok {
			return
		}
		if feat.Action == "" {
			t.Fatalf("%q: parsed without an action", dialled)
		}
		if feat.Arg != "" && !validNumber(feat.Arg) {
			t.Fatalf("%q: argument %q is not a number", dialled, feat.Arg)
		}
		if !strings.HasPrefix(dialled, "*") && !strings.HasPrefix(dialled, "#") {
			t.Fatalf("%q parsed though it is not a star code", dialled)
		}
		tab, _ := NewForwards(nil)
		if _, err := feat.Apply(tab, "100"); err != nil && feat.Arg != "100" {
			t.Fatalf("%q: apply: %v", dialled, err)
		}
	})
}
