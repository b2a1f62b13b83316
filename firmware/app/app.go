package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/boards"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/firmware/tlscert"
	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// Version is stamped by the build (-ldflags -X).
var Version = "dev"

// Options start an appliance.
type Options struct {
	ConfigPath string
	Logger     *slog.Logger
	Out        io.Writer // where first-boot notes are printed; nil = discard
	// Listeners, when set, replace the SIP sockets the config names (tests
	// pass OS-assigned ports). APIListener does the same for HTTP.
	Listeners   *ua.Listeners
	APIListener net.Listener
	Clock       pbx.Clock
	// Board, when set, replaces the config's board ("sim", "auto" or a
	// profile name): the -board flag.
	Board string
}

// App is a running appliance.
type App struct {
	log     *slog.Logger
	opts    Options
	started time.Time

	mu       sync.Mutex
	cfg      config.Config
	reloadMu sync.Mutex // held by Reload

	board    hal.Board
	boardErr error
	hist     *history.Store
	core     *pbx.Core
	audio    *player.Library // hold music and tones for the core
	notify   *notify.Client  // requests to applications (FinishedUrl, ...)
	sip      *ua.Server
	api      *api.Handler
	scripts  *scripts // API extensions (ozml.go)
	http     *http.Server
	httpLn   net.Listener
	sipAddrs ua.Listeners
	svc      services // address books, mail, messages, sim control (services.go)
	// signers: the API users who caused calls' notifications (signers.go)
	signers notifySigners
	// routes: dial plan, forwarding table, trunks (dialplan.go, trunks.go)
	routes routingState
}

// Start brings the appliance up. The returned App runs until Shutdown.
func Start(ctx context.Context, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Clock == nil {
		o.Clock = pbx.SystemClock{}
	}
	cfg, err := LoadOrCreate(o.ConfigPath, o.Out)
	if err != nil {
		return nil, err
	}
	if o.Board != "" {
		cfg.Board = o.Board
	}
	a := &App{log: o.Logger, opts: o, cfg: cfg, started: o.Clock.Now()}
	if err := a.start(ctx); err != nil {
		a.closeAll()
		return nil, err
	}
	return a, nil
}

// LoadOrCreate loads the config at path; when the file does not exist it
// writes the defaults with fresh first-boot credentials (0600) and saves
// the credentials as text in the data dir, telling out where they are.
func LoadOrCreate(path string, out io.Writer) (config.Config, error) {
	cfg, err := config.Load(path)
	if err == nil {
		if creds := credentialsPath(cfg); fileExists(creds) {
			fmt.Fprintf(out, "gatepbx: config %s; first-boot credentials in %s\n", path, creds)
		}
		return cfg, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return cfg, err
	}
	cfg, creds, err := config.FirstBoot(config.Defaults(), rand.Reader)
	if err != nil {
		return cfg, fmt.Errorf("first boot: %w", err)
	}
	data, err := config.Marshal(cfg)
	if err != nil {
		return cfg, fmt.Errorf("first boot: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return cfg, fmt.Errorf("first boot: data dir: %w", err)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return cfg, fmt.Errorf("first boot: config dir: %w", err)
		}
	}
	if err := config.WriteFileAtomic(credentialsPath(cfg), []byte(creds.Text()), 0o600); err != nil {
		return cfg, fmt.Errorf("first boot: credentials: %w", err)
	}
	if err := config.WriteFileAtomic(path, data, 0o600); err != nil {
		return cfg, fmt.Errorf("first boot: config: %w", err)
	}
	// Parse what we wrote so the running config is exactly the file's.
	cfg, err = config.Load(path)
	if err != nil {
		return cfg, fmt.Errorf("first boot: reading back %s: %w", path, err)
	}
	fmt.Fprintf(out, "gatepbx: first start: wrote config %s and generated credentials to %s (mode 0600)\n", path, credentialsPath(cfg))
	return cfg, nil
}

