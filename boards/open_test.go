package boards

import (
	"reflect"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/sim"
)

func TestOpenSim(t *testing.T) {
	p, err := Lookup("sim")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	b, err := Open(p, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	var names []string
	for _, port := range b.Ports() {
		names = append(names, port.Name())
	}
	if !reflect.DeepEqual(names, p.PortNames()) {
		t.Errorf("board ports %v, profile ports %v", names, p.PortNames())
	}

	board, ok := b.(*sim.Board)
	if !ok {
		t.Fatalf("Open(sim) = %T, want *sim.Board", b)
	}
	phone, ok := board.Phone("fxs1")
	if !ok {
		t.Fatal("no fxs1")
	}
	if err := phone.OffHook(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(100 * time.Millisecond)
	port, _ := b.Port("fxs1")
	if got, want := <-port.Events(), (hal.Event{Port: "fxs1", Type: hal.OffHook, At: start}); got != want {
		t.Errorf("event %+v, want %+v", got, want)
	}
}

func TestOpenRejectsInvalidProfile(t *testing.T) {
	b, err := Open(Profile{Name: "broken", Driver: DriverSim, Region: "us"}, nil)
	if err == nil || b != nil {
		t.Fatalf("Open(invalid) = %v, %v; want nil, error", b, err)
	}
}
