package app

import (
	"context"
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
}

// ozmlEnv is the interpreter's Env: notifications and scripts through
// fetch.Loader; originating calls is not wired yet.
type ozmlEnv struct{ *fetch.Loader }

func (ozmlEnv) Call(context.Context, ozml.CallRequest) error {
	return fmt.Errorf("Call: %w", ozml.ErrNotAvailable)
}

func (ozmlEnv) CallSetup(context.Context, string, string, string) error {
	return fmt.Errorf("CallSetup: %w", ozml.ErrNotAvailable)
}

func (ozmlEnv) Request(context.Context, ozml.RequestParams) (<-chan ozml.RequestEvent, error) {
	return nil, fmt.Errorf("Request: %w", ozml.ErrNotAvailable)
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
	interp := ozml.New(ozmlEnv{&fetch.Loader{ScriptDir: filepath.Join(cfg.DataDir, "scripts")}}, ozml.Options{
		Logger: a.log, DataDir: cfg.DataDir, Bus: bus.New(bus.Limits{}),
	})
	s.ext = apiext.New(apiext.Options{
		Ports: ports, Core: a.core, Interp: interp, Audio: audio, DataDir: cfg.DataDir,
		Extension: func(n string) (config.Extension, bool) { return a.core.Directory().Lookup(n) },
		RecordURL: func(name string) string { return a.recordingURL(advertise, name) },
		Logger:    a.log,
	})
	a.scripts = s
	a.core.SetKindOriginator(config.KindAPI, s.ext)
	return nil
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
