package proslic

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/chip"
	"github.com/gatepbx/gatepbx/hal/chip/chiptest"
	"github.com/gatepbx/gatepbx/hal/proslic/proslictest"
)

func testConfig(part Part) Config {
	return Config{Name: "slic0", Part: part, Hz: 1_000_000, Mode: spi.Mode3, Format: chip.ULaw, Slot: 2, RingHz: 25, Sleep: func(time.Duration) {}, Poll: time.Hour}
}

// rig is a fake chip behind chiptest.Port with periph's gpiotest pins for
// its reset and interrupt lines.
type rig struct {
	port  *chiptest.Port
	chip  *proslictest.Chip
	reset *gpiotest.Pin
	irq   *gpiotest.Pin
}

func newRig(part Part) *rig {
	r := &rig{reset: chiptest.NewReset("GPIO17"), irq: chiptest.NewIRQ("GPIO27")}
	r.chip = proslictest.NewChip(r.reset, part.code, 5)
	r.port = &chiptest.Port{Model: r.chip}
	return r
}

func (r *rig) pins() chip.Pins { return chip.Pins{Reset: r.reset, IRQ: r.irq} }

// config is testConfig with the chip seeing its reset line while the
// driver waits.
func (r *rig) config(part Part) Config {
	c := testConfig(part)
	c.Sleep = func(d time.Duration) { r.chip.Sleep(d) }
	return c
}

func (r *rig) lastReset() gpio.Level { return r.reset.Read() }

func TestOpenInitialises(t *testing.T) {
	for _, part := range []Part{Si3210, Si3215} {
		t.Run(part.Name, func(t *testing.T) {
			r := newRig(part)
			stale := gpio.Low
			r.irq.EdgesChan <- stale // an edge from before Open must not count
			d, err := Open(r.port, r.pins(), r.config(part))
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				name      string
				got, want int
			}{
				{"linefeed", int(r.chip.Reg(regLinefeed)), int(hal.LinefeedForwardActive)},
				{"pcm mode", int(r.chip.Reg(regPCMMode)), pcmULaw},
				{"tx start", int(r.chip.Reg(regPCMTxLo)) | int(r.chip.Reg(regPCMTxHi))<<8, 16},
				{"rx start", int(r.chip.Reg(regPCMRxLo)) | int(r.chip.Reg(regPCMRxHi))<<8, 16},
				{"ring coefficient", int(r.chip.Indirect(indRingOscCoef)), ringCoef25Hz},
				{"ring amplitude", int(r.chip.Indirect(indRingX)), ringXDefault},
				{"irq enable", int(r.chip.Reg(regIRQEnable2)), irqHook},
				{"auto control", int(r.chip.Reg(regAutoControl)), autoControl},
				{"calibration done", int(r.chip.Reg(regCalibrate1)), 0},
				{"dc-dc", int(r.chip.Reg(regPowerDown)), map[bool]int{true: dcdcOn, false: dcdcOff}[part.hasDCDC]},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = 0x%x, want 0x%x", c.name, c.got, c.want)
				}
			}
			if got := r.chip.ResetPulses(); got != 1 || r.reset.Read() != gpio.High {
				t.Errorf("chip saw %d reset pulses, reset pin %v after Open; want 1 pulse, released", got, r.reset.Read())
			}
			if r.irq.Pull() != gpio.PullUp || len(r.irq.EdgesChan) != 0 {
				t.Errorf("irq pull %v, %d stale edges; want pull-up, edges flushed by In", r.irq.Pull(), len(r.irq.EdgesChan))
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			if r.chip.Reg(regLinefeed) != 0 || r.chip.Reg(regPowerDown) != dcdcOff || r.lastReset() != gpio.Low {
				t.Error("Close did not leave linefeed open, DC-DC off and reset asserted")
			}
			if err := d.SetLinefeed(hal.LinefeedForwardActive); !errors.Is(err, ErrSafeState) {
				t.Errorf("SetLinefeed after Close = %v", err)
			}
		})
	}
}

func TestOpenRefusesInsaneChip(t *testing.T) {
	tests := []struct {
		name  string
		part  Part
		bend  func(*rig)
		cause string
	}{
		{"absent", Si3210, func(r *rig) { r.chip.Absent = true }, "part code 3"},
		{"wrong part", Si3215, func(r *rig) { r.chip = proslictest.NewChip(r.reset, 0, 5); r.port.Model = r.chip }, "part code 0, want 3"},
		{"old revision", Si3210, func(r *rig) { r.chip = proslictest.NewChip(r.reset, 0, 1); r.port.Model = r.chip }, "revision 1"},
		{"spi dead", Si3210, func(r *rig) { r.port.FailAfter = 1 }, "injected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(tt.part)
			tt.bend(r)
			d, err := Open(r.port, r.pins(), r.config(tt.part))
			if d != nil || !errors.Is(err, ErrInsane) || !strings.Contains(err.Error(), tt.cause) {
				t.Fatalf("Open = %v, %v; want ErrInsane mentioning %q", d, err, tt.cause)
			}
			if r.lastReset() != gpio.Low {
				t.Error("chip not held in reset after a failed Open")
			}
		})
	}
}