func credentialsPath(cfg config.Config) string { return filepath.Join(cfg.DataDir, "credentials.txt") }

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func (a *App) start(ctx context.Context) error {
	cfg := a.cfg
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	a.openBoard(cfg)

	hist, err := history.Open(history.Options{Dir: filepath.Join(cfg.DataDir, "history"), MaxRecords: cfg.History.MaxRecords, Logger: a.log})
	if err != nil {
		return fmt.Errorf("call history: %w", err)
	}
	a.hist = hist

	advertise, err := advertiseAddr(cfg)
	if err != nil {
		return err
	}
	rtpBind := cfg.RTP.BindAddress
	if rtpBind == "" {
		rtpBind = cfg.SIP.BindAddress
	}
	rtpIP, err := netip.ParseAddr(rtpBind)
	if err != nil {
		return fmt.Errorf("rtp.bind_address: %w", err)
	}
	ports, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: rtpIP, Min: cfg.RTP.PortMin, Max: cfg.RTP.PortMax})
	if err != nil {
		return fmt.Errorf("rtp ports: %w", err)
	}

	// Music on hold is moh.wav or moh.mp3 in the data dir, else the
	// built-in melody; tones follow the region.
	a.audio, err = player.New(player.Options{Root: cfg.DataDir, Region: cfg.Region, Logger: a.log})
	if err != nil {
		return fmt.Errorf("audio library: %w", err)
	}
	a.notify = notify.New(notify.Options{Logger: a.log})
	dir := pbx.NewDirectory(cfg.Extensions)
	a.core = pbx.New(pbx.Options{
		Logger: a.log, Clock: a.opts.Clock, History: hist, Directory: dir,
		RingTimeout: cfg.SIP.RingTimeout, MediaTimeout: cfg.RTP.MediaTimeout,
		Player: pbx.NewStreamPlayer(a.audio, a.log), OnEnd: a.callEnded,
	})

	lns, tlsConf, err := a.listen(cfg, advertise)
	if err != nil {
		return err
	}
	a.sipAddrs = lns
	a.sip, err = ua.New(ua.Options{
		Logger: a.log, Listeners: lns, Advertise: advertise, UserAgent: cfg.SIP.UserAgent,
		Realm: cfg.SIP.Realm, Algorithms: cfg.SIP.DigestAlgorithms, NonceLife: cfg.SIP.NonceLifetime,
		AuthLimit: cfg.SIP.AuthFailureLimit, AuthWindow: cfg.SIP.AuthFailureWindow,
		MinExpires: cfg.SIP.RegisterMinExpires, MaxExpires: cfg.SIP.RegisterMaxExpires, DefExpires: cfg.SIP.RegisterDefaultExpires,
		Codecs: codecs(cfg), Ports: ports, Directory: dir, Handler: a.core, Now: a.opts.Clock.Now, TLSConfig: tlsConf,
		SRTP: srtpPolicies(cfg), MaxTransactions: cfg.SIP.MaxTransactions, MaxConnections: cfg.SIP.MaxConnections,
	})
	if err != nil {
		lns.Close()
		return err
	}
	a.core.SetOriginator(pbx.SIPOriginator(a.sip))
	if err := a.startTrunks(cfg); err != nil {
		return err
	}
	if err := a.startDialplan(cfg, ports); err != nil {
		return err
	}
	a.startAnalog(ctx, cfg, ports)
	if err := a.startScripts(cfg, ports, advertise); err != nil {
		return err
	}
	if err := a.startServices(ctx, cfg); err != nil {
		return err
	}
	a.sip.Serve(ctx)
	a.runTrunks()

	if err := a.startHTTP(cfg); err != nil {
		return err
	}
	a.log.Info("gatepbx started", "version", Version, "advertise", advertise.String(),
		"sip_udp", addrString(lns.UDP), "api", a.httpLn.Addr().String(), "extensions", dir.Len(), "data_dir", cfg.DataDir)
	return nil
}

func (a *App) openBoard(cfg config.Config) {
	profile, err := boards.Select(cfg.Board, nil)
	if err == nil {
		a.board, err = boards.Open(profile, hal.SystemClock{})
	}
	if err != nil {
		a.boardErr = err
		a.log.Error("board unavailable; analog ports disabled, SIP keeps running", "board", cfg.Board, "err", err)
		return
	}
	if err := cfg.ValidatePorts(func(name string) bool { _, ok := a.board.Port(name); return ok }); err != nil {
		a.log.Warn("analog extensions refer to ports the board lacks", "err", err)
	}
}

func codecs(cfg config.Config) []sdp.Format {
	var out []sdp.Format
	for _, c := range cfg.RTP.Codecs {
		switch strings.ToUpper(c) {
		case "PCMU":
			out = append(out, sdp.PCMU)
		case "PCMA":
			out = append(out, sdp.PCMA)
		}
	}
	if cfg.RTP.TelephoneEvent {
		out = append(out, sdp.TelephoneEvent)
	}
	return out
}

