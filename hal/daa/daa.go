package daa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/spi"

	"github.com/gatepbx/gatepbx/hal/chip"
)

// Registers (Si3050, hal-notes 1.2/1.3).
const (
	regControl1   = 1  // 0x80 soft reset
	regControl2   = 2  // 0x03 after reset
	regIRQMask    = 3  // interrupt mask
	regIRQSource  = 4  // interrupt source (write 0 to clear)
	regDAAControl = 5  // OH, ONHM, ring detect bits
	regPowerLine  = 6  // DAA control 2: line-side power down
	regRevision   = 11 // low nibble system side, high nibble line side (0: link down)
	regIntl1      = 16 // on-hook speed, ringer impedance, ring threshold
	regDCTerm     = 26 // DC termination
	regLineVolt   = 29 // line voltage, signed, volts [verify scale]
	regACTerm     = 30 // AC termination
	regControl5   = 31
	regPCMMode    = 33 // PCM/SPI mode
	regPCMTxLo    = 34 // transmit start count, PCLK cycles from FSYNC
	regPCMTxHi    = 35
	regPCMRxLo    = 36 // receive start count
	regPCMRxHi    = 37
)

// Register values.
const (
	ctlWrite = 0x20
	ctlRead  = 0x60

	control2Reset = 0x03
	offHook       = 0x09 // OH plus on-hook line monitor
	onHookMonitor = 0x08 // ONHM: line audio on hook, for caller ID
	ringBits      = 0x60 // RDTP | RDTN
	lineSideUp    = 0x00 // regPowerLine: power the line side
	daaControl5   = 0xa3 // hal-notes 1.3 (0xe3 for fast pickup)

	pcmULaw   = 0x28
	pcmALaw   = 0x20
	pcmLinear = 0x38 // [verify]

	// irqMask enables ring detect (bit 7) and polarity reversal (bit 0)
	// interrupts [verify].
	irqMask = 0x81
)

// Timings [verify].
const (
	resetHold   = 5 * time.Millisecond
	resetSettle = 20 * time.Millisecond
	linkPause   = 10 * time.Millisecond
	linkTries   = 200 // 2 s, as wctdm waits
)

// Errors, wrapped with the chip's name.
var (
	ErrInsane    = errors.New("daa: sanity check failed")
	ErrSafeState = errors.New("daa: chip in safe state")
	ErrNoLink    = errors.New("daa: line-side link (Si3019) did not come up")
)

// Config says how the DAA is wired and used.
type Config struct {
	Name    string
	Hz      int
	Mode    spi.Mode
	Format  chip.Format
	Slot    int
	Country Country
	Sleep   func(time.Duration) // nil: time.Sleep
	// Poll is how often Serve reads ring and line status (default 10 ms:
	// the ring-detect bits follow the ring signal).
	Poll time.Duration
}

// LineSink receives what Serve sees; the line engine's FXO port is one.
type LineSink interface {
	RawRing(on bool)
	RawLine(volts int)
	Fault(err error)
}

// Device is one initialised DAA. Its methods are safe for concurrent use.
type Device struct {
	chip.Device
	cfg Config
}

// Open resets the DAA, checks it, programs the country and PCM settings,
// brings up the line side and leaves it on hook with the line monitor on.
// On failure the chip is left in the safe state; the error wraps ErrInsane
// when it did not answer as a Si3050, ErrNoLink when the line side did not
// come up.
func Open(port spi.Port, pins chip.Pins, cfg Config) (*Device, error) {
	if cfg.Poll <= 0 {
		cfg.Poll = 10 * time.Millisecond
	}
	if _, err := cfg.Format.StartCount(cfg.Slot); err != nil {
		return nil, fmt.Errorf("daa %s: %w", cfg.Name, err)
	}
	d := &Device{cfg: cfg}
	d.Device = chip.Device{Name: "daa " + cfg.Name, Pins: pins, Sleep: cfg.Sleep, ErrSafe: ErrSafeState, Safe: d.safeRegisters}
	if err := d.Open(port, cfg.Hz, cfg.Mode, d.bringUp); err != nil {
		return nil, err
	}
	return d, nil
}

