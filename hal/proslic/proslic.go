package proslic

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/spi"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/chip"
)

// Errors, wrapped with the chip's name.
var (
	// ErrInsane: the chip did not answer its sanity check (absent, wrong
	// part, or a broken SPI link).
	ErrInsane = errors.New("proslic: sanity check failed")
	// ErrSafeState: the chip was put in the safe state after an error or
	// Close and accepts no more commands.
	ErrSafeState = errors.New("proslic: chip in safe state")
	// ErrPowerAlarm: the chip reported a power alarm.
	ErrPowerAlarm = errors.New("proslic: power alarm")
)

// Config says how the chip is wired and used.
type Config struct {
	Name   string // for errors and logs, e.g. "slic0"
	Part   Part
	Hz     int      // SPI clock
	Mode   spi.Mode // SPI mode (3 for the ProSLIC)
	Format chip.Format
	// Slot is the PCM time slot; the start counts are Slot × slot width.
	Slot int
	// RingHz is 20 or 25.
	RingHz int
	// Sleep waits during reset and calibration; nil means time.Sleep.
	// Tests pass a no-op.
	Sleep func(time.Duration)
	// Poll is how often Serve reads status without an interrupt (default
	// 50 ms).
	Poll time.Duration
}

// HookSink receives what Serve sees; the line engine's FXS port is one.
type HookSink interface {
	RawHook(offHook bool)
	Fault(err error)
}

// Device is one initialised ProSLIC. Its methods are safe for concurrent
// use.
type Device struct {
	chip.Device
	cfg Config
}

// Open connects to the chip, resets it, checks it is there and sane,
// initialises and calibrates it, and leaves the line forward active. On
// any failure the chip is left in the safe state and the error wraps
// ErrInsane when the chip did not answer as a ProSLIC.
func Open(port spi.Port, pins chip.Pins, cfg Config) (*Device, error) {
	if cfg.Poll <= 0 {
		cfg.Poll = 50 * time.Millisecond
	}
	if cfg.RingHz != 20 && cfg.RingHz != 25 {
		return nil, fmt.Errorf("proslic %s: ring frequency %d Hz must be 20 or 25", cfg.Name, cfg.RingHz)
	}
	if _, err := cfg.Format.StartCount(cfg.Slot); err != nil {
		return nil, fmt.Errorf("proslic %s: %w", cfg.Name, err)
	}
	d := &Device{cfg: cfg}
	d.Device = chip.Device{Name: "proslic " + cfg.Name, Pins: pins, Sleep: cfg.Sleep, ErrSafe: ErrSafeState, Safe: d.safeRegisters}
	if err := d.Open(port, cfg.Hz, cfg.Mode, d.bringUp); err != nil {
		return nil, err
	}
	return d, nil
}

// safeRegisters opens the line and turns the DC-DC converter off.
func (d *Device) safeRegisters() []error {
	return []error{d.write(regLinefeed, byte(hal.LinefeedOpen)), d.write(regPowerDown, dcdcOff)}
}

func (d *Device) bringUp() error {
	if err := d.Pins.ResetPulse(d.Sleep, resetHold, resetSettle); err != nil {
		return err
	}
	if err := d.sanityCheck(); err != nil {
		return err
	}
	pcm := map[chip.Format]byte{chip.ULaw: pcmULaw, chip.ALaw: pcmALaw, chip.Linear: pcmLinear}[d.cfg.Format]
	if pcm == 0 {
		return fmt.Errorf("PCM format %v not supported", d.cfg.Format)
	}
	start, _ := d.cfg.Format.StartCount(d.cfg.Slot) // checked by Open
	coef := uint16(ringCoef20Hz)
	if d.cfg.RingHz == 25 {
		coef = ringCoef25Hz
	}
	steps := []struct {
		reg, val byte
	}{
		{regPowerDown, dcdcOff}, // converter off until configured
		{regLinefeed, byte(hal.LinefeedOpen)},
		{regAutoControl, autoControl}, // no automatic battery switching
		{regLoopback, 0},              // audio loopback off
		{regRingOscCtl, 0},            // ring cadence in software
		{regPCMMode, pcm},
		{regPCMTxLo, byte(start)}, {regPCMTxHi, byte(start >> 8)},
		{regPCMRxLo, byte(start)}, {regPCMRxHi, byte(start >> 8)},
		{regVBATHigh, vbatHigh},
	}
	for _, s := range steps {
		if err := d.write(s.reg, s.val); err != nil {
			return err
		}
	}
	for _, ind := range []struct {
		reg byte
		val uint16
	}{{indRingOscCoef, coef}, {indRingX, ringXDefault}, {indRingY, 0}, {indRingVOff, 0}} {
		if err := d.writeIndirect(ind.reg, ind.val); err != nil {
			return err
		}
	}
	if d.cfg.Part.hasDCDC {
		if err := d.write(regPowerDown, dcdcOn); err != nil {
			return err
		}
		if err := chip.PollUntil(d.Sleep, vbatTries, pollPause, "battery voltage", func() (bool, error) {
			v, err := d.read(regVBATSense)
			return v >= vbatReady, err
		}); err != nil {
			return err
		}
	}
	if err := d.calibrate(); err != nil {
		return err
	}
	for _, s := range []struct{ reg, val byte }{
		{regIRQEnable1, 0}, {regIRQEnable2, irqHook}, {regIRQEnable3, 0},
		{regIRQStatus1, 0xff}, {regIRQStatus2, 0xff}, {regIRQStatus3, 0xff},
		{regLinefeed, byte(hal.LinefeedForwardActive)},
	} {
		if err := d.write(s.reg, s.val); err != nil {
			return err
		}
	}
	return nil
}