func TestOpenFailsSafeAtEveryStep(t *testing.T) {
	r := newRig(Si3210)
	if _, err := Open(r.port, r.pins(), r.config(Si3210)); err != nil {
		t.Fatal(err)
	}
	total := r.port.Transfers()
	for n := 1; n < total; n += 7 {
		r := newRig(Si3210)
		r.port.FailAfter = n
		d, err := Open(r.port, r.pins(), r.config(Si3210))
		if d != nil || !errors.Is(err, chiptest.ErrInjected) {
			t.Fatalf("fail after %d: Open = %v, %v", n, d, err)
		}
		if r.lastReset() != gpio.Low {
			t.Fatalf("fail after %d: chip not held in reset", n)
		}
	}
	for _, bad := range []Config{
		func() Config { c := testConfig(Si3210); c.RingHz = 50; return c }(),
		func() Config { c := testConfig(Si3210); c.Slot = 200; return c }(),
	} {
		if _, err := Open(newRig(Si3210).port, newRig(Si3210).pins(), bad); err == nil {
			t.Errorf("Open accepted %+v", bad)
		}
	}
}

func TestLinefeedAndHook(t *testing.T) {
	r := newRig(Si3215)
	d, err := Open(r.port, r.pins(), r.config(Si3215))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, lf := range []hal.Linefeed{hal.LinefeedRinging, hal.LinefeedForwardOHT, hal.LinefeedReverseActive} {
		if err := d.SetLinefeed(lf); err != nil {
			t.Fatal(err)
		}
		if got := hal.Linefeed(r.chip.Reg(regLinefeed)); got != lf {
			t.Errorf("linefeed register %v, want %v", got, lf)
		}
	}
	if err := d.SetLinefeed(8); err == nil {
		t.Error("SetLinefeed(8) accepted")
	}
	r.chip.SetReg(proslictest.RegLoopStatus, ringTrip)
	if off, err := d.OffHook(); err != nil || !off {
		t.Errorf("OffHook on ring trip = %v, %v", off, err)
	}
	r.chip.SetHook(false)
	if off, err := d.OffHook(); err != nil || off {
		t.Errorf("OffHook on hook = %v, %v", off, err)
	}
	r.chip.SetHook(true)
	if off, err := d.OffHook(); err != nil || !off {
		t.Errorf("OffHook = %v, %v", off, err)
	}
	// An SPI error puts the chip in the safe state for good.
	r.port.SetFailAfter(r.port.Transfers())
	if err := d.SetLinefeed(hal.LinefeedForwardActive); !errors.Is(err, chiptest.ErrInjected) {
		t.Fatalf("SetLinefeed on a failing bus = %v", err)
	}
	if r.lastReset() != gpio.Low {
		t.Error("chip not in reset after an SPI error")
	}
	r.port.SetFailAfter(0)
	if err := d.SetLinefeed(hal.LinefeedForwardActive); !errors.Is(err, ErrSafeState) {
		t.Errorf("SetLinefeed after the error = %v, want ErrSafeState", err)
	}
}

// sink records what Serve reports.
type sink struct {
	mu     sync.Mutex
	hooks  chan bool
	faults chan error
}

func newSink() *sink { return &sink{hooks: make(chan bool, 8), faults: make(chan error, 8)} }

func (s *sink) RawHook(off bool) { s.hooks <- off }
func (s *sink) Fault(err error)  { s.faults <- err }

func TestServeReportsHookAndAlarm(t *testing.T) {
	r := newRig(Si3210)
	d, err := Open(r.port, r.pins(), r.config(Si3210))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := newSink()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx, s) }()

	if off := <-s.hooks; off {
		t.Fatal("initial hook state off hook")
	}
	r.chip.SetHook(true)
	chiptest.FallingEdge(r.irq)
	if off := <-s.hooks; !off {
		t.Fatal("hook change not reported")
	}
	if r.chip.Reg(regIRQStatus3) != 0 {
		t.Error("interrupt status not cleared")
	}
	r.chip.SetReg(regIRQStatus2, 0x04)
	chiptest.FallingEdge(r.irq)
	if err := <-s.faults; !errors.Is(err, ErrPowerAlarm) {
		t.Errorf("fault %v, want power alarm", err)
	}
	if err := <-done; !errors.Is(err, ErrPowerAlarm) {
		t.Errorf("Serve = %v", err)
	}
	if r.chip.Reg(regLinefeed) != 0 || r.lastReset() != gpio.Low {
		t.Error("power alarm did not put the chip in the safe state")
	}
	cancel()

	// A cancelled context ends Serve cleanly.
	r2 := newRig(Si3215)
	d2, err := Open(r2.port, r2.pins(), r2.config(Si3215))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- d2.Serve(ctx2, newSink()) }()
	cancel2()
	chiptest.FallingEdge(r2.irq)
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v", err)
	}
}

// TestGoldenInit records Open's SPI traffic against the fake chip and
// compares it with testdata; then replays the golden file through
// periph's spitest.Playback, so any change to the init sequence shows up
// as a reviewed diff.
func TestGoldenInit(t *testing.T) {
	for _, part := range []Part{Si3210, Si3215} {
		t.Run(part.Name, func(t *testing.T) {
			path := "testdata/" + part.Name + "_init.golden"
			r := newRig(part)
			rec := &spitest.Record{Port: r.port}
			if _, err := Open(rec, r.pins(), r.config(part)); err != nil {
				t.Fatal(err)
			}
			header := "# " + part.Name + " Open: µ-law, slot 2, 25 Hz ring. One byte per chip-select frame.\n"
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
			r2 := newRig(part)
			if _, err := Open(pb, r2.pins(), testConfig(part)); err != nil {
				t.Fatalf("Open against the golden playback: %v", err)
			}
			if err := pb.Playback.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
