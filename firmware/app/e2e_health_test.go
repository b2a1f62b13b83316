package app

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/firmware/config"
)

// health reads /health as a monitoring tool would.
func health(t *testing.T, a *App) (h struct {
	OK bool `json:"ok"`
	api.Status
}) {
	t.Helper()
	res := httpGet(t, "http://"+a.APIAddr()+"/health")
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil || res.StatusCode != 200 {
		t.Fatalf("/health: %d %v", res.StatusCode, err)
	}
	return h
}

// modemShows waits until /health's modem satisfies cond.
func modemShows(t *testing.T, a *App, what string, cond func(m api.ModemStatus) bool) api.ModemStatus {
	t.Helper()
	var last api.ModemStatus
	waitFor(t, "/health to show the modem "+what, func() bool {
		h := health(t, a)
		if h.Modem == nil {
			return false
		}
		last = *h.Modem
		return cond(last)
	})
	return last
}

// TestHealthShowsModem: with the simulated modem, /health shows its
// signal and registration; when it stops answering, the next poll (every
// gsm.health_interval, here shortened) shows it not responding with the
// reason; answering again, it is back; losing the network shows too.
// Without a modem /health has no modem.
func TestHealthShowsModem(t *testing.T) {
	t.Parallel()
	cfg := apiTestConfig(t)
	cfg.GSM = config.GSM{Device: config.GSMSimulated, Baud: 115200, HealthInterval: 200 * time.Millisecond, CommandTimeout: 500 * time.Millisecond}
	a := startTestApp(t, cfg)

	m := modemShows(t, a, "registered", func(m api.ModemStatus) bool { return m.Responding && m.Registered })
	if m.Device != config.GSMSimulated || m.Registration != "home" || m.RSSI != 20 || m.SignalDBm != -73 || m.Operator == "" || m.Checked.IsZero() || m.Error != "" {
		t.Fatalf("modem %+v", m)
	}
	sim := a.svc.attachedModem().Sim
	sim.SetSilent(true)
	m = modemShows(t, a, "not responding", func(m api.ModemStatus) bool { return !m.Responding })
	if m.Error == "" || m.SignalDBm != -73 {
		t.Fatalf("silent modem %+v: want the reason and the last values", m)
	}
	sim.SetSilent(false)
	modemShows(t, a, "responding again", func(m api.ModemStatus) bool { return m.Responding && m.Error == "" })
	sim.SetRegistration(2)
	sim.SetSignal(5)
	m = modemShows(t, a, "searching", func(m api.ModemStatus) bool { return m.Registration == "searching" })
	if m.Registered || m.SignalDBm != -103 || !m.Responding {
		t.Fatalf("modem off the network %+v", m)
	}

	if h := health(t, startTestApp(t, apiTestConfig(t))); !h.OK || h.Modem != nil {
		t.Fatalf("/health without a modem: %+v", h)
	}
}
