package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/hal/gsm"
	"github.com/gatepbx/gatepbx/hal/gsm/gsmsim"
	"github.com/gatepbx/gatepbx/hal/gsm/serial"
)

// AttachedModem is the modem OpenModem attached to a router.
type AttachedModem struct {
	*gsm.Modem
	// Sim is the simulated modem when the config says "sim" (nil for a
	// real one): tests and `make run` can make it receive SMS.
	Sim *gsmsim.Sim
	r   *Router

	closeOnce sync.Once
	closeErr  error
}

// OpenModem opens the modem of the config's gsm section (the simulated
// one for "sim", else the serial device at its speed), with the router's
// ModemMessage and ModemReport as its handlers, and attaches it. An
// empty Device is an error: there is no modem to open.
func (r *Router) OpenModem(ctx context.Context, g config.GSM, log *slog.Logger) (*AttachedModem, error) {
	if log == nil {
		log = slog.Default()
	}
	a := &AttachedModem{r: r}
	path := g.Device
	switch g.Device {
	case "":
		return nil, errors.New("messaging: no GSM modem configured")
	case config.GSMSimulated:
		sim, err := gsmsim.Start(gsmsim.Options{Reports: true})
		if err != nil {
			return nil, err
		}
		a.Sim, path = sim, sim.Path()
	}
	port, err := serial.Open(path, g.Baud)
	if err == nil {
		a.Modem, err = gsm.Open(ctx, port, gsm.Options{
			SMSC: g.SMSC, CommandTimeout: g.CommandTimeout, MaxParts: r.opts.MaxParts, OnMessage: r.ModemMessage, OnReport: r.ModemReport,
			Logger: log.With("component", "gsm"),
		})
	}
	if err != nil {
		if a.Sim != nil {
			a.Sim.Close()
		}
		return nil, fmt.Errorf("messaging: GSM modem %s: %w", g.Device, err)
	}
	r.SetModem(a.Modem)
	return a, nil
}

// Close detaches the modem from the router and closes it (once).
func (a *AttachedModem) Close() error {
	a.closeOnce.Do(func() {
		a.r.SetModem(nil)
		a.closeErr = a.Modem.Close()
		if a.Sim != nil {
			if err := a.Sim.Close(); a.closeErr == nil {
				a.closeErr = err
			}
		}
	})
	return a.closeErr
}
