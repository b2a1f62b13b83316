package daa

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/gatepbx/gatepbx/hal/chip"
	"github.com/gatepbx/gatepbx/hal/chip/chiptest"
	"github.com/gatepbx/gatepbx/hal/daa/daatest"
)

func testConfig(t *testing.T, country string) Config {
	c, err := LookupCountry(country)
	if err != nil {
		t.Fatal(err)
	}
	return Config{Name: "daa0", Hz: 1_000_000, Mode: spi.Mode3, Format: chip.ALaw, Slot: 3, Country: c, Sleep: func(time.Duration) {}, Poll: time.Hour}
}

// rig is a fake DAA behind chiptest.Port with periph's gpiotest pins for
// its reset and interrupt lines.
type rig struct {
	port       *chiptest.Port
	chip       *daatest.Chip
	reset, irq *gpiotest.Pin
}

func newRig() *rig {
	r := &rig{reset: chiptest.NewReset("GPIO22"), irq: chiptest.NewIRQ("GPIO23")}
	r.chip = daatest.NewChip(r.reset)
	r.port = &chiptest.Port{Model: r.chip}
	return r
}

func (r *rig) pins() chip.Pins { return chip.Pins{Reset: r.reset, IRQ: r.irq} }

// config is testConfig with the chip seeing its reset line while the
// driver waits.
func (r *rig) config(t *testing.T, country string) Config {
	c := testConfig(t, country)
	c.Sleep = func(d time.Duration) { r.chip.Sleep(d) }
	return c
}

func (r *rig) lastReset() gpio.Level { return r.reset.Read() }

func TestOpenInitialises(t *testing.T) {
	r := newRig()
	d, err := Open(r.port, r.pins(), r.config(t, "HUNGARY"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		reg, want byte
	}{
		{"pcm mode", regPCMMode, pcmALaw},
		{"tx start", regPCMTxLo, 24}, {"rx start", regPCMRxLo, 24},
		{"dc termination", regDCTerm, 3<<6 | 1<<1},
		{"ac termination", regACTerm, 2},
		{"control 5", regControl5, daaControl5},
		{"on hook with monitor", regDAAControl, onHookMonitor},
		{"irq mask", regIRQMask, irqMask},
		{"line side powered", regPowerLine, 0},
	}
	for _, c := range checks {
		if got := r.chip.Reg(c.reg); got != c.want {
			t.Errorf("%s: register %d = 0x%02x, want 0x%02x", c.name, c.reg, got, c.want)
		}
	}
	if got := r.chip.ResetPulses(); got != 1 || r.reset.Read() != gpio.High {
		t.Errorf("chip saw %d reset pulses, reset pin %v after Open; want 1 pulse, released", got, r.reset.Read())
	}
	if r.irq.Pull() != gpio.PullUp {
		t.Errorf("irq pull %v, want pull-up", r.irq.Pull())
	}
	if err := d.SetHook(true); err != nil || r.chip.Reg(regDAAControl) != offHook {
		t.Errorf("SetHook(true) = %v, register 0x%02x", err, r.chip.Reg(regDAAControl))
	}
	if err := d.SetHook(false); err != nil || r.chip.Reg(regDAAControl) != onHookMonitor {
		t.Errorf("SetHook(false) = %v, register 0x%02x", err, r.chip.Reg(regDAAControl))
	}
	r.chip.SetLine(true, -48)
	if ring, v, err := d.Status(); err != nil || !ring || v != -48 {
		t.Errorf("Status = %v %d %v", ring, v, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if r.chip.Reg(regDAAControl)&1 != 0 || r.lastReset() != gpio.Low {
		t.Error("Close did not leave the line on hook and the chip in reset")
	}
	if err := d.SetHook(true); !errors.Is(err, ErrSafeState) {
		t.Errorf("SetHook after Close = %v", err)
	}
}

func TestOpenFailures(t *testing.T) {
	tests := []struct {
		name  string
		bend  func(*rig)
		want  error
		cause string
	}{
		{"absent", func(r *rig) { r.chip.Absent = true }, ErrInsane, "register 2 reads 0xff"},
		{"spi dead", func(r *rig) { r.port.FailAfter = 1 }, ErrInsane, "injected"},
		{"no line side", func(r *rig) { r.chip.NoLink = true }, ErrNoLink, "line-side link"},
		{"spi fails mid init", func(r *rig) { r.port.FailAfter = 20 }, chiptest.ErrInjected, "injected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			tt.bend(r)
			d, err := Open(r.port, r.pins(), r.config(t, "FCC"))
			if d != nil || !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.cause) {
				t.Fatalf("Open = %v, %v; want %v mentioning %q", d, err, tt.want, tt.cause)
			}
			if r.lastReset() != gpio.Low {
				t.Error("chip not held in reset")
			}
		})
	}
	if _, err := LookupCountry("ATLANTIS"); err == nil || !strings.Contains(err.Error(), "HUNGARY") {
		t.Errorf("LookupCountry(ATLANTIS) = %v", err)
	}
}

type sink struct {
	rings  chan bool
	volts  chan int
	faults chan error
}

func newSink() *sink {
	return &sink{rings: make(chan bool, 8), volts: make(chan int, 8), faults: make(chan error, 8)}
}

func (s *sink) RawRing(on bool)   { s.rings <- on }
func (s *sink) RawLine(volts int) { s.volts <- volts }
func (s *sink) Fault(err error)   { s.faults <- err }

func TestServe(t *testing.T) {
	r := newRig()
	d, err := Open(r.port, r.pins(), r.config(t, "GERMANY"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r.chip.SetLine(false, 48)
	s := newSink()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx, s) }()
	if on, v := <-s.rings, <-s.volts; on || v != 48 {
		t.Fatalf("initial status ring %v volts %d", on, v)
	}
	r.chip.SetLine(true, 48)
	chiptest.FallingEdge(r.irq)
	if on := <-s.rings; !on {
		t.Fatal("ring not reported")
	}
	r.chip.SetLine(false, -48)
	chiptest.FallingEdge(r.irq)
	if on, v := <-s.rings, <-s.volts; on || v != -48 {
		t.Fatalf("ring %v volts %d after reversal", on, v)
	}
	if r.chip.Reg(regIRQSource) != 0 {
		t.Error("interrupt source not cleared")
	}
	r.port.SetFailAfter(r.port.Transfers())
	chiptest.FallingEdge(r.irq)
	if err := <-s.faults; !errors.Is(err, chiptest.ErrInjected) {
		t.Errorf("fault %v", err)
	}
	if err := <-done; err == nil {
		t.Error("Serve returned nil after an SPI error")
	}
	if r.lastReset() != gpio.Low {
		t.Error("SPI error did not put the chip in reset")
	}
}

func TestGoldenInit(t *testing.T) {
	const path = "testdata/si3050_init.golden"
	r := newRig()
	rec := &spitest.Record{Port: r.port}
	if _, err := Open(rec, r.pins(), r.config(t, "HUNGARY")); err != nil {
		t.Fatal(err)
	}
	header := "# si3050 Open: A-law, slot 3, country HUNGARY. One byte per chip-select frame.\n"
	if err := chiptest.Golden(path, header, chiptest.FormatOps(rec.Ops)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := chiptest.ParseOps(string(data))
	if err != nil {
		t.Fatal(err)
	}
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: ops, DontPanic: true}}
	if _, err := Open(pb, newRig().pins(), testConfig(t, "HUNGARY")); err != nil {
		t.Fatalf("Open against the golden playback: %v", err)
	}
	if err := pb.Playback.Close(); err != nil {
		t.Fatal(err)
	}
}
