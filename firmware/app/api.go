package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/firmware/pbx"
)

// The api package declares what it needs (api.Calls, api.CallHistory,
// api.Extensions, api.User); these adapters give it the core, the
// history store, the extension table with the registrar, and the config.

// newAPIHandler builds the HTTP API over the running appliance.
func (a *App) newAPIHandler(cfg config.Config) *api.Handler {
	o := api.Options{
		Logger:            a.log,
		Status:            a,
		Calls:             apiCallsMedia{apiCalls{a.core}, a},
		History:           apiHistory{a.hist},
		Extensions:        apiExtensions{a},
		Users:             apiUsers(cfg),
		CheckPassword:     config.CheckPassword,
		AuthFailureLimit:  cfg.SIP.AuthFailureLimit,
		AuthFailureWindow: cfg.SIP.AuthFailureWindow,
		Now:               a.opts.Clock.Now,
	}
	a.apiServices(&o)
	return api.New(o)
}

// apiCalls adapts the call core.
type apiCalls struct{ core *pbx.Core }

func (c apiCalls) ActiveCalls() []api.CallInfo {
	snaps := c.core.Calls()
	out := make([]api.CallInfo, len(snaps))
	for i, s := range snaps {
		out[i] = api.CallInfo{
			ID: s.ID, Caller: s.Caller, CallerName: s.CallerName, Callee: s.Callee, Dialed: s.Dialed,
			State: string(s.State), Start: s.Start, Answer: s.Answer,
		}
	}
	return out
}

func (c apiCalls) Hangup(callID string) bool { return c.core.Hangup(callID) }

// apiParties maps the API's party names to the core's.
var apiParties = map[api.Party]pbx.Party{api.PartyCaller: pbx.PartyCaller, api.PartyCallee: pbx.PartyCallee, api.PartyAll: pbx.PartyBoth}

func (c apiCalls) BlindTransfer(ctx context.Context, t api.TransferRequest) error {
	err := c.core.BlindTransfer(ctx, pbx.Transfer{CallID: t.CallID, Transferor: apiParties[t.Transferor], Target: t.Target, FinishedURL: t.FinishedURL})
	return apiError(err)
}

func (c apiCalls) Hold(ctx context.Context, callID string, p api.Party) error {
	return apiError(c.core.Hold(ctx, callID, apiParties[p]))
}

func (c apiCalls) Unhold(ctx context.Context, callID string, p api.Party) error {
	return apiError(c.core.Unhold(ctx, callID, apiParties[p]))
}

func (c apiCalls) Forward(ctx context.Context, callID, destination string) error {
	return apiError(c.core.Forward(ctx, callID, destination))
}

func (c apiCalls) AttendedTransfer(ctx context.Context, t api.AttendedRequest) error {
	err := c.core.AttendedTransfer(ctx, pbx.Attended{TransferredCallID: t.TransferredCallID, TargetCallID: t.TargetCallID, Transferor: apiParties[t.Transferor]})
	var nc *pbx.NoCallError
	if errors.As(err, &nc) {
		return &api.CallNotFoundError{ID: nc.ID}
	}
	return apiError(err)
}

func (c apiCalls) SendDTMF(ctx context.Context, callID, keys string, p api.Party) error {
	return apiError(c.core.SendDTMF(ctx, callID, keys, apiParties[p]))
}

// callEnded is the core's OnEnd: a call transferred by the API with a
// FinishedUrl gets its CallFinished notification, signed for the API
// user of the transfer (signers.go).
func (a *App) callEnded(r history.Record, finishedURL string) {
	if finishedURL == "" || a.notify == nil {
		return
	}
	var talk time.Duration
	if !r.Answer.IsZero() {
		talk = r.End.Sub(r.Answer)
	}
	n := notify.Notification{
		Name: notify.CallFinished, URL: finishedURL,
		CallID: r.CallID, Caller: r.Caller, CallerID: r.Caller, CallerDisplayName: r.CallerName,
		Callee: r.Callee, Dialed: r.Dialed, CallState: r.State, Duration: talk,
	}
	a.signFor(&n, a.signers.transfers.user(r.CallID, false))
	err := a.notify.Send(n)
	if err != nil {
		a.log.Warn("FinishedUrl not notified", "call", r.CallID, "err", err)
	}
}