// safeRegisters puts the line on hook with the monitor off.
func (d *Device) safeRegisters() []error {
	return []error{d.write(regDAAControl, 0)}
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
	r16, r26, r30, r31 := d.cfg.Country.registers()
	for _, s := range []struct{ reg, val byte }{
		{regDAAControl, 0}, // on hook
		{regPCMMode, pcm},
		{regPCMTxLo, byte(start)}, {regPCMTxHi, byte(start >> 8)},
		{regPCMRxLo, byte(start)}, {regPCMRxHi, byte(start >> 8)},
		{regIntl1, r16}, {regDCTerm, r26}, {regACTerm, r30}, {regControl5, r31},
		{regPowerLine, lineSideUp},
	} {
		if err := d.write(s.reg, s.val); err != nil {
			return err
		}
	}
	if err := chip.PollUntil(d.Sleep, linkTries, linkPause, "line-side link", func() (bool, error) {
		v, err := d.read(regRevision)
		return v>>4 != 0, err
	}); err != nil {
		if errors.Is(err, chip.ErrTimeout) {
			return fmt.Errorf("%w: %w", ErrNoLink, err)
		}
		return err
	}
	for _, s := range []struct{ reg, val byte }{
		{regDAAControl, onHookMonitor}, {regIRQMask, irqMask}, {regIRQSource, 0},
	} {
		if err := d.write(s.reg, s.val); err != nil {
			return err
		}
	}
	return nil
}

// sanityCheck reads register 2's reset value and the system-side
// revision, as DAHDI's wctdm_voicedaa_insane does.
func (d *Device) sanityCheck() error {
	v, err := d.read(regControl2)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInsane, err)
	}
	if v != control2Reset {
		return fmt.Errorf("%w: register 2 reads 0x%02x, want 0x%02x; is a DAA fitted?", ErrInsane, v, control2Reset)
	}
	rev, err := d.read(regRevision)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInsane, err)
	}
	if rev&0x0f == 0 {
		return fmt.Errorf("%w: system-side revision 0", ErrInsane)
	}
	return nil
}

func (d *Device) write(reg, val byte) error {
	for _, b := range [3]byte{ctlWrite, reg, val} {
		if err := d.Bus.Write(b); err != nil {
			return fmt.Errorf("write register %d: %w", reg, err)
		}
	}
	return nil
}

func (d *Device) read(reg byte) (byte, error) {
	for _, b := range [2]byte{ctlRead, reg} {
		if err := d.Bus.Write(b); err != nil {
			return 0, fmt.Errorf("read register %d: %w", reg, err)
		}
	}
	v, err := d.Bus.Read()
	if err != nil {
		return 0, fmt.Errorf("read register %d: %w", reg, err)
	}
	return v, nil
}

// SetHook takes the line off hook or puts it back (line engine
// FXODriver). On hook, the line monitor stays on for caller ID.
func (d *Device) SetHook(off bool) error {
	v := byte(onHookMonitor)
	if off {
		v = offHook
	}
	return d.Do("set hook", func() error { return d.write(regDAAControl, v) })
}

// Status reads the ring-detect bits and the line voltage.
func (d *Device) Status() (ringing bool, volts int, err error) {
	err = d.Do("status", func() error {
		ringing, volts, err = d.readStatus()
		return err
	})
	return ringing, volts, err
}

// readStatus reads ring detect and line voltage; the lock is held.
func (d *Device) readStatus() (ringing bool, volts int, err error) {
	v, err := d.read(regDAAControl)
	if err != nil {
		return false, 0, err
	}
	lv, err := d.read(regLineVolt)
	return v&ringBits != 0, int(int8(lv)), err
}

// Serve reports ring and line status to sink until ctx ends, reading it
// on every interrupt and every Poll. An SPI error is reported as a fault,
// the chip goes to the safe state and Serve returns the error.
func (d *Device) Serve(ctx context.Context, sink LineSink) error {
	first := true
	var lastRing bool
	lastVolts := 0
	for {
		var ringing bool
		var volts int
		err := d.Do("serve", func() error {
			src, err := d.read(regIRQSource)
			if err != nil {
				return err
			}
			if src != 0 {
				if err := d.write(regIRQSource, 0); err != nil {
					return err
				}
			}
			ringing, volts, err = d.readStatus()
			return err
		})
		if err != nil {
			sink.Fault(err)
			return err
		}
		if first || ringing != lastRing {
			sink.RawRing(ringing)
		}
		if first || volts != lastVolts {
			sink.RawLine(volts)
		}
		first, lastRing, lastVolts = false, ringing, volts
		if !d.Pins.Wait(ctx, d.cfg.Poll) {
			return nil
		}
	}
}
