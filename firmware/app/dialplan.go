package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/media/relay"
)

// forwardsFile holds the forwarding table once a feature code changed it;
// it then replaces the config's dialplan.forwards (until deleted).
const forwardsFile = "forwards.json"

// routingState is the dial plan the core follows: the live forwarding
// table survives reloads, the rest is rebuilt from the config.
type routingState struct {
	forwards *dialplan.Forwards
	ports    *relay.PortPool
	trunks   atomic.Pointer[trunkSet] // nil without trunks (trunks.go); a reload swaps it
}

// startDialplan gives the core its dial plan: the forwarding table from
// data_dir/forwards.json when a feature code saved one, else from the
// config.
func (a *App) startDialplan(cfg config.Config, ports *relay.PortPool) error {
	rules, err := loadForwards(cfg.DataDir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		rules = cfg.Dialplan.Forwards
	case err != nil:
		return err
	}
	fw, err := dialplan.NewForwards(rules)
	if err != nil {
		return fmt.Errorf("forwarding rules: %w", err)
	}
	a.routes.forwards, a.routes.ports = fw, ports
	return a.setRouting(cfg)
}

// setRouting installs cfg's routes, ring groups and feature codes with
// the live forwarding table (start and reload).
func (a *App) setRouting(cfg config.Config) error {
	plan, err := dialplan.NewPlan(cfg.Dialplan.Routes)
	if err != nil {
		return fmt.Errorf("dialplan: %w", err)
	}
	rt := &pbx.Routing{
		Plan: plan, Forwards: a.routes.forwards, Features: cfg.Dialplan.FeatureCodes, RingGroups: cfg.Dialplan.RingGroups,
		Endpoint: a.routes.ports.Allocate,
		ForwardsChanged: func(rules []dialplan.Forward) {
			if err := saveForwards(cfg.DataDir, rules); err != nil {
				a.log.Error("forwarding rules not saved", "err", err)
			}
		},
	}
	if t := a.routes.trunks.Load(); t != nil {
		rt.Trunks = t
	}
	rt.Intercept = routingInterception(cfg.API, a.log) // intercept.go
	a.core.SetRouting(rt)
	return nil
}

func loadForwards(dataDir string) ([]dialplan.Forward, error) {
	data, err := os.ReadFile(filepath.Join(dataDir, forwardsFile))
	if err != nil {
		return nil, fmt.Errorf("forwarding rules: %w", err)
	}
	var rules []dialplan.Forward
	if err := json.Unmarshal(data, &rules); err != nil {
		return nil, fmt.Errorf("forwarding rules in %s: %w", forwardsFile, err)
	}
	return rules, nil
}

func saveForwards(dataDir string, rules []dialplan.Forward) error {
	if rules == nil {
		rules = []dialplan.Forward{}
	}
	data, err := json.MarshalIndent(rules, "", "  ")
	if err != nil {
		return fmt.Errorf("forwarding rules: %w", err)
	}
	return config.WriteFileAtomic(filepath.Join(dataDir, forwardsFile), append(data, '\n'), 0o600)
}