// apiError maps the core's call-control errors to the api's.
func apiError(err error) error {
	var ce *pbx.ConnectError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return &api.ConnectError{Target: ce.Target, State: ce.State}
	case errors.Is(err, pbx.ErrNoCall), errors.Is(err, pbx.ErrCallEnded):
		return fmt.Errorf("%w: %w", api.ErrCallNotFound, err)
	case errors.Is(err, pbx.ErrNotAnswered), errors.Is(err, pbx.ErrAnswered), errors.Is(err, pbx.ErrTransferring), errors.Is(err, pbx.ErrBadParty), errors.Is(err, pbx.ErrBadKeys):
		return fmt.Errorf("%w: %w", api.ErrCallState, err)
	case errors.Is(err, pbx.ErrPending):
		return fmt.Errorf("%w: %w", api.ErrInProgress, err)
	}
	return err
}

// apiHistory adapts the call-history store.
type apiHistory struct{ store *history.Store }

// historyDirections maps the store's directions to the API's words.
var historyDirections = map[string]string{
	"internal": api.DirectionInternal,
	"inbound":  api.DirectionInbound,
	"outbound": api.DirectionOutbound,
}

func (h apiHistory) RecentCalls() []api.CallRecord {
	recs := h.store.Recent(0)
	out := make([]api.CallRecord, len(recs))
	for i, r := range recs {
		dir, ok := historyDirections[r.Direction]
		if !ok {
			dir = r.Direction
		}
		out[i] = api.CallRecord{
			ID: r.CallID, Direction: dir, Caller: r.Caller, CallerName: r.CallerName, Callee: r.Callee,
			Dialed: r.Dialed, State: r.State, Start: r.Start, End: r.End,
		}
	}
	return out
}

// apiExtensions lists the running config's extensions with live state: a
// SIP extension is Connected while it has a registration, an analog one
// while the board has its port, an API extension always (it is served by
// the appliance itself).
type apiExtensions struct{ a *App }

func (e apiExtensions) Extensions() []api.ExtensionInfo {
	exts := e.a.Config().Extensions
	out := make([]api.ExtensionInfo, 0, len(exts))
	for _, x := range exts {
		info := api.ExtensionInfo{Number: x.Number}
		switch x.Kind {
		case config.KindSIP:
			info.Type = api.ExtensionTypePhone
			info.Connected = e.a.sip != nil && len(e.a.sip.Registrar().Lookup(x.Number)) > 0
		case config.KindAnalog:
			info.Type = api.ExtensionTypePhone
			if e.a.board != nil {
				_, info.Connected = e.a.board.Port(x.Port)
			}
		case config.KindAPI:
			info.Type = api.ExtensionTypeAPI
			if x.Script != "" {
				info.Type = api.ExtensionTypeIVR
			}
			info.Connected = true
		default:
			continue
		}
		out = append(out, info)
	}
	return append(out, e.a.trunkInfos()...) // trunks.go
}

// apiUsers turns the config's API accounts into the api's. The config has
// validated the networks, so a prefix that does not parse cannot occur;
// were it to, the user would be left with no network and refused (307)
// rather than allowed from anywhere.
func apiUsers(cfg config.Config) []api.User {
	users := make([]api.User, 0, len(cfg.API.Users))
	for _, u := range cfg.API.Users {
		au := api.User{Name: u.Username, PasswordHash: u.PasswordHash, AllowedCommands: u.AllowedCommands, NotifySecret: u.NotifySecret}
		for _, n := range u.AllowedNetworks {
			p, err := netip.ParsePrefix(n)
			if err != nil {
				p = netip.Prefix{}
			}
			au.AllowedNetworks = append(au.AllowedNetworks, p)
		}
		users = append(users, au)
	}
	return users
}
