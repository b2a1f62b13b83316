package api

import (
	"strconv"
	"strings"
	"time"
)

// CallHistory is what the API needs of the call-history store.
type CallHistory interface {
	// RecentCalls returns the kept records of finished calls, newest first.
	RecentCalls() []CallRecord
}

// CallRecord is one finished call.
type CallRecord struct {
	ID         string
	Direction  string // DirectionInternal, DirectionInbound or DirectionOutbound
	Caller     string // the calling party's number
	CallerName string
	Callee     string // the extension the call was routed to
	Dialed     string // what the caller dialled
	State      string // how it ended: CallerHangUp, Busy, Hangup, ...
	Start      time.Time
	End        time.Time
}

// Call directions as ListCallHistory names them.
const (
	DirectionInternal = "Internal"
	DirectionInbound  = "Inbound"
	DirectionOutbound = "Outbound"
	// DirectionExternal is only a filter value: inbound or outbound.
	DirectionExternal = "External"
)

// Paging of ListCallHistory.
const (
	defaultRowsPerPage = 20
	maxRowsPerPage     = 1000
)

// historyFilter is ListCallHistory's parsed parameters.
type historyFilter struct {
	exact     []exactFilter // all must match
	direction string        // "" = any
	from      time.Time     // zero = any
	typeOK    bool          // Type absent or "Audio"
	general   string        // XE GetCallHistory: substring of any field
	page      int
	rows      int
}

// exactFilter compares one record field with a parameter, ignoring case.
type exactFilter struct {
	value string
	field func(CallRecord) string
}

// historyFields are the exact-match filters and the record field each
// compares; the same fields are searched by General.
var historyFields = []struct {
	param string
	field func(CallRecord) string
}{
	{"CallId", func(r CallRecord) string { return r.ID }},
	{"CallerId", func(r CallRecord) string { return r.Caller }},
	{"Source", func(r CallRecord) string { return r.Caller }},
	{"Destination", func(r CallRecord) string { return r.Callee }},
	{"Dialed", func(r CallRecord) string { return r.Dialed }},
	{"State", func(r CallRecord) string { return r.State }},
}

// timeLayouts are the accepted forms of From: the reference's, a bare
// date, and RFC 3339.
var timeLayouts = []string{timeLayout, "2006-01-02", time.RFC3339}

// parseHistoryFilter reads the filters; the name of a bad parameter is
// returned for 302.
func (h *Handler) parseHistoryFilter(req *request) (historyFilter, string) {
	f := historyFilter{typeOK: true, rows: defaultRowsPerPage}
	for _, hf := range historyFields {
		if v := req.params.value(hf.param); v != "" {
			f.exact = append(f.exact, exactFilter{v, hf.field})
		}
	}
	if v := req.params.value("Direction"); v != "" {
		found := false
		for _, d := range []string{DirectionInternal, DirectionInbound, DirectionOutbound, DirectionExternal} {
			if strings.EqualFold(v, d) {
				f.direction, found = d, true
			}
		}
		if !found {
			return f, "Direction"
		}
	}
	if v := req.params.value("From"); v != "" {
		ok := false
		for _, layout := range timeLayouts {
			if t, err := time.ParseInLocation(layout, v, h.loc); err == nil {
				f.from, ok = t, true
				break
			}
		}
		if !ok {
			return f, "From"
		}
	}
	if v := req.params.value("Type"); v != "" {
		f.typeOK = strings.EqualFold(v, "Audio")
	}
	f.general = req.params.value("General")
	var bad string
	f.page, f.rows, bad = pageParams(req)
	return f, bad
}

// optionalInt reads a non-negative integer parameter; bad reports a value
// that is not one.
func optionalInt(req *request, name string, def int) (n int, bad bool) {
	v := req.params.value(name)
	if v == "" {
		return def, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return def, true
	}
	return n, false
}

func (f *historyFilter) match(r CallRecord) bool {
	if !f.typeOK {
		return false
	}
	for _, e := range f.exact {
		if !strings.EqualFold(e.field(r), e.value) {
			return false
		}
	}
	switch f.direction {
	case "":
	case DirectionExternal:
		if !strings.EqualFold(r.Direction, DirectionInbound) && !strings.EqualFold(r.Direction, DirectionOutbound) {
			return false
		}
	default:
		if !strings.EqualFold(r.Direction, f.direction) {
			return false
		}
	}
	if !f.from.IsZero() && r.Start.Before(f.from) {
		return false
	}
	if f.general != "" {
		for _, hf := range historyFields {
			if containsFold(hf.field(r), f.general) {
				return true
			}
		}
		return false
	}
	return true
}

// containsFold reports whether sub is in s, ignoring case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// listCallHistory answers TotalRecords (matching records) and one page
// of them, newest first:
//
//	<TotalRecords/><CallHistory><Call><StartTime/><Direction/><Source/>
//	<Destination/><State/><Dialed/><CallerId/><Type/><CallId/></Call>...
//	</CallHistory>
func (h *Handler) listCallHistory(req *request) reply {
	f, bad := h.parseHistoryFilter(req)
	if bad != "" {
		return req.invalid(bad)
	}
	var all []CallRecord
	if h.opts.History != nil {
		all = h.opts.History.RecentCalls()
	}
	var page []CallRecord
	total := 0
	first := pageStart(f.page, f.rows)
	for _, r := range all {
		if !f.match(r) {
			continue
		}
		if total >= first && len(page) < f.rows {
			page = append(page, r)
		}
		total++
	}
	return reply{code: CodeOK, body: func(w *xmlWriter) {
		w.leaf("TotalRecords", strconv.Itoa(total))
		if len(page) == 0 {
			w.empty("CallHistory")
			return
		}
		w.open("CallHistory")
		for _, r := range page {
			w.open("Call")
			w.leafTime("StartTime", r.Start, h.loc)
			w.leaf("Direction", r.Direction)
			w.leaf("Source", r.Caller)
			w.leaf("Destination", r.Callee)
			w.leaf("State", r.State)
			w.leaf("Dialed", r.Dialed)
			w.leaf("CallerId", r.Caller)
			w.leaf("Type", "Audio")
			w.leaf("CallId", r.ID)
			w.close("Call")
		}
		w.close("CallHistory")
	}}
}
