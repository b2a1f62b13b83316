package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/api/ozml/bus"
	"github.com/gatepbx/gatepbx/api/ozml/fetch"
	"github.com/gatepbx/gatepbx/firmware/apiext"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/tts"
)

// API extensions: calls to extensions of kind "api" run OzML from their
// application's URL or from an on-device script (DataDir/scripts), on
// legs made by apiext; their recordings are served over HTTP.

// scripts is the wiring of API extensions.
type scripts struct {
	ext   *apiext.Originator
	audio *player.Library // files, URLs, tones and text to speech for scripts
	// recordings is DataDir/recordings, served under /recordings/.
	recordings string
	advertise  netip.Addr   // the host of RecordURLs when the API listens on all
	clock      stream.Clock // nil: real time
	queue      callQueues   // the HTTP API's Play and Speak, in order per call
	interp     *ozml.Interpreter
}

// ozmlEnv is the interpreter's Env: notifications and scripts through
// fetch.Loader; the verbs that place calls through apiext (Call,
// Request) and the core (CallSetup).
type ozmlEnv struct {
	*fetch.Loader
	a *App
}

func (e ozmlEnv) Call(_ context.Context, req ozml.CallRequest) error {
	_, err := e.a.scripts.ext.Call(req)
	return err
}

func (e ozmlEnv) CallSetup(_ context.Context, caller, callee, errorURL string) error {
	return e.a.callSetup("", caller, callee, errorURL, 0)
}

func (e ozmlEnv) Request(ctx context.Context, p ozml.RequestParams) (<-chan ozml.RequestEvent, error) {
	return e.a.scripts.ext.Request(ctx, p)
}

// notifySend queues a notification (CallError, CallFinished) of a call
// the appliance placed; one of a call placed by the API's Call is signed
// for its API user (signers.go).
func (a *App) notifySend(n notify.Notification) {
	if a.notify == nil {
		return
	}
	if n.CallID != "" && n.Secret == nil && (n.Name == notify.CallError || n.Name == notify.CallFinished) {
		a.signFor(&n, a.signers.placed.user(n.CallID, true))
	}
	if err := a.notify.Send(n); err != nil {
		a.log.Warn("notification not sent", "notification", string(n.Name), "call", n.CallID, "err", err)
	}
}

// callSetup starts a click-to-dial call; its failures go to errorURL as
// CallError, signed for the API user who asked ("" for none).
func (a *App) callSetup(user, caller, callee, errorURL string, ring time.Duration) error {
	return a.core.CallSetup(pbx.CallSetup{
		Caller: caller, Callee: callee, RingTime: ring,
		OnFail: func(ce *pbx.ConnectError) {
			a.log.Info("CallSetup failed", "caller", caller, "callee", callee, "state", ce.State, "cause", ce.Cause)
			if errorURL == "" {
				return
			}
			n := notify.Notification{
				Name: notify.CallError, URL: errorURL, Caller: caller, CallerID: caller, Callee: callee, Dialed: callee,
				CallState: ce.State, ErrorMessage: ce.Error(),
			}
			a.signFor(&n, user)
			a.notifySend(n)
		},
	})
}

// The HTTP API's Call, CallSetup and Request (api.Originator).

// Call implements api.Originator.
func (m apiCallsMedia) Call(ctx context.Context, c api.CallRequest) (string, error) {
	s := m.a.scripts
	if s == nil {
		return "", api.ErrNoAPIExtension
	}
	req := ozml.CallRequest{
		Dialed: c.Dialed, APIExtension: c.APIExtension, CallerID: c.CallerID, CallerDisplayName: c.CallerDisplayName,
		URL: c.URL, ErrorURL: c.ErrorURL, FinishedURL: c.FinishedURL, RingTime: c.RingTime,
	}
	if strings.TrimSpace(c.ResponseOzML) != "" {
		doc, err := ozml.Parse([]byte(c.ResponseOzML), s.interp.Limits())
		if err != nil {
			return "", fmt.Errorf("%w: %w", api.ErrBadOzML, err)
		}
		req.Script = doc
	}
	user := ""
	if c.ErrorURL != "" || c.FinishedURL != "" {
		user = api.UserFrom(ctx)
	}
	id, err := m.a.signers.placed.register(user, func() (string, error) {
		id, err := s.ext.Call(req)
		if err == nil {
			m.a.rememberScriptUser(api.UserFrom(ctx), id) // its script's requests are signed too (signers.go)
		}
		return id, err
	})
	return id, originateError(err)
}

