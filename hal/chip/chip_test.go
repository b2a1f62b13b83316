package chip_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"

	"github.com/gatepbx/gatepbx/hal/chip"
	"github.com/gatepbx/gatepbx/hal/chip/chiptest"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		in    string
		want  chip.Format
		slot  int
		start int
		err   bool
	}{
		{"MU_LAW", chip.ULaw, 3, 24, false},
		{"A_LAW", chip.ALaw, 127, 1016, false},
		{"S16_LE", chip.Linear, 3, 48, false},
		{"S16_LE", chip.Linear, 64, 0, true},
		{"MU_LAW", chip.ULaw, -1, 0, true},
	}
	for _, tt := range tests {
		f, err := chip.ParseFormat(tt.in)
		if err != nil || f != tt.want || f.String() != tt.in {
			t.Fatalf("ParseFormat(%q) = %v, %v", tt.in, f, err)
		}
		start, err := f.StartCount(tt.slot)
		if (err != nil) != tt.err || start != tt.start {
			t.Errorf("%v.StartCount(%d) = %d, %v", f, tt.slot, start, err)
		}
	}
	if _, err := chip.ParseFormat("FLOAT"); err == nil {
		t.Error("ParseFormat(FLOAT) accepted")
	}
}

type echo struct{}

func (echo) Transfer(w byte) byte { return w + 1 }

func TestDeviceSafeStateRule(t *testing.T) {
	reset := chiptest.NewReset("RESET")
	port := &chiptest.Port{Model: echo{}}
	errSafe := errors.New("safe")
	safeWrites := 0
	d := &chip.Device{Name: "test", Pins: chip.Pins{Reset: reset}, Sleep: func(time.Duration) {}, ErrSafe: errSafe,
		Safe: func() []error { safeWrites++; return nil }}
	if err := d.Open(port, 1000, spi.Mode3, func() error {
		if err := d.Bus.Write(1); err != nil {
			return err
		}
		v, err := d.Bus.Read()
		if v != 1 { // echo of the zero byte Read sends
			t.Errorf("Read = %d", v)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := d.Do("step", func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Do = %v", err)
	}
	if err := d.Do("step", func() error { return nil }); !errors.Is(err, errSafe) {
		t.Errorf("Do after an error = %v, want the safe-state error", err)
	}
	if l := reset.Read(); l != gpio.Low || safeWrites != 1 {
		t.Errorf("reset %v, safe writes %d", l, safeWrites)
	}
	if err := d.Close(); err != nil || safeWrites != 1 {
		t.Errorf("Close = %v, safe writes %d (want no second attempt)", err, safeWrites)
	}
}

func TestPollUntilAndWait(t *testing.T) {
	n := 0
	err := chip.PollUntil(func(time.Duration) {}, 3, time.Millisecond, "thing", func() (bool, error) { n++; return false, nil })
	if !errors.Is(err, chip.ErrTimeout) || n != 3 {
		t.Errorf("PollUntil = %v after %d tries", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if (chip.Pins{}).Wait(ctx, time.Hour) {
		t.Error("Wait on a cancelled context returned true")
	}
	irq := chiptest.NewIRQ("IRQ")
	chiptest.FallingEdge(irq)
	if !(chip.Pins{IRQ: irq}).Wait(context.Background(), time.Hour) {
		t.Error("Wait did not return on an edge")
	}
	if irq.Read() != gpio.Low {
		t.Error("the interrupt line does not read low after its falling edge")
	}
	if err := (chip.Pins{}).ResetPulse(func(time.Duration) {}, 0, 0); err == nil {
		t.Error("ResetPulse without a reset pin succeeded")
	}
}