// advertiseAddr picks the address phones must send SIP and RTP to.
func advertiseAddr(cfg config.Config) (netip.Addr, error) {
	if cfg.SIP.AdvertiseAddress != "" {
		return netip.ParseAddr(cfg.SIP.AdvertiseAddress)
	}
	bind, err := netip.ParseAddr(cfg.SIP.BindAddress)
	if err != nil {
		return bind, fmt.Errorf("sip.bind_address: %w", err)
	}
	if !bind.IsUnspecified() {
		return bind, nil
	}
	// First up, non-loopback IPv4 interface address; loopback when none.
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, ad := range addrs {
			if p, err := netip.ParsePrefix(ad.String()); err == nil && p.Addr().Is4() {
				return p.Addr(), nil
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1"), nil
}

func (a *App) listen(cfg config.Config, advertise netip.Addr) (ua.Listeners, *tls.Config, error) {
	var lns ua.Listeners
	if a.opts.Listeners != nil {
		return *a.opts.Listeners, nil, nil
	}
	bind := cfg.SIP.BindAddress
	network := "udp"
	if ip, err := netip.ParseAddr(bind); err == nil && ip.Is4() {
		network = "udp4"
	}
	if cfg.SIP.UDPPort > 0 {
		addr, err := net.ResolveUDPAddr(network, net.JoinHostPort(bind, strconv.Itoa(cfg.SIP.UDPPort)))
		if err == nil {
			lns.UDP, err = net.ListenUDP(network, addr)
		}
		if err != nil {
			return lns, nil, fmt.Errorf("sip udp listen: %w", err)
		}
	}
	tcpNet := strings.Replace(network, "udp", "tcp", 1)
	if cfg.SIP.TCPPort > 0 {
		l, err := net.Listen(tcpNet, net.JoinHostPort(bind, strconv.Itoa(cfg.SIP.TCPPort)))
		if err != nil {
			lns.Close()
			return lns, nil, fmt.Errorf("sip tcp listen: %w", err)
		}
		lns.TCP = l
	}
	var tlsConf *tls.Config
	if cfg.SIP.TLSPort > 0 {
		cert, made, err := tlscert.Load(cfg.SIP.TLSCertFile, cfg.SIP.TLSKeyFile, filepath.Join(cfg.DataDir, "tls"), []string{advertise.String(), "gatepbx"}, time.Now())
		if err != nil {
			lns.Close()
			return lns, nil, err
		}
		if made {
			a.log.Info("made a self-signed SIP TLS certificate", "dir", filepath.Join(cfg.DataDir, "tls"))
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		l, err := net.Listen(tcpNet, net.JoinHostPort(bind, strconv.Itoa(cfg.SIP.TLSPort)))
		if err != nil {
			lns.Close()
			return lns, nil, fmt.Errorf("sip tls listen: %w", err)
		}
		lns.TLS = tls.NewListener(l, tlsConf)
	}
	return lns, tlsConf, nil
}

func addrString(c *net.UDPConn) string {
	if c == nil {
		return ""
	}
	return c.LocalAddr().String()
}

func (a *App) startHTTP(cfg config.Config) error {
	ln := a.opts.APIListener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", net.JoinHostPort(cfg.API.BindAddress, strconv.Itoa(cfg.API.Port)))
		if err != nil {
			return fmt.Errorf("api listen: %w", err)
		}
	}
	a.httpLn = ln
	a.api = a.newAPIHandler(cfg)
	a.http = &http.Server{
		Handler:           a.httpHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("api server stopped", "err", err)
		}
	}()
	return nil
}

// Status implements api.StatusSource.
func (a *App) Status() api.Status {
	st := api.Status{Version: Version, Uptime: time.Since(a.started).Round(time.Second).String(), Board: a.Config().Board}
	if a.sip != nil {
		st.Registrations = a.sip.Registrar().Count()
	}
	if a.core != nil {
		st.ActiveCalls = a.core.ActiveCalls()
	}
	if a.boardErr != nil {
		st.BoardError = a.boardErr.Error()
	}
	st.Modem = a.svc.modemStatus()
	return st
}

// Config returns the running config.
func (a *App) Config() config.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}

