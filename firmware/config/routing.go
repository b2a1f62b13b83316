package config

import (
	"fmt"
	"strings"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
)

// dialplan checks the dialplan and trunks sections: each part's own
// validation, with its errors put under the field's path, and the
// references between them (route targets, ring group members, names
// clashing with extensions).
func (k *checker) dialplan(c *Config) {
	k.nested("dialplan", c.Dialplan.Validate())
	trunks := map[string]int{}
	for i, t := range c.Trunks {
		path := indexPath("trunks", i)
		k.nested(path, t.Validate())
		if j, dup := trunks[t.Name]; dup && t.Name != "" {
			k.addf(path+".name", "%q is also trunks[%d]", t.Name, j)
		}
		trunks[t.Name] = i
	}
	exts := map[string]bool{}
	for _, e := range c.Extensions {
		exts[e.Number] = true
	}
	k.trunkInbound(c, exts)
	for i, g := range c.Dialplan.RingGroups {
		path := indexPath("dialplan.ring_groups", i)
		if exts[g.Number] {
			k.addf(path+".number", "%s is also an extension", g.Number)
		}
		for j, m := range g.Members {
			if !exts[m] {
				k.addf(fmt.Sprintf("%s.members[%d]", path, j), "%s is not an extension", m)
			}
		}
	}
	for i, r := range c.Dialplan.Routes {
		if r.Target.Kind == dialplan.TargetTrunk {
			if _, ok := trunks[r.Target.Name]; !ok {
				k.addf(indexPath("dialplan.routes", i)+".target.name", "no trunk named %q", r.Target.Name)
			}
		}
	}
	for i, f := range c.Dialplan.Forwards {
		if !exts[f.Extension] {
			k.addf(indexPath("dialplan.forwards", i)+".extension", "%s is not an extension", f.Extension)
		}
	}
}

// trunkInbound checks that the trunks' DIDs ring local numbers:
// extensions or ring groups.
func (k *checker) trunkInbound(c *Config, exts map[string]bool) {
	local := func(n string) bool {
		if exts[n] {
			return true
		}
		for _, g := range c.Dialplan.RingGroups {
			if g.Number == n {
				return true
			}
		}
		return false
	}
	for i, t := range c.Trunks {
		path := indexPath("trunks", i)
		for j, d := range t.Inbound {
			if d.To != "" && !local(d.To) {
				k.addf(fmt.Sprintf("%s.inbound[%d].to", path, j), "%s is not an extension or ring group", d.To)
			}
		}
		if t.InboundDefault != "" && !local(t.InboundDefault) {
			k.addf(path+".inbound_default", "%s is not an extension or ring group", t.InboundDefault)
		}
	}
}

// nested adds each of err's joined errors, which read "field.path:
// problem" relative to path.
func (k *checker) nested(path string, err error) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			k.nested(path, e)
		}
		return
	}
	field, problem, ok := strings.Cut(err.Error(), ": ")
	if !ok || strings.ContainsAny(field, " \t") {
		k.addf(path, "%s", err.Error())
		return
	}
	k.addf(path+"."+field, "%s", problem)
}
