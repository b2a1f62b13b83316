package app

import (
	"context"
	"time"

	"github.com/gatepbx/gatepbx/firmware/analog"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// startAnalog makes the board's ports legs of the call core: analog
// extensions are rung through the adapter and analog phones and PSTN
// lines call in through it. Its goroutines end when the board closes.
// Without a board (none configured, or it failed) it does nothing.
func (a *App) startAnalog(ctx context.Context, cfg config.Config, ports *relay.PortPool) {
	if a.board == nil {
		return
	}
	if err := cfg.ValidateFXOPorts(isFXOPort(a.board)); err != nil {
		a.log.Warn("FXO lines named in the config are not on the board; those routes fail with 503", "board", cfg.Board, "err", err)
	}
	ad, err := analog.New(analog.Options{
		Board: a.board, Ports: ports, Region: analogRegion(cfg, a.board),
		Extensions: func() []config.Extension { return a.Config().Extensions },
		Incoming:   func(l *analog.Leg) { a.core.Incoming(l) },
		Operator:   func(port string) string { return fxoInbound(a.Config(), port, a.board) },
		Codecs:     codecs(cfg), Logger: a.log,
		PulseDial:     pulseDial(a.board),
		RecallTimeout: func() time.Duration { return a.Config().Analog.RecallTimeout },
	})
	if err != nil {
		a.log.Error("analog ports disabled", "err", err)
		return
	}
	a.core.SetKindOriginator(config.KindAnalog, analogOriginator{ad})
	a.core.SetFXOOriginator(analogOriginator{ad})
	ad.Start(ctx)
}

// pulseDial is the board's per-port dial mode for calls out through FXO
// lines (boards.Port.Dial); nil (DTMF) when the board does not say.
func pulseDial(b hal.Board) func(string) bool {
	if pb, ok := b.(interface{ PulseDial(port string) bool }); ok {
		return pb.PulseDial
	}
	return nil
}

// analogRegion is the config's region when the line engine knows it,
// else the board's own (a sim board says which), else the US.
func analogRegion(cfg config.Config, b hal.Board) region.Region {
	if r, err := region.Lookup(cfg.Region); err == nil {
		return r
	}
	if rb, ok := b.(interface{ Region() region.Region }); ok {
		return rb.Region()
	}
	r, _ := region.Lookup("us")
	return r
}

// isFXOPort reports whether the board has an FXO port of that name.
func isFXOPort(b hal.Board) func(string) bool {
	return func(name string) bool {
		p, ok := b.Port(name)
		return ok && p.Kind() == hal.KindFXO
	}
}

// fxoInbound is where a PSTN call ringing in on the FXO port goes: the
// config's analog.fxo_inbound entry for it (an extension of any kind or a
// ring group), else the operator.
func fxoInbound(cfg config.Config, port string, b hal.Board) string {
	if to := cfg.Analog.InboundFor(port); to != "" {
		return to
	}
	return operator(cfg.Extensions, b)
}

// operator is where PSTN calls ringing in on an FXO line go by default:
// the first extension of the config that is not itself an FXO line.
func operator(exts []config.Extension, b hal.Board) string {
	for _, e := range exts {
		if e.Kind == config.KindAnalog {
			if p, ok := b.Port(e.Port); ok && p.Kind() == hal.KindFXO {
				continue
			}
		}
		return e.Number
	}
	return ""
}

// analogOriginator adapts the adapter to pbx.Originator.
type analogOriginator struct{ ad *analog.Adapter }

func (o analogOriginator) Originate(ctx context.Context, number string, from ua.Party, formats []sdp.Format) (pbx.CalleeLeg, error) {
	leg, err := o.ad.Originate(ctx, number, from, formats)
	if err != nil {
		return nil, err
	}
	return leg, nil
}

// OriginateFXO makes the adapter the core's FXOOriginator: routes of kind
// fxo seize a line and dial.
func (o analogOriginator) OriginateFXO(ctx context.Context, lines, number string, from ua.Party, formats []sdp.Format) (pbx.CalleeLeg, error) {
	leg, err := o.ad.OriginateFXO(ctx, lines, number, from, formats)
	if err != nil {
		return nil, err
	}
	return leg, nil
}
