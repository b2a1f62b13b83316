package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Status is what the health page reports.
type Status struct {
	Version       string `json:"version"`
	Uptime        string `json:"uptime"`
	Registrations int    `json:"registrations"`
	ActiveCalls   int    `json:"active_calls"`
	Board         string `json:"board"`
	BoardError    string `json:"board_error,omitempty"`
}

// StatusSource supplies the health page's figures.
type StatusSource interface {
	Status() Status
}

// Options configure the HTTP handler.
type Options struct {
	Logger *slog.Logger
	Status StatusSource
	Now    func() time.Time
}

// Handler is the HTTP API.
type Handler struct {
	opts Options
	mux  *http.ServeMux
}

// New builds the handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &Handler{opts: o, mux: http.NewServeMux()}
	h.mux.HandleFunc("/health", h.health)
	h.mux.HandleFunc("/api", h.command)
	h.mux.HandleFunc("/api/", h.command)
	h.mux.HandleFunc("/", h.command)
	return h
}

// maxBody bounds POST bodies.
const maxBody = 64 << 10

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	st := h.opts.Status.Status()
	_ = json.NewEncoder(w).Encode(struct {
		OK bool `json:"ok"`
		Status
	}{true, st})
}

func (h *Handler) command(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" && r.URL.Path != "/api" && r.URL.Path != "/api/" {
		http.NotFound(w, r)
		return
	}
	code, msg := 300, "Error occured during parsing message: 'request'"
	if err := r.ParseForm(); err == nil {
		cmd := ""
		for k, v := range r.Form {
			if strings.EqualFold(k, "command") && len(v) > 0 {
				cmd = v[0]
			}
		}
		if cmd == "" {
			code, msg = 302, "Missing or invalid parameter 'command' for command ''"
		} else {
			code, msg = 301, "Not implemented command: '"+cmd+"'"
		}
	}
	writeEnvelope(w, code, msg)
}

// writeEnvelope writes the Ozeki <Response> document byte for byte as
// the reference shows it: quotes in messages stay literal, only & < > are
// escaped.
func writeEnvelope(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "<?xml version=\"1.0\"?>\n"+
		"<Response xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n"+
		"  <Code>"+strconv.Itoa(code)+"</Code>\n"+
		"  <Message>"+textEscaper.Replace(msg)+"</Message>\n"+
		"</Response>")
}

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
