package boards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/chip"
	"github.com/gatepbx/gatepbx/hal/daa"
	"github.com/gatepbx/gatepbx/hal/line"
	"github.com/gatepbx/gatepbx/hal/pcm"
	"github.com/gatepbx/gatepbx/hal/proslic"
	"github.com/gatepbx/gatepbx/hal/region"
)

// Hardware resolves a profile's names to devices. The default is the host
// (periph SPI and GPIO, ALSA); tests pass fakes.
type Hardware interface {
	// SPI opens a periph SPI port by name, e.g. "SPI0.0".
	SPI(dev string) (spi.PortCloser, error)
	// Pin finds a GPIO by name, e.g. "GPIO17".
	Pin(name string) (gpio.PinIO, error)
	// PCM opens the highway on the named ALSA card.
	PCM(card string, l pcm.Layout) (pcm.Device, error)
}

// ErrNoDriver is wrapped by Open for a chip type without a driver.
var ErrNoDriver = errors.New("no driver for chip type")

// hardwareBoard is a board of real (or faked) chips run by the line
// engine, with one PCM pump.
type hardwareBoard struct {
	name   string
	log    *slog.Logger
	ports  []hal.Port
	byName map[string]hal.Port
	pulse  map[string]bool // FXO ports that dial by pulses

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	chips   []interface{ SafeState() error }
	spis    []spi.PortCloser
	pcmDev  pcm.Device
	pump    *pcm.Pump
	closeMu sync.Mutex
	closed  bool
}

var _ hal.Board = (*hardwareBoard)(nil)

// openHardware brings up every chip and port of p. A chip failing its
// sanity check fails the whole board, after every chip opened so far has
// been put back in the safe state.
func openHardware(ctx context.Context, p Profile, o Options) (*hardwareBoard, error) {
	reg, err := region.Lookup(p.Region)
	if err != nil {
		return nil, err
	}
	lcfg, err := line.RegionConfig(reg)
	if err != nil {
		return nil, err
	}
	country, err := daa.LookupCountry(reg.DAACountry)
	if err != nil {
		return nil, err
	}
	format, err := chip.ParseFormat(p.Audio.Format)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b := &hardwareBoard{name: p.Name, log: o.Logger, byName: map[string]hal.Port{}, pulse: map[string]bool{}, cancel: cancel}
	for _, port := range p.Ports {
		b.pulse[port.Name] = port.Dial == DialPulse
	}
	fail := func(err error) (*hardwareBoard, error) {
		if cerr := b.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, fmt.Errorf("board %q: %w", p.Name, err)
	}
	var channels []pcm.Channel
	for _, c := range p.Chips {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		i := slices.IndexFunc(p.Ports, func(port Port) bool { return port.Chip == c.Name })
		port := p.Ports[i] // Validate guarantees every chip serves a port
		pins, spiPort, err := b.resolve(o.Hardware, c)
		if err != nil {
			return fail(err)
		}
		var lp interface {
			hal.Port
			pcm.Port
		}
		switch c.Type {
		case "si3210", "si3215":
			part, _ := proslic.PartByName(c.Type)
			dev, err := proslic.Open(spiPort, pins, proslic.Config{
				Name: c.Name, Part: part, Hz: c.SPI.Hz, Mode: spi.Mode(c.SPI.Mode), Format: format,
				Slot: port.Slot, RingHz: reg.RingHz, Sleep: o.Sleep,
			})
			if err != nil {
				return fail(fmt.Errorf("chip %q (%s on %s): %w", c.Name, c.Type, c.SPI.Dev, err))
			}
			b.chips = append(b.chips, dev)
			fxs, err := line.NewFXS(port.Name, dev, o.Clock, lcfg)
			if err != nil {
				return fail(err)
			}
			b.goServe(c.Name, func() error { return dev.Serve(runCtx, fxs) })
			lp = fxs
		case "si3050":
			dev, err := daa.Open(spiPort, pins, daa.Config{
				Name: c.Name, Hz: c.SPI.Hz, Mode: spi.Mode(c.SPI.Mode), Format: format,
				Slot: port.Slot, Country: country, Sleep: o.Sleep,
			})
			if err != nil {
				return fail(fmt.Errorf("chip %q (%s on %s): %w", c.Name, c.Type, c.SPI.Dev, err))
			}
			b.chips = append(b.chips, dev)
			fxo, err := line.NewFXO(port.Name, dev, o.Clock, lcfg)
			if err != nil {
				return fail(err)
			}
			b.goServe(c.Name, func() error { return dev.Serve(runCtx, fxo) })
			lp = fxo
		default:
			return fail(fmt.Errorf("chip %q: %w %q", c.Name, ErrNoDriver, c.Type))
		}
		b.byName[port.Name] = lp
		channels = append(channels, pcm.Channel{Slot: port.Slot, Port: lp})
	}
	for _, port := range p.Ports {
		b.ports = append(b.ports, b.byName[port.Name])
	}
	layout := pcm.Layout{Slots: p.Audio.Slots, Format: format}
	if b.pcmDev, err = o.Hardware.PCM(p.Audio.Card, layout); err != nil {
		return fail(fmt.Errorf("audio: %w", err))
	}
	if b.pump, err = pcm.NewPump(b.pcmDev, layout, channels); err != nil {
		return fail(err)
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := b.pump.Run(runCtx); err != nil {
			b.log.Error("PCM audio stopped", "board", b.name, "err", err)
		}
	}()
	return b, nil
}