// CallSetup implements api.Originator.
func (m apiCallsMedia) CallSetup(ctx context.Context, c api.CallSetupRequest) error {
	return originateError(m.a.callSetup(api.UserFrom(ctx), c.Caller, c.Callee, c.ErrorURL, c.RingTime))
}

// Request implements api.Originator: RequestOzML is a document holding
// a <Request> element, or bare On* blocks; the parameters are set on
// the Request and it runs with no call of its own, in the background.
func (m apiCallsMedia) Request(_ context.Context, r api.RequestRequest) error {
	s := m.a.scripts
	if s == nil {
		return api.ErrNoAPIExtension
	}
	if ext, ok := m.core.Directory().Lookup(r.ExtensionAddress); !ok || ext.Kind != config.KindAPI {
		return api.ErrNoAPIExtension
	}
	doc, err := requestDocument(r.RequestOzML, s.interp.Limits())
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrBadOzML, err)
	}
	n := doc.Root.Child("request")
	for k, v := range map[string]string{
		"dialedaddress": r.DialedAddress, "extensionaddress": r.ExtensionAddress,
		"callerphonenumber": r.CallerPhoneNumber, "callerdisplayname": r.CallerDisplayName,
	} {
		if v != "" {
			n.Attrs[k] = v
		}
	}
	if r.RingTime > 0 {
		n.Attrs["ringtime"] = strconv.FormatFloat(r.RingTime.Seconds(), 'f', -1, 64)
	}
	go s.interp.Run(context.Background(), nil, doc, ozml.RunOptions{})
	return nil
}

// requestDocument parses a Request command's OzML: a document with a
// <Request>, or the blocks alone.
func requestDocument(raw string, lim ozml.Limits) (*ozml.Document, error) {
	doc, err := ozml.Parse([]byte(raw), lim)
	if err == nil && doc.Root.Child("request") != nil {
		if doc.Root.Child("request").Attrs == nil {
			doc.Root.Child("request").Attrs = map[string]string{}
		}
		return doc, nil
	}
	doc, err2 := ozml.Parse([]byte("<Response><Request>"+raw+"</Request></Response>"), lim)
	if err2 != nil {
		if err != nil {
			return nil, err
		}
		return nil, err2
	}
	if doc.Root.Child("request").Attrs == nil {
		doc.Root.Child("request").Attrs = map[string]string{}
	}
	return doc, nil
}

// originateError maps apiext's and the core's errors to the api's.
func originateError(err error) error {
	if errors.Is(err, apiext.ErrNoExtension) {
		return fmt.Errorf("%w: %w", api.ErrNoAPIExtension, err)
	}
	return apiError(err)
}

