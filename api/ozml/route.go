package ozml

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Route is an application's answer to a RoutingInterception.
type Route struct {
	Destination  string        // extension number or outside line; empty: reject the caller
	RingTime     time.Duration // 0: the default
	CallerID     string
	DialedNumber string // number to send out on a trunk
}

// RouteDecision reads a RoutingInterception reply: the first <Route> of
// the document. ok is false when the reply is empty or holds no Route:
// the normal routing goes on. A Route with an empty Destination rejects
// the caller (reference 3.1). Variables are not substituted (no script
// runs).
func RouteDecision(body []byte, lim Limits) (rt Route, ok bool, err error) {
	doc, err := Parse(body, lim)
	if errors.Is(err, ErrEmpty) {
		return Route{}, false, nil
	}
	if err != nil {
		return Route{}, false, err
	}
	n := doc.Root.Child("route")
	if n == nil {
		return Route{}, false, nil
	}
	dest, _ := n.Param("destination")
	rt = Route{Destination: strings.TrimSpace(dest), CallerID: n.Attrs["callerid"], DialedNumber: strings.TrimSpace(n.Attrs["dialednumber"])}
	if s := strings.TrimSpace(n.Attrs["ringtime"]); s != "" {
		if rt.RingTime, err = parseSeconds(s); err != nil {
			return Route{}, false, &ParseError{Line: n.Line, Col: n.Col, Err: fmt.Errorf("RingTime: %w", err)}
		}
	}
	return rt, true, nil
}
