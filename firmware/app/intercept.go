package app

import (
	"context"
	"log/slog"
	"net/url"

	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/api/ozml/fetch"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
)

// RoutingInterception: the core's pbx.Routing.Intercept hook as an HTTP
// POST to api.routing_interception_url, answered with OzML <Route>.

// routingInterception is the hook for cfg, nil when no URL is set.
func routingInterception(cfg config.API, log *slog.Logger) pbx.InterceptFunc {
	target := cfg.RoutingInterceptionURL
	if target == "" {
		return nil
	}
	client := &fetch.Client{Timeout: cfg.RoutingInterceptionTimeout}
	return func(ctx context.Context, req pbx.InterceptRequest) (pbx.InterceptRoute, bool) {
		log := log.With("call", req.CallID, "state", req.LastCallState)
		body, err := client.Post(ctx, target, interceptForm(req))
		if err != nil {
			log.Warn("routing interception: no answer; normal routing", "err", err)
			return pbx.InterceptRoute{}, false
		}
		rt, ok, err := ozml.RouteDecision(body, ozmlLimits(cfg.OzML))
		switch {
		case err != nil:
			log.Warn("routing interception: reply is not OzML; normal routing", "err", err)
			return pbx.InterceptRoute{}, false
		case !ok:
			log.Info("routing interception: no Route; normal routing")
			return pbx.InterceptRoute{}, false
		}
		return pbx.InterceptRoute{Destination: rt.Destination, RingTime: rt.RingTime, CallerID: rt.CallerID, DialedNumber: rt.DialedNumber}, true
	}
}

// interceptForm is the RoutingInterception notification: the reference's
// fields, with CallId and the caller's display name beside them.
func interceptForm(req pbx.InterceptRequest) url.Values {
	return url.Values{
		"NotificationName":     {"RoutingInterception"},
		"CallId":               {req.CallID},
		"CallerID":             {req.CallerID},
		"CallerDisplayName":    {req.CallerName},
		"CallerExtension":      {req.CallerExtension},
		"OriginalDialedNumber": {req.OriginalDialedNumber},
		"LastDialedNumber":     {req.LastDialedNumber},
		"LastCalledExtension":  {req.LastCalledExtension},
		"LastCallState":        {req.LastCallState},
	}
}
