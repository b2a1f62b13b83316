package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gatepbx/gatepbx/api"
	"github.com/gatepbx/gatepbx/api/addressbook"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/inbox"
	"github.com/gatepbx/gatepbx/firmware/mailq"
	"github.com/gatepbx/gatepbx/firmware/messaging"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/hal/sim/simctl"
)

// services are the appliance's parts beside calls: address books, the
// mail queue, the message store and router with the GSM modem and its
// health poll, and the sim board's control socket. Each runs until stop;
// a reload changes the mail relay and reopens the modem.
type services struct {
	books  *addressbook.Store
	mail   *mailq.Queue // without smtp.host it has no relay: SendEmail answers 501
	inbox  *inbox.Store
	router *messaging.Router
	// simAddr is the sim board's control socket ("" without a sim board).
	simAddr string

	// modemMu guards the modem, which a reload replaces.
	modemMu    sync.Mutex
	modem      *messaging.AttachedModem // nil without gsm.device, or when it failed to open
	health     *modemHealth             // the modem's poll; nil without a modem
	modemDown  *api.ModemStatus         // why a configured modem is not open
	stopHealth context.CancelFunc
	healthDone chan struct{}

	ctx    context.Context // the services' lifetime
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// SimControlFile is the file in the data dir that holds the address of
// the sim board's control socket, for `gatepbx sim`.
const SimControlFile = "sim-control.addr"

// startServices opens the stores and starts the background workers. The
// SIP user agent must exist (the router sends SIP MESSAGEs through it).
func (a *App) startServices(ctx context.Context, cfg config.Config) error {
	s := &a.svc
	ctx, s.cancel = context.WithCancel(ctx)
	var err error
	if s.books, err = addressbook.Open(cfg.AddressbookDir(), a.log); err != nil {
		return fmt.Errorf("address books: %w", err)
	}
	if s.inbox, err = inbox.Open(inbox.Options{Dir: cfg.InboxDir(), Logger: a.log}); err != nil {
		return fmt.Errorf("message store: %w", err)
	}
	if s.mail, err = openMail(cfg, a.log); err != nil {
		return err
	}
	s.goRun("mail queue", a.log, func() error { return s.mail.Run(ctx) })
	ro := messaging.Options{
		Store: s.inbox, ModemPrefixes: cfg.SMS.ModemPrefixes, Notifier: a.notify, IncomingURL: cfg.SMS.IncomingURL,
		Secret: a.notifySecret, Logger: a.log,
	}
	ro.IncomingExtension = a.incomingExtension
	if cfg.SMS.SIPMessage {
		ro.Directory, ro.SIP = sipExtensions{a}, a.sip
	}
	if s.router, err = messaging.New(ro); err != nil {
		return fmt.Errorf("messaging: %w", err)
	}
	a.sip.SetMessageSink(s.router)
	s.ctx = ctx
	if cfg.GSM.Device != "" {
		s.openModem(cfg.GSM, a.opts.Clock, a.log)
	}
	s.goRun("message router", a.log, func() error { return s.router.Run(ctx) })
	if b, ok := a.board.(*sim.Board); ok {
		if err := s.serveSim(ctx, cfg, b, a.log); err != nil {
			a.log.Warn("sim board control socket not started", "err", err)
		}
	}
	return nil
}

// incomingExtension is the application of sms.incoming_extension in the
// running config, read per message: a reload that changes the extension's
// url or notify_secret applies to the next IncomingSMS.
func (a *App) incomingExtension() messaging.IncomingHook {
	cfg := a.Config()
	if e, ok := cfg.Extension(cfg.SMS.IncomingExtension); ok {
		return messaging.IncomingHook{URL: e.URL, Secret: []byte(e.NotifySecret)}
	}
	return messaging.IncomingHook{}
}

// openMail opens the mail queue with the relay of the smtp section.
func openMail(cfg config.Config, log *slog.Logger) (*mailq.Queue, error) {
	relay, err := mailRelay(cfg.SMTP)
	if err != nil {
		return nil, err
	}
	q, err := mailq.Open(mailq.Options{Dir: cfg.MailDir(), From: cfg.SMTP.From, AttachmentRoot: cfg.DataDir, Logger: log, Relay: relay})
	if err != nil {
		return nil, fmt.Errorf("mail queue: %w", err)
	}
	return q, nil
}

// mailRelay is the relay of the smtp section (none without a host).
func mailRelay(c config.SMTP) (mailq.Relay, error) {
	if c.Host == "" {
		return mailq.Relay{}, nil
	}
	sec, err := mailq.ParseSecurity(c.Security)
	if err != nil {
		return mailq.Relay{}, fmt.Errorf("smtp.security: %w", err)
	}
	return mailq.Relay{Host: c.Host, Port: c.Port, Security: sec, Username: c.Username, Password: c.Password}, nil
}

// openModem opens the modem of g, attaches it to the router and starts
// its health poll. A modem that fails to open is logged and shown on
// /health; SMS to phone numbers are then off, the rest runs (like the
// board).
func (s *services) openModem(g config.GSM, clock pbx.Clock, log *slog.Logger) {
	m, err := s.router.OpenModem(s.ctx, g, log)
	s.modemMu.Lock()
	defer s.modemMu.Unlock()
	if err != nil {
		log.Error("GSM modem unavailable; SMS to phone numbers disabled", "device", g.Device, "err", err)
		s.modemDown = &api.ModemStatus{Device: g.Device, RSSI: 99, Error: err.Error()}
		return
	}
	h := newModemHealth(m.Modem, g.Device, g.HealthInterval, clock)
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.run(ctx)
	}()
	s.modem, s.health, s.modemDown, s.stopHealth, s.healthDone = m, h, nil, cancel, done
}

