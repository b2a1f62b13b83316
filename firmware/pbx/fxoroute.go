package pbx

import (
	"context"
	"fmt"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// FXOOriginator makes outgoing PSTN legs through the board's FXO lines.
// lines is the route's target name: one port, a comma-separated list, or
// "any" (every FXO line of the board); the first idle one is seized and
// number is dialled on it. An error means no line could take the call
// (all busy, unknown port, bad number).
type FXOOriginator interface {
	OriginateFXO(ctx context.Context, lines, number string, from ua.Party, formats []sdp.Format) (CalleeLeg, error)
}

// fxoKey stores the FXOOriginator in Core.kinds.
type fxoKey struct{}

// SetFXOOriginator connects dial plan routes of kind fxo to the board's
// lines; without one such routes fail with 503.
func (c *Core) SetFXOOriginator(o FXOOriginator) { c.kinds.Store(fxoKey{}, o) }

// routeFXO carries out a route of kind fxo: 503 when no line can take
// the call (every line busy included: the caller may try again later).
func (c *Core) routeFXO(d dialplan.Decision, from ua.Party, formats []sdp.Format) (CalleeLeg, *ConnectError) {
	o, _ := c.kinds.Load(fxoKey{})
	orig, ok := o.(FXOOriginator)
	if !ok {
		return nil, unavailable(d.Number, 503, "Service Unavailable", "no FXO lines connected")
	}
	leg, err := orig.OriginateFXO(context.Background(), d.Target.Name, d.Number, from, formats)
	if err != nil {
		return nil, unavailable(d.Number, 503, "Service Unavailable", fmt.Sprintf("fxo %s: %v", d.Target.Name, err))
	}
	return leg, nil
}
