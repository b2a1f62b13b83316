package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"slices"
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
	configs []trunk.Config // as started, to tell what a reload changes
}

// startTrunks makes the trunks of cfg (runTrunks registers them); a
// reload applies a changed list (reloadTrunks).
func (a *App) startTrunks(cfg config.Config) error {
	t, err := a.newTrunkSet(cfg)
	if err != nil {
		return err
	}
	a.routes.trunks.Store(t)
	return nil
}

// newTrunkSet makes the trunks of cfg, unstarted, and lets their
// providers' calls in; nil for none. On an error nothing has changed.
func (a *App) newTrunkSet(cfg config.Config) (*trunkSet, error) {
	if len(cfg.Trunks) == 0 {
		return nil, nil
	}
	transport := strings.ToUpper(cfg.Trunks[0].Transport)
	for _, t := range cfg.Trunks[1:] {
		if !strings.EqualFold(t.Transport, cfg.Trunks[0].Transport) {
			return nil, fmt.Errorf("trunks: every trunk must use the same transport for now (%q and %q)", cfg.Trunks[0].Transport, t.Transport)
		}
	}
	if transport == "" {
		transport = "UDP"
	}
	cli, contact, ok := a.sip.TrunkClient(transport)
	if !ok {
		return nil, fmt.Errorf("trunks: no SIP %s listener to register from", transport)
	}
	var in *trunk.Inbound // set below, before any registration starts
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
		return nil, fmt.Errorf("trunks: %w", err)
	}
	in = a.startInbound(cfg.Trunks)
	return &trunkSet{set: set, sip: a.sip, inbound: in, configs: slices.Clone(cfg.Trunks)}, nil
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

// reloadTrunks applies a reloaded config's trunks, before the routes
// that use them are installed. When only inbound settings (DIDs,
// inbound_default) changed, the recogniser of the providers' calls is
// reconfigured and the registrations go on. Otherwise the trunks are
// replaced as Asterisk's reload does: the old ones unregister (Expires:
// 0, one after another, each bounded by trunkRequestTimeout, so a reload
// can take that long), then the new ones register; calls in progress
// through a trunk are not touched. A trunk list that cannot be used (a
// transport without a listener) keeps the running trunks.
func (a *App) reloadTrunks(cfg config.Config) {
	old := a.routes.trunks.Load()
	if old == nil && len(cfg.Trunks) == 0 {
		return
	}
	if old != nil && sameRegistrations(old.configs, cfg.Trunks) {
		ctx, cancel := context.WithTimeout(context.Background(), trunkRequestTimeout)
		defer cancel()
		if err := old.inbound.Reconfigure(ctx, cfg.Trunks); err != nil {
			a.log.Warn("reload: calls from some providers will not be recognised", "err", err)
		}
		old.configs = slices.Clone(cfg.Trunks)
		return
	}
	t, err := a.newTrunkSet(cfg)
	if err != nil {
		a.log.Error("reload: trunks not changed", "err", err)
		return
	}
	if old != nil {
		if err := old.set.Close(); err != nil {
			a.log.Warn("reload: old trunks not unregistered", "err", err)
		}
	}
	if t == nil {
		a.sip.SetTrunkMatcher(nil) // no provider's call is let in unchallenged now
	}
	a.routes.trunks.Store(t)
	a.runTrunks()
	a.log.Info("reload: trunks replaced", "trunks", len(cfg.Trunks))
}

// sameRegistrations reports whether two trunk lists differ at most in
// their inbound settings.
func sameRegistrations(a, b []trunk.Config) bool {
	return slices.EqualFunc(a, b, func(x, y trunk.Config) bool {
		x.Inbound, x.InboundDefault = nil, ""
		y.Inbound, y.InboundDefault = nil, ""
		return reflect.DeepEqual(x, y)
	})
}

func resolveHost(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// runTrunks starts registering, once the SIP listeners serve (the
// answers arrive there).
func (a *App) runTrunks() {
	t := a.routes.trunks.Load()
	if t == nil {
		return
	}
	// The first REGISTER leaves from the UDP listener: wait until it
	// serves, or it fails and waits out a backoff.
	ctx, cancel := context.WithTimeout(context.Background(), trunkRequestTimeout)
	defer cancel()
	if err := a.sip.UDPReady(ctx); err != nil {
		a.log.Warn("trunks: registering before the UDP listener serves", "err", err)
	}
	t.set.Start()
}

// stopTrunks unregisters every trunk (shutdown, before the SIP transports
// close).
func (a *App) stopTrunks() {
	t := a.routes.trunks.Load()
	if t == nil {
		return
	}
	if err := t.set.Close(); err != nil {
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
	t := a.routes.trunks.Load()
	if t == nil {
		return nil
	}
	var out []api.ExtensionInfo
	for _, s := range t.set.Statuses() {
		out = append(out, api.ExtensionInfo{Number: s.Trunk, Type: extensionTypeTrunk,
			Connected: s.State == trunk.StateRegistered || s.State == trunk.StateDisabled})
	}
	return out
}