// startScripts registers the "api" extension kind with the core.
func (a *App) startScripts(cfg config.Config, ports *relay.PortPool, advertise netip.Addr) error {
	var speaker player.Speaker
	sp, err := tts.New(tts.Options{CacheDir: filepath.Join(cfg.DataDir, "cache", "tts"), Logger: a.log})
	if err != nil {
		return fmt.Errorf("text to speech: %w", err)
	}
	if err := sp.Check(); err != nil {
		a.log.Warn("text to speech unavailable; OzML Speak will fail", "err", err)
	}
	speaker = sp
	audio, err := player.New(player.Options{
		Root: cfg.DataDir, CacheDir: filepath.Join(cfg.DataDir, "cache", "audio"),
		Speaker: speaker, Region: cfg.Region, Logger: a.log,
	})
	if err != nil {
		return fmt.Errorf("script audio: %w", err)
	}
	s := &scripts{audio: audio, recordings: filepath.Join(cfg.DataDir, apiext.RecordDir), advertise: advertise}
	lim := cfg.API.OzML
	client := &fetch.Client{Secret: a.fetchSecret, Timeout: lim.AnswerTimeout, MaxBody: int64(lim.MaxDocumentBytes)}
	loader := &fetch.Loader{Poster: client, ScriptDir: filepath.Join(cfg.DataDir, "scripts"), MaxScript: int64(lim.MaxDocumentBytes)}
	interp := ozml.New(ozmlEnv{loader, a}, ozml.Options{
		Logger: a.log, DataDir: cfg.DataDir, Bus: bus.New(bus.Limits{}),
		Limits: ozmlLimits(lim), RejectCode: lim.RejectCode,
	})
	s.ext = apiext.New(apiext.Options{
		Ports: ports, Core: a.core, Interp: interp, Audio: audio, DataDir: cfg.DataDir,
		Extension: func(n string) (config.Extension, bool) { return a.core.Directory().Lookup(n) },
		RecordURL: func(name string) string { return a.recordingURL(advertise, name) },
		Notify:    a.notifySend,
		Logger:    a.log,
	})
	s.interp = interp
	a.scripts = s
	a.core.SetKindOriginator(config.KindAPI, s.ext)
	return nil
}

// ozmlLimits are the interpreter's limits from api.ozml.
func ozmlLimits(c config.OzML) ozml.Limits {
	return ozml.Limits{
		MaxDocumentBytes: c.MaxDocumentBytes, MaxDepth: c.MaxDepth, MaxElements: c.MaxElements,
		MaxLoopIterations: c.MaxLoopIterations, MaxGoToHops: c.MaxGoToHops, MaxRunTime: c.MaxRunTime,
		MaxVarBytes: c.MaxVariableBytes, MaxRecordDuration: c.MaxRecordDuration,
	}
}

// recordingURL is where an application downloads a recording: the API
// port, at the address the phones use when the API listens on all.
func (a *App) recordingURL(advertise netip.Addr, name string) string {
	host := advertise.String()
	port := ""
	if a.httpLn != nil {
		if ap, err := netip.ParseAddrPort(a.httpLn.Addr().String()); err == nil {
			port = strconv.Itoa(int(ap.Port()))
			if ip := ap.Addr().Unmap(); !ip.IsUnspecified() {
				host = ip.String()
			}
		}
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/recordings/" + name}
	return u.String()
}

// recordingName is what /recordings/ serves: the names apiext makes.
var recordingName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\.(wav|mp3)$`)

// httpHandler is the API with the recordings beside it. Every other
// path reaches the API untouched (no path cleaning or redirects).
func (a *App) httpHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := strings.CutPrefix(r.URL.Path, "/recordings/"); ok && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			a.serveRecording(w, r, name)
			return
		}
		a.api.ServeHTTP(w, r)
	})
}

// serveRecording sends one recording. Names are unguessable (128 random
// bits), so no password is asked: the URL is the capability, as with the
// RecordURL Ozeki hands to applications.
func (a *App) serveRecording(w http.ResponseWriter, r *http.Request, name string) {
	if a.scripts == nil || !recordingName.MatchString(name) {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(a.scripts.recordings)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// stopScripts waits for the scripts the core's shutdown ended.
func (a *App) stopScripts(ctx context.Context) {
	if a.scripts == nil {
		return
	}
	if err := a.scripts.ext.Wait(ctx); err != nil {
		a.log.Warn("shutdown", "err", err)
	}
	a.scripts.audio.Close()
}

var _ pbx.Originator = (*apiext.Originator)(nil)
