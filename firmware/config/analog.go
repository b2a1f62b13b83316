package config

import (
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
)

// Analog holds the settings of the board's analog ports.
type Analog struct {
	// RecallTimeout is how long a phone that hung up with a call on hold
	// (or waiting) is rung back; then the held call is released.
	RecallTimeout time.Duration `yaml:"recall_timeout"`
	// FXOInbound says where calls ringing in on an FXO line go; lines not
	// listed ring the first extension (the operator).
	FXOInbound []FXOInbound `yaml:"fxo_inbound"`
}

// FXOInbound routes the calls ringing in on one FXO line.
type FXOInbound struct {
	Port string `yaml:"port"` // an FXO port of the board, like fxo0
	To   string `yaml:"to"`   // an extension (any kind) or ring group
}

// Bounds of Analog.RecallTimeout.
const (
	minRecallTimeout = time.Second
	maxRecallTimeout = 10 * time.Minute
)

// InboundFor is the number a call ringing in on the FXO port goes to, ""
// when the config does not say.
func (a Analog) InboundFor(port string) string {
	for _, in := range a.FXOInbound {
		if in.Port == port {
			return in.To
		}
	}
	return ""
}

// analog checks the analog section against the extensions and ring
// groups; the ports themselves are the board's (ValidateFXOPorts).
func (k *checker) analog(c *Config) {
	a := c.Analog
	if a.RecallTimeout < minRecallTimeout || a.RecallTimeout > maxRecallTimeout {
		k.addf("analog.recall_timeout", "must be between %v and %v, got %v", minRecallTimeout, maxRecallTimeout, a.RecallTimeout)
	}
	local := map[string]bool{}
	for _, e := range c.Extensions {
		local[e.Number] = true
	}
	for _, g := range c.Dialplan.RingGroups {
		local[g.Number] = true
	}
	seen := map[string]int{}
	for i, in := range a.FXOInbound {
		path := indexPath("analog.fxo_inbound", i)
		if in.Port == "" {
			k.addf(path+".port", "missing: an FXO port of the board, like fxo0")
		} else if j, dup := seen[in.Port]; dup {
			k.addf(path+".port", "%q is also analog.fxo_inbound[%d]", in.Port, j)
		} else {
			seen[in.Port] = i
		}
		if !local[in.To] {
			k.addf(path+".to", "%q is not an extension or ring group", in.To)
		}
	}
}

// ValidateFXOPorts reports FXO port names of the config that are not FXO
// ports according to isFXO (the board's lookup): the targets of fxo
// routes (a port, a comma-separated list, or any) and the lines of
// analog.fxo_inbound. Errors name the route or entry, and the file and
// line when c came from Parse.
func (c *Config) ValidateFXOPorts(isFXO func(name string) bool) error {
	k := &checker{src: c.source}
	for i, r := range c.Dialplan.Routes {
		if r.Target.Kind != dialplan.TargetFXO || strings.TrimSpace(r.Target.Name) == "any" {
			continue
		}
		for name := range strings.SplitSeq(r.Target.Name, ",") {
			if name = strings.TrimSpace(name); !isFXO(name) {
				k.addf(indexPath("dialplan.routes", i)+".target.name", "route %q: no FXO port %q on board %q", r.Name, name, c.Board)
			}
		}
	}
	for i, in := range c.Analog.FXOInbound {
		if in.Port != "" && !isFXO(in.Port) {
			k.addf(indexPath("analog.fxo_inbound", i)+".port", "no FXO port %q on board %q", in.Port, c.Board)
		}
	}
	return joinErrors(k.errs)
}
