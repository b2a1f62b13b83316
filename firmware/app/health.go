package app

import (
	"context"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/hal/gsm"
)

// modemHealth polls the GSM modem's signal and registration every
// interval for /health (api.Status.Modem). A poll that fails (the modem
// does not answer within gsm.command_timeout, or answers ERROR) marks it
// not responding, keeping the last values it gave.
type modemHealth struct {
	modem    *gsm.Modem
	interval time.Duration
	clock    pbx.Clock

	mu   sync.Mutex
	last api.ModemStatus
}

func newModemHealth(m *gsm.Modem, device string, interval time.Duration, clock pbx.Clock) *modemHealth {
	h := &modemHealth{modem: m, interval: interval, clock: clock}
	st := m.Status()
	h.last = api.ModemStatus{Device: device, RSSI: st.RSSI, Error: "not polled yet"}
	return h
}

// run polls at once, then every interval, until ctx ends.
func (h *modemHealth) run(ctx context.Context) error {
	for {
		h.poll(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.clock.After(h.interval):
		}
	}
}

// poll asks the modem once.
func (h *modemHealth) poll(ctx context.Context) {
	st, err := h.modem.Health(ctx)
	if ctx.Err() != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last.Responding = err == nil
	h.last.Error = ""
	if err != nil {
		h.last.Error = err.Error()
		return
	}
	h.last.Registered, h.last.Registration = st.Registration.Registered(), st.Registration.String()
	h.last.SignalDBm, h.last.RSSI, h.last.Operator, h.last.Checked = st.SignalDBm, st.RSSI, st.Operator, st.Checked
}

// status is the last poll's finding.
func (h *modemHealth) status() *api.ModemStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.last
	return &st
}
