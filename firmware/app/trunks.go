package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/trunk"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// extensionTypeTrunk is the Type ListExtensions gives a SIP trunk; its
// Number is the trunk's name and Connected its registration.
const extensionTypeTrunk = "Trunk"

// trunkRequestTimeout bounds one REGISTER, so that the unregister at
// shutdown cannot hold the stop long.
const trunkRequestTimeout = 5 * time.Second

// trunkSet is the appliance's SIP trunks: registered upstream through the
// user agent's own client (so the provider's calls come back to our
// listener) and the core's TrunkOriginator for routes of kind trunk.
type trunkSet struct {
	set     *trunk.Set
	sip     *ua.Server
	inbound *trunk.Inbound // the providers' calls: recogniser and DID map
}

// startTrunks makes the trunks of cfg (runTrunks registers them); a
// reload changes their inbound settings (reloadInbound), the rest needs
// a restart.
func (a *App) startTrunks(cfg config.Config) error {
	if len(cfg.Trunks) == 0 {
		return nil
	}
	transport := strings.ToUpper(cfg.Trunks[0].Transport)
	for _, t := range cfg.Trunks[1:] {
		if !strings.EqualFold(t.Transport, cfg.Trunks[0].Transport) {
			return fmt.Errorf("trunks: every trunk must use the same transport for now (%q and %q)", cfg.Trunks[0].Transport, t.Transport)
		}
	}
	if transport == "" {
		transport = "UDP"
	}
	cli, contact, ok := a.sip.TrunkClient(transport)
	if !ok {
		return fmt.Errorf("trunks: no SIP %s listener to register from", transport)
	}
	in := a.startInbound(cfg.Trunks)
	set, err := trunk.NewSet(cfg.Trunks, trunk.Options{
		Client: cli, Contact: contact, Logger: a.log, RequestTimeout: trunkRequestTimeout,
		OnChange: func(s trunk.Status) {
			a.log.Info("trunk status", "trunk", s.Trunk, "state", string(s.State), "err", s.LastError)
		},
		// The registrar host is looked up again before every REGISTER,
		// so the provider's calls are recognised after it moves.
		BeforeRegister: func(ctx context.Context, name string) {
			if err := in.Resolve(ctx, name); err != nil {
				a.log.Warn("trunks: registrar not resolved, keeping its last addresses", "err", err)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("trunks: %w", err)
	}
	a.routes.trunks = &trunkSet{set: set, sip: a.sip, inbound: in}
	return nil
}

// startInbound lets the providers' calls in: their INVITEs are recognised
// by source (sip/trunk Inbound) and routed by DID by the core.
func (a *App) startInbound(trunks []trunk.Config) *trunk.Inbound {
	ctx, cancel := context.WithTimeout(context.Background(), trunkRequestTimeout)
	defer cancel()
	in, err := trunk.NewInbound(ctx, trunks, resolveHost)
	if err != nil {
		a.log.Warn("trunks: calls from some providers will not be recognised", "err", err)
	}
	a.sip.SetTrunkMatcher(in)
	a.core.SetInboundRoutes(in.Route)
	return in
}

// reloadInbound applies a reloaded config's trunk inbound settings (DIDs,
// inbound_default, registrar hosts) to the recogniser of the providers'
// calls; registration settings change after a restart.
func (a *App) reloadInbound(cfg config.Config) {
	if a.routes.trunks == nil {
		if len(cfg.Trunks) > 0 {
			a.log.Warn("reload: new trunks take effect after a restart")
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), trunkRequestTimeout)
	defer cancel()
	if err := a.routes.trunks.inbound.Reconfigure(ctx, cfg.Trunks); err != nil {
		a.log.Warn("reload: calls from some providers will not be recognised", "err", err)
	}
}

func resolveHost(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// runTrunks starts registering, once the SIP listeners serve (the
// answers arrive there).
func (a *App) runTrunks() {
	if a.routes.trunks == nil {
		return
	}
	// The first REGISTER leaves from the UDP listener: wait until it
	// serves, or it fails and waits out a backoff.
	ctx, cancel := context.WithTimeout(context.Background(), trunkRequestTimeout)
	defer cancel()
	if err := a.sip.UDPReady(ctx); err != nil {
		a.log.Warn("trunks: registering before the UDP listener serves", "err", err)
	}
	a.routes.trunks.set.Start()
}

// stopTrunks unregisters every trunk (shutdown, before the SIP transports
// close).
func (a *App) stopTrunks() {
	if a.routes.trunks == nil {
		return
	}
	if err := a.routes.trunks.set.Close(); err != nil {
		a.log.Warn("trunks not unregistered", "err", err)
	}
}

// OriginateTrunk implements pbx.TrunkOriginator: a trunk that should be
// registered and is not is down (the next route is tried).
func (t *trunkSet) OriginateTrunk(ctx context.Context, name, number string, from ua.Party, formats []sdp.Format) (pbx.CalleeLeg, error) {
	cfg, err := t.set.Config(name)
	if err != nil {
		return nil, err
	}
	if r, ok := t.set.Get(name); ok && cfg.Register && r.Status().State != trunk.StateRegistered {
		return nil, fmt.Errorf("trunk %s is %s: %w", name, r.Status().State, pbx.ErrTrunkDown)
	}
	host, port := splitRegistrar(cfg.Registrar)
	if port == 0 {
		port = 5060
		if strings.EqualFold(cfg.Transport, "tls") {
			port = 5061
		}
	}
	domain := cfg.Domain
	if domain == "" {
		domain = host
	}
	auth := cfg.AnswerOptions(nil)
	transport := strings.ToUpper(cfg.Transport)
	if transport == "" {
		transport = "UDP"
	}
	leg, err := t.sip.OriginateTrunk(ctx, ua.TrunkCall{
		Number: number, Domain: domain, Transport: transport, Destination: net.JoinHostPort(host, strconv.Itoa(port)),
		User: cfg.Username, Username: auth.Username, Password: auth.Password,
	}, from, formats)
	if err != nil {
		return nil, err
	}
	return leg, nil
}

// splitRegistrar reads a validated registrar: host or host:port.
func splitRegistrar(s string) (string, int) {
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, _ := strconv.Atoi(p)
		return h, n
	}
	return strings.Trim(s, "[]"), 0
}

// trunkInfos lists the trunks for ListExtensions.
func (a *App) trunkInfos() []api.ExtensionInfo {
	if a.routes.trunks == nil {
		return nil
	}
	var out []api.ExtensionInfo
	for _, s := range a.routes.trunks.set.Statuses() {
		out = append(out, api.ExtensionInfo{Number: s.Trunk, Type: extensionTypeTrunk,
			Connected: s.State == trunk.StateRegistered || s.State == trunk.StateDisabled})
	}
	return out
}
