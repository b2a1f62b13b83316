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
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/hal/sim/simctl"
)

// services are the appliance's parts beside calls: address books, the
// mail queue, the message store and router with the GSM modem, and the
// sim board's control socket. Each runs until stop.
type services struct {
	books  *addressbook.Store
	mail   *mailq.Queue // nil without smtp.host
	inbox  *inbox.Store
	router *messaging.Router
	modem  *messaging.AttachedModem // nil without gsm.device
	// simAddr is the sim board's control socket ("" without a sim board).
	simAddr string

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
	if cfg.SMTP.Host != "" {
		if s.mail, err = openMail(cfg, a.log); err != nil {
			return err
		}
		s.goRun("mail queue", a.log, func() error { return s.mail.Run(ctx) })
	}
	ro := messaging.Options{
		Store: s.inbox, ModemPrefixes: cfg.SMS.ModemPrefixes, Notifier: a.notify, IncomingURL: cfg.SMS.IncomingURL,
		Secret: a.notifySecret, Logger: a.log,
	}
	if cfg.SMS.SIPMessage {
		ro.Directory, ro.SIP = sipExtensions{a}, a.sip
	}
	if s.router, err = messaging.New(ro); err != nil {
		return fmt.Errorf("messaging: %w", err)
	}
	a.sip.SetMessageSink(s.router)
	if cfg.GSM.Device != "" {
		if s.modem, err = s.router.OpenModem(ctx, cfg.GSM, a.log); err != nil {
			// Like the board: SMS through the modem are off, the rest runs.
			a.log.Error("GSM modem unavailable; SMS to phone numbers disabled", "device", cfg.GSM.Device, "err", err)
			s.modem = nil
		}
	}
	s.goRun("message router", a.log, func() error { return s.router.Run(ctx) })
	if b, ok := a.board.(*sim.Board); ok {
		if err := s.serveSim(ctx, cfg, b, a.log); err != nil {
			a.log.Warn("sim board control socket not started", "err", err)
		}
	}
	return nil
}

// openMail opens the mail queue of the smtp section.
func openMail(cfg config.Config, log *slog.Logger) (*mailq.Queue, error) {
	sec, err := mailq.ParseSecurity(cfg.SMTP.Security)
	if err != nil {
		return nil, fmt.Errorf("smtp.security: %w", err)
	}
	q, err := mailq.Open(mailq.Options{
		Dir: cfg.MailDir(), From: cfg.SMTP.From, AttachmentRoot: cfg.DataDir, Logger: log,
		Relay: mailq.Relay{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Security: sec, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password},
	})
	if err != nil {
		return nil, fmt.Errorf("mail queue: %w", err)
	}
	return q, nil
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
		if s.modem != nil {
			if err := s.modem.Close(); err != nil {
				log.Debug("closing the GSM modem", "err", err)
			}
		}
	})
}

// reload re-reads the address books (SIGHUP).
func (s *services) reload(log *slog.Logger) {
	if s.books == nil {
		return
	}
	if err := s.books.Reload(); err != nil {
		log.Warn("address books not reloaded", "err", err)
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