// sanityCheck reads the ID and two registers with known reset values, as
// DAHDI's wctdm_proslic_insane does.
func (d *Device) sanityCheck() error {
	id, err := d.read(regID)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInsane, err)
	}
	if code := id >> 4 & 0x3; code != d.cfg.Part.code {
		return fmt.Errorf("%w: part code %d, want %d (%s); is a chip fitted?", ErrInsane, code, d.cfg.Part.code, d.cfg.Part.Name)
	}
	if rev := id & 0xf; rev < minRevision {
		return fmt.Errorf("%w: revision %d too old", ErrInsane, rev)
	}
	for _, want := range []struct{ reg, val byte }{{regLoopback, loopbackReset}, {regHybrid, hybridReset}, {regLinefeed, 0}} {
		v, err := d.read(want.reg)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInsane, err)
		}
		if v != want.val {
			return fmt.Errorf("%w: register %d reads 0x%02x, want 0x%02x after reset", ErrInsane, want.reg, v, want.val)
		}
	}
	return nil
}

func (d *Device) calibrate() error {
	if err := d.write(regCalibrate2, calEnables); err != nil {
		return err
	}
	if err := d.write(regCalibrate1, calStart); err != nil {
		return err
	}
	return chip.PollUntil(d.Sleep, calTries, pollPause, "calibration", func() (bool, error) {
		v, err := d.read(regCalibrate1)
		return v == 0, err
	})
}

func (d *Device) write(reg, val byte) error {
	if err := d.Bus.Write(reg &^ readBit); err != nil {
		return fmt.Errorf("write register %d: %w", reg, err)
	}
	if err := d.Bus.Write(val); err != nil {
		return fmt.Errorf("write register %d: %w", reg, err)
	}
	return nil
}

func (d *Device) read(reg byte) (byte, error) {
	if err := d.Bus.Write(reg | readBit); err != nil {
		return 0, fmt.Errorf("read register %d: %w", reg, err)
	}
	v, err := d.Bus.Read()
	if err != nil {
		return 0, fmt.Errorf("read register %d: %w", reg, err)
	}
	return v, nil
}

func (d *Device) writeIndirect(reg byte, val uint16) error {
	if err := chip.PollUntil(d.Sleep, indTries, 0, "indirect access", func() (bool, error) {
		v, err := d.read(regIndStatus)
		return v == 0, err
	}); err != nil {
		return err
	}
	for _, s := range []struct{ reg, val byte }{{regIndDataLo, byte(val)}, {regIndDataHi, byte(val >> 8)}, {regIndAddr, reg}} {
		if err := d.write(s.reg, s.val); err != nil {
			return fmt.Errorf("indirect register %d: %w", reg, err)
		}
	}
	return nil
}

// SetLinefeed writes the linefeed register (line engine FXSDriver).
func (d *Device) SetLinefeed(lf hal.Linefeed) error {
	if !lf.Valid() {
		return fmt.Errorf("%s: invalid linefeed %d", d.Name, lf)
	}
	return d.Do("set linefeed", func() error { return d.write(regLinefeed, byte(lf)) })
}

// OffHook reads the loop-closure and ring-trip status.
func (d *Device) OffHook() (bool, error) {
	var off bool
	err := d.Do("read hook", func() error {
		v, err := d.read(regLoopStatus)
		off = v&(loopClosed|ringTrip) != 0
		return err
	})
	return off, err
}

// Serve watches the chip until ctx ends: on each interrupt (or every Poll
// without one) it reads and clears the interrupt status and reports hook
// changes to sink. A power alarm or an SPI error is reported as a fault,
// the chip goes to the safe state and Serve returns the error.
func (d *Device) Serve(ctx context.Context, sink HookSink) error {
	last := false
	first := true
	for {
		var status [3]byte
		var off bool
		err := d.Do("serve", func() error {
			for i := range status {
				v, err := d.read(regIRQStatus1 + byte(i))
				if err != nil {
					return err
				}
				status[i] = v
				if v != 0 {
					if err := d.write(regIRQStatus1+byte(i), v); err != nil {
						return err
					}
				}
			}
			if status[1] != 0 {
				return fmt.Errorf("%w (status 0x%02x)", ErrPowerAlarm, status[1])
			}
			v, err := d.read(regLoopStatus)
			off = v&(loopClosed|ringTrip) != 0
			return err
		})
		if err != nil {
			sink.Fault(err)
			return err
		}
		if first || off != last {
			sink.RawHook(off)
			first, last = false, off
		}
		if !d.Pins.Wait(ctx, d.cfg.Poll) {
			return nil
		}
	}
}
