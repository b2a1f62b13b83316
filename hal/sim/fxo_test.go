package sim

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gatepbx/gatepbx/hal"
)

func TestFXOLineEvents(t *testing.T) {
	b, err := NewBoard("sim", 0, 1, NewManualClock(epoch))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, _ := b.FXO("fxo0")

	steps := []struct {
		name string
		act  func() error
		want []hal.EventType
	}{
		{"CO rings", p.StartRing, []hal.EventType{hal.RingStart}},
		{"CO rings again", p.StartRing, nil},
		{"exchange answers", p.Seize, []hal.EventType{hal.RingStop}},
		{"seize again", p.Seize, nil},
		{"answer supervision", p.ReversePolarity, []hal.EventType{hal.PolarityReversal}},
		{"far end hangs up", p.DropBattery, []hal.EventType{hal.BatteryLost}},
		{"battery already gone", p.DropBattery, nil},
		{"exchange releases", p.Release, nil},
		{"battery back", p.RestoreBattery, []hal.EventType{hal.BatteryRestored}},
		{"rings, caller gives up", func() error {
			if err := p.StartRing(); err != nil {
				return err
			}
			return p.EndRing()
		}, []hal.EventType{hal.RingStart, hal.RingStop}},
	}
	for _, s := range steps {
		must(t, s.act())
		var got []hal.EventType
		for _, ev := range pending(p.Events()) {
			if ev.Port != "fxo0" || !ev.At.Equal(epoch) {
				t.Errorf("%s: event %+v has wrong port or time", s.name, ev)
			}
			got = append(got, ev.Type)
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Errorf("%s: events %v, want %v", s.name, got, s.want)
		}
	}
	if p.Seized() {
		t.Error("Seized() after Release")
	}
}

func TestFXOClosed(t *testing.T) {
	b, err := NewBoard("sim", 0, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := b.FXO("fxo0")
	must(t, p.Seize())
	must(t, b.Close())
	if p.Seized() {
		t.Error("still seized after Close")
	}
	for name, err := range map[string]error{
		"Seize":     p.Seize(),
		"Release":   p.Release(),
		"StartRing": p.StartRing(),
		"EndRing":   p.EndRing(),
	} {
		if !errors.Is(err, hal.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}
