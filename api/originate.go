package api

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
)

// Calls the appliance places: Call (an API extension calls a number and
// runs OzML on the answer), CallSetup (click to dial) and Request (an
// API extension calls a number and runs state-keyed OzML blocks). Each
// returns once dialling has started; what happens later reaches the
// application by notifications (CallConnected, CallError, CallFinished).

// Originator is what Call, CallSetup and Request need of the appliance.
// The Calls implementation provides it; without it the commands answer
// 401 (no API extension can place calls).
type Originator interface {
	// Call starts c and returns the new call's ID. Errors:
	// ErrNoAPIExtension, ErrBadOzML, a *ConnectError.
	Call(ctx context.Context, c CallRequest) (callID string, err error)
	// CallSetup rings s.Caller; once answered, connects it to s.Callee.
	// Errors: a *ConnectError when Caller cannot be rung at all.
	CallSetup(ctx context.Context, s CallSetupRequest) error
	// Request places r and runs its blocks. Errors as Call's.
	Request(ctx context.Context, r RequestRequest) error
}

// Errors an Originator returns.
var (
	// ErrNoAPIExtension: the API extension is unknown or not of kind
	// api (401).
	ErrNoAPIExtension = errors.New("api: API extension unavailable")
	// ErrBadOzML: the inline OzML does not parse (302 naming it).
	ErrBadOzML = errors.New("api: invalid OzML")
)

// CallRequest is a Call command's parameters.
type CallRequest struct {
	Dialed            string
	APIExtension      string
	CallerID          string // "" : the API extension's number
	CallerDisplayName string // "" : its display name
	URL               string // CallConnected goes there on answer
	ResponseOzML      string // inline script run on answer instead of URL
	ErrorURL          string // CallError when the call cannot be connected
	FinishedURL       string // CallFinished when the answered call ends
	RingTime          time.Duration
}

// CallSetupRequest is a CallSetup command's parameters.
type CallSetupRequest struct {
	Caller, Callee string
	ErrorURL       string
	RingTime       time.Duration
}

// RequestRequest is a Request command's parameters.
type RequestRequest struct {
	DialedAddress     string
	ExtensionAddress  string
	CallerPhoneNumber string
	CallerDisplayName string
	RingTime          time.Duration
	RequestOzML       string // the On* blocks (or a <Request> element holding them)
}

// Bounds of originate parameters.
const (
	maxNumberParam = 128
	maxInlineOzML  = 64 << 10
	originateWait  = 10 * time.Second
)

// originator returns the appliance's Originator, nil when it has none.
func (h *Handler) originator() Originator {
	o, _ := h.opts.Calls.(Originator)
	return o
}

// number reads a mandatory number-like parameter.
func number(req *request, name string) (string, bool) {
	v := strings.TrimSpace(req.params.value(name))
	return v, v != "" && len(v) <= maxNumberParam && !strings.ContainsAny(v, " \t\r\n<>\"")
}

// optionalNumber reads an optional number-like parameter.
func optionalNumber(req *request, name string) (string, bool) {
	if strings.TrimSpace(req.params.value(name)) == "" {
		return "", true
	}
	return number(req, name)
}

// httpURL reads an optional http(s) URL parameter.
func httpURL(req *request, name string) (string, bool) {
	v := strings.TrimSpace(req.params.value(name))
	if v == "" {
		return "", true
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return v, true
}

// call: Dialed, ApiExtension, CallerId, CallerDisplayName, Url,
// ResponseOzML, ErrorUrl, FinishedUrl, RingTime → 200 with <CallId> once
// dialling has started; 401 unknown API extension; 402 when the call
// cannot be started; 302.
func (h *Handler) call(req *request) reply {
	c := CallRequest{CallerDisplayName: req.params.value("CallerDisplayName"), ResponseOzML: req.params.value("ResponseOzML")}
	var ok bool
	if c.Dialed, ok = number(req, "Dialed"); !ok {
		if c.Dialed, ok = number(req, "Dialled"); !ok {
			return req.invalid("Dialed")
		}
	}
	if c.APIExtension, ok = number(req, "ApiExtension"); !ok {
		return req.invalid("ApiExtension")
	}
	if c.CallerID, ok = optionalNumber(req, "CallerId"); !ok {
		return req.invalid("CallerId")
	}
	if len(c.CallerDisplayName) > maxNumberParam {
		return req.invalid("CallerDisplayName")
	}
	if len(c.ResponseOzML) > maxInlineOzML {
		return req.invalid("ResponseOzML")
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"Url", &c.URL}, {"ErrorUrl", &c.ErrorURL}, {"FinishedUrl", &c.FinishedURL}} {
		if *p.dst, ok = httpURL(req, p.name); !ok {
			return req.invalid(p.name)
		}
	}
	if c.RingTime, ok = seconds(req, "RingTime"); !ok {
		return req.invalid("RingTime")
	}
	o := h.originator()
	if o == nil {
		return reply{code: CodeAPIExtensionUnavailable, args: []string{c.APIExtension}}
	}
	ctx, cancel := context.WithTimeout(req.context(), originateWait)
	defer cancel()
	id, err := o.Call(ctx, c)
	if err != nil {
		return h.originateReply(req, c.APIExtension, c.Dialed, "ResponseOzML", err)
	}
	return reply{code: CodeOK, body: func(w *xmlWriter) { w.leaf("CallId", id) }}
}

