package ozml

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// setVar runs <Var id="x">value</Var>; the value is substituted when set.
func (r *run) setVar(n *Node) error {
	id := strings.TrimSpace(r.str(n, "id"))
	if id == "" {
		return r.skip(n, "no id")
	}
	v := r.str(n, "value")
	if r.err != nil {
		return r.err
	}
	return r.vars.set(id, v)
}

// setArray runs <Array id="a"><item>x</item>...</Array>.
func (r *run) setArray(n *Node) error {
	id := strings.TrimSpace(r.str(n, "id"))
	if id == "" {
		return r.skip(n, "no id")
	}
	items := make([]string, 0, len(n.Children))
	for _, c := range n.Children {
		items = append(items, r.str(c, "value"))
		if r.err != nil {
			return r.err
		}
	}
	return r.vars.setArray(id, items)
}

// forEach runs its body once per item of the array named by source, with
// $item set to the item; $item is restored afterwards (nested loops).
func (r *run) forEach(ctx context.Context, n *Node) error {
	src := strings.TrimSpace(r.str(n, "source"))
	items, ok := r.vars.array(src)
	if !ok {
		return r.skip(n, "no array %q", src)
	}
	old, had := r.vars.get("item")
	defer func() {
		if had {
			_ = r.vars.set("item", old) // it fitted before
		} else {
			r.vars.unset("item")
		}
	}()
	for _, it := range items {
		if err := r.iterate(); err != nil {
			return err
		}
		if err := r.vars.set("item", it); err != nil {
			return err
		}
		if err := r.block(ctx, n.Children); err != nil {
			return err
		}
	}
	return nil
}

// goTo continues with the document at a URL or script path (GoTo
// notification). Decision: a target that cannot be fetched or parsed
// ends the script (logged, call hung up), as Ozeki does for an
// unreachable Call Url; an empty reply is an empty script, which ends it
// too.
func (r *run) goTo(ctx context.Context, n *Node) error {
	target := strings.TrimSpace(r.str(n, "url"))
	if target == "" {
		return r.skip(n, "no URL")
	}
	doc, err := r.load(ctx, target, "GoTo", nil)
	switch {
	case err == nil:
		return &gotoSignal{doc: doc}
	case errors.Is(err, ErrEmpty):
		return &endSignal{outcome: HungUp, reason: "GoTo: empty document", hangup: true}
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return fmt.Errorf("GoTo line %d: %w", n.Line, err)
}