// SIPUDPAddr is the SIP UDP listener's address.
func (a *App) SIPUDPAddr() netip.AddrPort {
	if a.sipAddrs.UDP == nil {
		return netip.AddrPort{}
	}
	return a.sipAddrs.UDP.LocalAddr().(*net.UDPAddr).AddrPort()
}

// SIPTCPAddr is the SIP TCP listener's address (zero when TCP is off).
func (a *App) SIPTCPAddr() netip.AddrPort {
	if a.sipAddrs.TCP == nil {
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(a.sipAddrs.TCP.Addr().String())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// APIAddr is the HTTP listener's address.
func (a *App) APIAddr() string { return a.httpLn.Addr().String() }

// Core exposes the call core (tests, API).
func (a *App) Core() *pbx.Core { return a.core }

// Reload re-reads the config file. An invalid file is refused and the
// running config kept. Extensions, passwords and API users change at once
// (cached API logins are dropped); calls in progress are untouched.
// The SMTP relay and the GSM modem follow their sections (services.go);
// changed trunks re-register (trunks.go reloadTrunks); the overload
// guard takes sip.max_transactions. Listener, port and data-dir changes
// need a restart and are reported as such. A config naming FXO ports the
// board does not have is refused. Reloads run one at a time.
func (a *App) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cfg, err := config.Load(a.opts.ConfigPath)
	if err != nil {
		return fmt.Errorf("reload refused, keeping the running config: %w", err)
	}
	if a.opts.Board != "" {
		cfg.Board = a.opts.Board
	}
	if a.board != nil {
		// At start an unknown port is only warned about (startAnalog), so
		// that a config written for another board still brings SIP up; a
		// reload can keep the running config instead.
		if err := cfg.ValidateFXOPorts(isFXOPort(a.board)); err != nil {
			return fmt.Errorf("reload refused, keeping the running config: %w", err)
		}
	}
	a.reloadServices(cfg)
	a.mu.Lock()
	old := a.cfg
	a.cfg = cfg
	a.mu.Unlock()
	dir := pbx.NewDirectory(cfg.Extensions)
	a.core.SetDirectory(dir)
	a.sip.SetDirectory(dir)
	a.sip.SetSRTPPolicy(srtpPolicies(cfg))
	a.sip.SetMaxTransactions(cfg.SIP.MaxTransactions)
	a.sip.SetMaxConnections(cfg.SIP.MaxConnections)
	a.api.SetUsers(apiUsers(cfg))
	a.reloadTrunks(cfg) // trunks.go; before the routes that use them
	if err := a.setRouting(cfg); err != nil {
		a.log.Error("reload: dial plan not changed", "err", err)
	}
	if old.SIP.UDPPort != cfg.SIP.UDPPort || old.SIP.TCPPort != cfg.SIP.TCPPort || old.SIP.TLSPort != cfg.SIP.TLSPort ||
		old.SIP.BindAddress != cfg.SIP.BindAddress || old.API.Port != cfg.API.Port || old.DataDir != cfg.DataDir ||
		old.RTP.PortMin != cfg.RTP.PortMin || old.RTP.PortMax != cfg.RTP.PortMax {
		a.log.Warn("reload: listener, RTP range or data dir changes take effect after a restart")
	}
	a.log.Info("config reloaded", "extensions", dir.Len(), "api_users", len(cfg.API.Users))
	return nil
}

// Shutdown stops taking calls, hangs up every call, flushes history and
// closes everything; it returns within ctx's deadline.
func (a *App) Shutdown(ctx context.Context) error {
	var errs []error
	if a.sip != nil {
		a.sip.StopAccepting()
	}
	if a.core != nil {
		if err := a.core.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	a.stopScripts(ctx)
	a.stopTrunks()
	if a.http != nil {
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		_ = a.http.Shutdown(hctx)
		cancel()
	}
	a.svc.stop(a.log) // before notify: the router's last reports are queued
	if a.notify != nil {
		// The calls' last notifications are queued by now.
		nctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_ = a.notify.Close(nctx)
		cancel()
	}
	a.closeAll()
	return errors.Join(errs...)
}

func (a *App) closeAll() {
	a.svc.stop(a.log)
	if a.sip != nil {
		a.sip.Close()
	}
	if a.http != nil {
		a.http.Close()
	}
	if a.hist != nil {
		a.hist.Close()
	}
	if a.audio != nil {
		a.audio.Close()
	}
	if a.board != nil {
		a.board.Close()
	}
}