// resolve opens a chip's SPI port and pins.
func (b *hardwareBoard) resolve(hw Hardware, c Chip) (chip.Pins, spi.PortCloser, error) {
	port, err := hw.SPI(c.SPI.Dev)
	if err != nil {
		return chip.Pins{}, nil, fmt.Errorf("chip %q: spi %s: %w", c.Name, c.SPI.Dev, err)
	}
	b.spis = append(b.spis, port)
	reset, err := hw.Pin(c.Reset)
	if err != nil {
		return chip.Pins{}, nil, fmt.Errorf("chip %q: reset: %w", c.Name, err)
	}
	pins := chip.Pins{Reset: reset}
	if c.IRQ != "" {
		irq, err := hw.Pin(c.IRQ)
		if err != nil {
			return chip.Pins{}, nil, fmt.Errorf("chip %q: irq: %w", c.Name, err)
		}
		pins.IRQ = irq
	}
	return pins, port, nil
}

// goServe runs a chip's status loop; a fault has already reached the
// port's events, so it is only logged here.
func (b *hardwareBoard) goServe(name string, serve func() error) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := serve(); err != nil {
			b.log.Error("chip stopped; its port is out of service", "board", b.name, "chip", name, "err", err)
		}
	}()
}

// Name returns the profile name.
func (b *hardwareBoard) Name() string { return b.name }

// PulseDial reports whether the FXO port name dials calls out by pulses.
func (b *hardwareBoard) PulseDial(name string) bool { return b.pulse[name] }

// Ports lists the ports in profile order.
func (b *hardwareBoard) Ports() []hal.Port { return slices.Clone(b.ports) }

// Port finds a port by name.
func (b *hardwareBoard) Port(name string) (hal.Port, bool) {
	p, ok := b.byName[name]
	return p, ok
}

// Close stops the loops, closes the ports (linefeeds open, lines on
// hook), puts every chip in the safe state (held in reset) and releases
// the devices. Closing again is a no-op.
func (b *hardwareBoard) Close() error {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.cancel()
	var errs []error
	if b.pcmDev != nil {
		errs = append(errs, b.pcmDev.Close()) // unblocks the pump's read
	}
	b.wg.Wait()
	for _, p := range b.byName {
		errs = append(errs, p.Close())
	}
	for _, c := range b.chips {
		errs = append(errs, c.SafeState())
	}
	for _, s := range b.spis {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// defaultSleep is the chips' reset and calibration wait.
func defaultSleep(d time.Duration) { time.Sleep(d) }