// closeModem stops the health poll and closes the modem, if open.
func (s *services) closeModem(log *slog.Logger) {
	s.modemMu.Lock()
	m, stop, done := s.modem, s.stopHealth, s.healthDone
	s.modem, s.health, s.modemDown, s.stopHealth, s.healthDone = nil, nil, nil, nil, nil
	s.modemMu.Unlock()
	if m == nil {
		return
	}
	stop()
	<-done
	if err := m.Close(); err != nil {
		log.Debug("closing the GSM modem", "err", err)
	}
}

// modemStatus is the modem's health for /health (nil without a modem).
func (s *services) modemStatus() *api.ModemStatus {
	s.modemMu.Lock()
	defer s.modemMu.Unlock()
	switch {
	case s.health != nil:
		return s.health.status()
	case s.modemDown != nil:
		st := *s.modemDown
		return &st
	}
	return nil
}

// attachedModem is the open modem (nil when none).
func (s *services) attachedModem() *messaging.AttachedModem {
	s.modemMu.Lock()
	defer s.modemMu.Unlock()
	return s.modem
}

// serveSim serves the sim board's control socket on a free loopback port
// and writes its address to SimControlFile in the data dir.
func (s *services) serveSim(ctx context.Context, cfg config.Config, b *sim.Board, log *slog.Logger) error {
	ln, err := simctl.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	if err := config.WriteFileAtomic(filepath.Join(cfg.DataDir, SimControlFile), []byte(addr+"\n"), 0o600); err != nil {
		ln.Close()
		return err
	}
	s.simAddr = addr
	s.goRun("sim control", log, func() error { return simctl.Serve(ctx, ln, b, log) })
	log.Info("sim board control socket", "addr", addr)
	return nil
}

func (s *services) goRun(name string, log *slog.Logger, run func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := run(); err != nil && !errors.Is(err, context.Canceled) {
			log.Error(name+" stopped", "err", err)
		}
	}()
}

// stop ends the workers and closes the modem, once.
func (s *services) stop(log *slog.Logger) {
	s.once.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		s.closeModem(log)
	})
}

// reloadServices applies cfg, the config being reloaded (SIGHUP), to the
// services: the address books are read again, a changed smtp section
// becomes the mail queue's relay (queued mail is kept and tried through
// it) and a changed gsm section reopens the modem.
func (a *App) reloadServices(cfg config.Config) {
	s, old, log := &a.svc, a.Config(), a.log
	if s.books != nil {
		if err := s.books.Reload(); err != nil {
			log.Warn("address books not reloaded", "err", err)
		}
	}
	if s.mail != nil && old.SMTP != cfg.SMTP {
		if relay, err := mailRelay(cfg.SMTP); err != nil {
			log.Error("reload: SMTP relay not changed", "err", err)
		} else {
			s.mail.SetRelay(relay, cfg.SMTP.From)
		}
	}
	if s.router != nil && old.GSM != cfg.GSM {
		log.Info("reload: reopening the GSM modem", "device", cfg.GSM.Device)
		s.closeModem(log)
		if cfg.GSM.Device != "" {
			s.openModem(cfg.GSM, a.opts.Clock, log)
		}
	}
}

// notifySecret is the notify_secret of an API user of the running config.
func (a *App) notifySecret(user string) []byte {
	for _, u := range a.Config().API.Users {
		if u.Username == user && u.NotifySecret != "" {
			return []byte(u.NotifySecret)
		}
	}
	return nil
}

// sipExtensions tells the message router which numbers are SIP phones
// and whether they are registered.
type sipExtensions struct{ a *App }

func (e sipExtensions) SIPExtension(number string) (exists, registered bool) {
	for _, x := range e.a.Config().Extensions {
		if x.Number == number && x.Kind == config.KindSIP {
			return true, len(e.a.sip.Registrar().Lookup(number)) > 0
		}
	}
	return false, false
}

// apiBooks adapts the address-book store to the API.
type apiBooks struct{ s *addressbook.Store }

func (b apiBooks) AddressbookNames() []string { return b.s.Names() }

func (b apiBooks) AddressbookContacts(name string) ([]api.Contact, bool) {
	cs, ok := b.s.Contacts(name)
	if !ok {
		return nil, false
	}
	out := make([]api.Contact, len(cs))
	for i, c := range cs {
		out[i] = api.Contact{Name: c.Name, PhoneNumber: c.PhoneNumber, Mobile: c.Mobile, Email: c.Email}
	}
	return out, true
}

// apiServices fills the API options the services serve; a missing
// service stays a nil interface (the API answers 501).
func (a *App) apiServices(o *api.Options) {
	s := &a.svc
	if s.books != nil {
		o.Addressbooks = apiBooks{s.books}
	}
	if s.mail != nil {
		o.Mail = s.mail
	}
	if s.router != nil {
		o.Messages = s.router
	}
	if s.inbox != nil {
		o.Inbox = s.inbox
	}
}

// SimControlAddr is the sim board's control socket ("" when the board is
// not the sim board).
func (a *App) SimControlAddr() string { return a.svc.simAddr }

// ReadSimControlAddr reads the control socket address a running appliance
// with data dir dataDir wrote.
func ReadSimControlAddr(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, SimControlFile))
	if err != nil {
		return "", fmt.Errorf("sim control socket: %w (is gatepbx running with board sim?)", err)
	}
	return strings.TrimSpace(string(b)), nil
}