// callSetup: Caller, Callee, ErrorUrl, RingTime → 200 once Caller is
// being rung; 402 when it cannot be; 302.
func (h *Handler) callSetup(req *request) reply {
	var s CallSetupRequest
	var ok bool
	if s.Caller, ok = number(req, "Caller"); !ok {
		return req.invalid("Caller")
	}
	if s.Callee, ok = number(req, "Callee"); !ok {
		return req.invalid("Callee")
	}
	if s.ErrorURL, ok = httpURL(req, "ErrorUrl"); !ok {
		return req.invalid("ErrorUrl")
	}
	if s.RingTime, ok = seconds(req, "RingTime"); !ok {
		return req.invalid("RingTime")
	}
	o := h.originator()
	if o == nil {
		return reply{code: CodeCallConnectFailed, args: []string{s.Caller, "Error"}}
	}
	ctx, cancel := context.WithTimeout(req.context(), originateWait)
	defer cancel()
	if err := o.CallSetup(ctx, s); err != nil {
		return h.originateReply(req, "", s.Caller, "", err)
	}
	return reply{code: CodeOK}
}

// request: DialedAddress, ExtensionAddress, CallerPhoneNumber,
// CallerDisplayName, RingTime, RequestOzML → 200 once dialling has
// started; 401, 402, 302.
func (h *Handler) request(req *request) reply {
	r := RequestRequest{CallerDisplayName: req.params.value("CallerDisplayName"), RequestOzML: req.params.value("RequestOzML")}
	var ok bool
	if r.DialedAddress, ok = number(req, "DialedAddress"); !ok {
		return req.invalid("DialedAddress")
	}
	if r.ExtensionAddress, ok = number(req, "ExtensionAddress"); !ok {
		return req.invalid("ExtensionAddress")
	}
	if r.CallerPhoneNumber, ok = optionalNumber(req, "CallerPhoneNumber"); !ok {
		return req.invalid("CallerPhoneNumber")
	}
	switch {
	case len(r.CallerDisplayName) > maxNumberParam:
		return req.invalid("CallerDisplayName")
	case strings.TrimSpace(r.RequestOzML) == "" || len(r.RequestOzML) > maxInlineOzML:
		return req.invalid("RequestOzML")
	}
	if r.RingTime, ok = seconds(req, "RingTime"); !ok {
		return req.invalid("RingTime")
	}
	o := h.originator()
	if o == nil {
		return reply{code: CodeAPIExtensionUnavailable, args: []string{r.ExtensionAddress}}
	}
	ctx, cancel := context.WithTimeout(req.context(), originateWait)
	defer cancel()
	if err := o.Request(ctx, r); err != nil {
		return h.originateReply(req, r.ExtensionAddress, r.DialedAddress, "RequestOzML", err)
	}
	return reply{code: CodeOK}
}

// originateReply turns an Originator error into a reply.
func (h *Handler) originateReply(req *request, ext, target, ozmlParam string, err error) reply {
	var ce *ConnectError
	switch {
	case errors.Is(err, ErrNoAPIExtension):
		return reply{code: CodeAPIExtensionUnavailable, args: []string{ext}}
	case errors.Is(err, ErrBadOzML) && ozmlParam != "":
		return req.invalid(ozmlParam)
	case errors.As(err, &ce):
		return reply{code: CodeCallConnectFailed, args: []string{ce.Target, ce.State}}
	}
	h.log.Warn("api: placing a call failed", "command", req.name, "target", target, "err", err)
	return reply{code: CodeCallConnectFailed, args: []string{target, "Error"}}
}
