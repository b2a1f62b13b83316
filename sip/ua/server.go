package ua

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/digest"
	"github.com/gatepbx/gatepbx/sip/overload"
	"github.com/gatepbx/gatepbx/sip/ratelimit"
	"github.com/gatepbx/gatepbx/sip/registrar"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// Allow and Supported are advertised in OPTIONS answers and dialogs.
const (
	allowMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REGISTER, REFER, NOTIFY, MESSAGE"
	supported    = "replaces"
	acceptTypes  = "application/sdp, application/dtmf-relay, application/dtmf"
)

// Directory tells the user agent which SIP extensions exist and their
// passwords. The call core supplies it; it may change on a config reload.
type Directory interface {
	SIPPassword(number string) (password string, ok bool)
	DisplayName(number string) string
}

// CallHandler receives every authenticated new call. It must return quickly
// (start the call's own goroutine); the leg is then owned by the handler.
type CallHandler interface {
	IncomingCall(leg *InboundLeg)
}

// Listeners are the sockets the user agent serves; nil ones are disabled.
// The caller opens them so that tests can use OS-assigned ports.
type Listeners struct {
	UDP *net.UDPConn
	TCP net.Listener
	TLS net.Listener // already wrapped with tls.NewListener
}

// Close closes every listener that is set.
func (l Listeners) Close() {
	if l.UDP != nil {
		l.UDP.Close()
	}
	if l.TCP != nil {
		l.TCP.Close()
	}
	if l.TLS != nil {
		l.TLS.Close()
	}
}

// Options configure a user agent.
type Options struct {
	Logger      *slog.Logger
	Listeners   Listeners
	Advertise   netip.Addr // address written into Via, Contact and SDP
	UserAgent   string
	Realm       string
	Algorithms  []string
	NonceLife   time.Duration
	AuthLimit   int
	AuthWindow  time.Duration
	MinExpires  int
	MaxExpires  int
	DefExpires  int
	Codecs      []sdp.Format // what we accept, in preference order
	Ports       *relay.PortPool
	Directory   Directory
	Handler     CallHandler
	Now         func() time.Time
	TLSConfig   *tls.Config // client side for TLS legs we originate
	MaxContacts int
	// SRTP is the SRTP policy of each extension's phone (nil: optional
	// for all); SetSRTPPolicy replaces it.
	SRTP func(number string) SRTPPolicy
	// Messages takes the SIP MESSAGEs phones send (nil: refused with
	// 405); SetMessageSink replaces it.
	Messages MessageSink
	// MaxTransactions is how many live server transactions there may be
	// before new UDP requests are answered 503 (package overload); 0:
	// overload.DefaultMax of the process's soft memory limit, negative:
	// no maximum. SetMaxTransactions changes it.
	MaxTransactions int
	// MaxConnections caps the open TCP and TLS connections, each
	// listener on its own, half of them at most from one address
	// (overload.ConnLimiter); 0: overload.DefaultMaxConnections of the
	// soft memory limit, negative: no maximum. SetMaxConnections changes
	// it.
	MaxConnections int
}

// Server is the SIP user agent of the appliance.
type Server struct {
	log       *slog.Logger
	opts      Options
	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	dialogUAs map[string]*sipgo.DialogUA // by transport: "UDP", "TCP", "TLS"
	auth      *digest.Server
	limiter   *ratelimit.Limiter
	guard     *overload.Guard
	connCaps  []*overload.ConnLimiter // the TCP and TLS listeners' caps
	reg       *registrar.Registrar
	directory atomic.Pointer[Directory]
	srtpFunc  atomic.Pointer[func(number string) SRTPPolicy]
	messages  atomic.Pointer[MessageSink]
	trunks    atomic.Pointer[TrunkMatcher] // SetTrunkMatcher (trunk.go)

	mu      sync.Mutex
	dialogs map[string]dialogLeg // sipgo dialog ID → leg

	closing atomic.Bool
	ctx     context.Context
	cancel  context.CancelFunc
	serveWG sync.WaitGroup
}

// dialogLeg is what in-dialog requests are dispatched to.
type dialogLeg interface {
	onAck(req *sip.Request, tx sip.ServerTransaction)
	onBye(req *sip.Request, tx sip.ServerTransaction)
	onReInvite(req *sip.Request, tx sip.ServerTransaction)
	onInfo(req *sip.Request, tx sip.ServerTransaction)
	onRefer(req *sip.Request, tx sip.ServerTransaction)
	onNotify(req *sip.Request, tx sip.ServerTransaction)
	confirmed() bool // answered and not ended
}

// New builds the user agent; Serve starts it.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if !o.Advertise.IsValid() {
		return nil, errors.New("ua: advertise address is required")
	}
	if o.Ports == nil || o.Directory == nil || o.Handler == nil {
		return nil, errors.New("ua: port pool, directory and handler are required")
	}
	if len(o.Codecs) == 0 {
		o.Codecs = []sdp.Format{sdp.PCMU, sdp.PCMA, sdp.TelephoneEvent}
	}
	if o.MinExpires <= 0 {
		o.MinExpires = 60
	}
	if o.MaxExpires < o.MinExpires {
		o.MaxExpires = 3600
	}
	if o.DefExpires < o.MinExpires || o.DefExpires > o.MaxExpires {
		o.DefExpires = o.MinExpires
	}
	if o.UserAgent == "" {
		o.UserAgent = "gatepbx"
	}
	auth, err := digest.NewServer(digest.Options{Realm: o.Realm, Algorithms: o.Algorithms, NonceLifetime: o.NonceLife, Now: o.Now})
	if err != nil {
		return nil, fmt.Errorf("ua: digest: %w", err)
	}
	host := o.Advertise.String()
	var connCaps []*overload.ConnLimiter
	for _, l := range []*net.Listener{&o.Listeners.TCP, &o.Listeners.TLS} {
		if *l != nil {
			c := overload.LimitConnections(*l, maxConnections(o.MaxConnections), o.Logger, o.Now)
			connCaps = append(connCaps, c)
			*l = c
		}
	}
	guard := overload.New(overload.Options{Max: maxTransactions(o.MaxTransactions), Server: o.UserAgent, Send: udpSender(o.Listeners.UDP), Logger: o.Logger, Now: o.Now})
	uaOpts := []sipgo.UserAgentOption{sipgo.WithUserAgent(o.UserAgent), sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerReadFilter(guard.Filter))}
	if o.TLSConfig != nil {
		uaOpts = append(uaOpts, sipgo.WithUserAgenTLSConfig(o.TLSConfig))
	}
	sua, err := sipgo.NewUA(uaOpts...)
	if err != nil {
		return nil, fmt.Errorf("ua: new user agent: %w", err)
	}
	srv, err := sipgo.NewServer(sua, sipgo.WithServerLogger(o.Logger.With("sip", "server")))
	if err != nil {
		sua.Close()
		return nil, fmt.Errorf("ua: new server: %w", err)
	}
	s := &Server{
		log: o.Logger, opts: o, ua: sua, srv: srv,
		dialogUAs: map[string]*sipgo.DialogUA{},
		auth:      auth,
		limiter:   ratelimit.New(o.AuthLimit, o.AuthWindow, o.Now),
		guard:     guard,
		connCaps:  connCaps,
		reg:       registrar.New(registrar.Options{MaxContactsPerAOR: o.MaxContacts, Now: o.Now}),
		dialogs:   map[string]dialogLeg{},
	}
	dir := o.Directory
	s.directory.Store(&dir)
	s.SetSRTPPolicy(o.SRTP)
	s.SetMessageSink(o.Messages)
	if err := s.makeDialogUAs(); err != nil {
		sua.Close()
		return nil, err
	}
	srv.OnRegister(s.tracked(s.handleRegister))
	srv.OnInvite(s.tracked(s.handleInvite))
	srv.OnAck(s.tracked(s.handleAck))
	srv.OnBye(s.tracked(s.handleBye))
	srv.OnOptions(s.tracked(s.handleOptions))
	srv.OnInfo(s.tracked(s.handleInfo))
	srv.OnMessage(s.tracked(s.handleMessage))
	srv.OnRefer(s.tracked(func(req *sip.Request, tx sip.ServerTransaction) { s.inDialog(req, tx, dialogLeg.onRefer) }))
	srv.OnNotify(s.tracked(func(req *sip.Request, tx sip.ServerTransaction) { s.inDialog(req, tx, dialogLeg.onNotify) }))
	srv.OnCancel(s.tracked(func(req *sip.Request, tx sip.ServerTransaction) {
		// Matched CANCELs are answered by the transaction layer; this one matched nothing.
		s.respond(req, tx, 481, "Call/Transaction Does Not Exist")
	}))
	srv.OnNoRoute(s.tracked(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil)
		res.AppendHeader(sip.NewHeader("Allow", allowMethods))
		s.send(tx, res)
	}))
	return s, nil
}

// tracked counts h's transactions in the overload guard until they end.
func (s *Server) tracked(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if stx, ok := tx.(*sip.ServerTx); !ok || stx != nil { // sipgo passes a nil *ServerTx when it has none
			s.guard.Track(req, tx)
		}
		h(req, tx)
	}
}

// maxTransactions resolves Options.MaxTransactions (see limit).
func maxTransactions(n int) int { return limit(n, overload.DefaultMax) }

// maxConnections resolves Options.MaxConnections (see limit).
func maxConnections(n int) int { return limit(n, overload.DefaultMaxConnections) }

// limit resolves a configured maximum: 0 is auto's value for the
// process's soft memory limit, negative is none (0 to package overload).
func limit(n int, auto func(memLimit int64) int) int {
	switch {
	case n == 0:
		return auto(debug.SetMemoryLimit(-1))
	case n < 0:
		return 0
	}
	return n
}

// SetMaxConnections changes Options.MaxConnections (config reload).
func (s *Server) SetMaxConnections(n int) {
	for _, c := range s.connCaps {
		c.SetMax(maxConnections(n))
	}
}

// Connections is the TCP and TLS connections open, and those closed at
// once for being over the cap, summed over the listeners.
func (s *Server) Connections() (open int, rejected uint64) {
	for _, c := range s.connCaps {
		open += c.Open()
		rejected += c.Rejected()
	}
	return open, rejected
}

// udpSender writes the guard's stateless answers from the UDP listener,
// so they come from the port the phone sent to.
func udpSender(c *net.UDPConn) func([]byte, net.Addr) error {
	if c == nil {
		return nil
	}
	return func(b []byte, to net.Addr) error {
		_, err := c.WriteTo(b, to)
		return err
	}
}

// SetMaxTransactions changes Options.MaxTransactions (config reload).
func (s *Server) SetMaxTransactions(n int) { s.guard.SetMax(maxTransactions(n)) }

// Transactions is the server transactions the overload guard counts as
// live, and the requests it has turned away, as Connections is for
// connections.
func (s *Server) Transactions() (live int, rejected uint64) {
	return s.guard.Live(), s.guard.Rejected()
}

func (s *Server) makeDialogUAs() error {
	host := s.opts.Advertise.String()
	add := func(transport string, port int, pin bool) error {
		copts := []sipgo.ClientOption{sipgo.WithClientHostname(host), sipgo.WithClientLogger(s.log.With("sip", "client"))}
		if port > 0 {
			copts = append(copts, sipgo.WithClientPort(port))
		}
		if pin {
			// Requests leave from the UDP listener so phones see our registered port.
			copts = append(copts, sipgo.WithClientConnectionAddr(s.opts.Listeners.UDP.LocalAddr().String()))
		}
		cli, err := sipgo.NewClient(s.ua, copts...)
		if err != nil {
			return fmt.Errorf("ua: client %s: %w", transport, err)
		}
		contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "gatepbx", Host: host, Port: port}}
		if transport != "UDP" {
			contact.Address.UriParams = sip.NewParams()
			contact.Address.UriParams.Add("transport", strings.ToLower(transport))
		}
		s.dialogUAs[transport] = &sipgo.DialogUA{Client: cli, ContactHDR: contact}
		return nil
	}
	l := s.opts.Listeners
	if l.UDP != nil {
		if err := add("UDP", l.UDP.LocalAddr().(*net.UDPAddr).Port, true); err != nil {
			return err
		}
	}
	if l.TCP != nil {
		if err := add("TCP", l.TCP.Addr().(*net.TCPAddr).Port, false); err != nil {
			return err
		}
	}
	if l.TLS != nil {
		if err := add("TLS", l.TLS.Addr().(*net.TCPAddr).Port, false); err != nil {
			return err
		}
	}
	if len(s.dialogUAs) == 0 {
		return errors.New("ua: no SIP transport enabled")
	}
	return nil
}

// Serve starts serving every listener; it returns at once. Close stops them.
func (s *Server) Serve(ctx context.Context) {
	s.ctx, s.cancel = context.WithCancel(ctx)
	l := s.opts.Listeners
	serve := func(name string, f func() error) {
		s.serveWG.Add(1)
		go func() {
			defer s.serveWG.Done()
			if err := f(); err != nil && !s.closing.Load() {
				s.log.Error("sip transport stopped", "transport", name, "err", err)
			}
		}()
	}
	if l.UDP != nil {
		serve("udp", func() error { return s.srv.ServeUDP(l.UDP) })
	}
	if l.TCP != nil {
		serve("tcp", func() error { return s.srv.ServeTCP(l.TCP) })
	}
	if l.TLS != nil {
		serve("tls", func() error { return s.srv.ServeTLS(l.TLS) })
	}
}

// SetDirectory swaps the extension directory (config reload).
func (s *Server) SetDirectory(d Directory) { s.directory.Store(&d) }

func (s *Server) dir() Directory { return *s.directory.Load() }

// Registrar exposes the location service (read-only use by the core).
func (s *Server) Registrar() *registrar.Registrar { return s.reg }

// StopAccepting makes new INVITEs get 503 (shutdown in progress).
func (s *Server) StopAccepting() { s.closing.Store(true) }

// Close stops the transports.
func (s *Server) Close() error {
	s.closing.Store(true)
	if s.cancel != nil {
		s.cancel()
	}
	s.opts.Listeners.Close()
	err := s.ua.Close()
	s.serveWG.Wait()
	return err
}

func (s *Server) addDialog(id string, l dialogLeg) {
	s.mu.Lock()
	s.dialogs[id] = l
	s.mu.Unlock()
}

func (s *Server) removeDialog(id string) {
	s.mu.Lock()
	delete(s.dialogs, id)
	s.mu.Unlock()
}

// findDialog locates the leg an in-dialog request belongs to, whichever
// side (UAS or UAC) we are in that dialog.
func (s *Server) findDialog(req *sip.Request) dialogLeg {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if l, ok := s.dialogs[id]; ok {
			return l
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if l, ok := s.dialogs[id]; ok {
			return l
		}
	}
	return nil
}

func (s *Server) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	s.send(tx, res)
}

func (s *Server) send(tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip respond failed", "code", res.StatusCode, "err", err)
	}
}

func (s *Server) handleOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	res.AppendHeader(sip.NewHeader("Accept", acceptTypes))
	res.AppendHeader(sip.NewHeader("Supported", "path, "+supported))
	s.send(tx, res)
}

func (s *Server) handleAck(req *sip.Request, tx sip.ServerTransaction) {
	if l := s.findDialog(req); l != nil {
		l.onAck(req, tx)
	}
}

func (s *Server) handleBye(req *sip.Request, tx sip.ServerTransaction) {
	s.inDialog(req, tx, dialogLeg.onBye)
}

func (s *Server) handleInfo(req *sip.Request, tx sip.ServerTransaction) {
	s.inDialog(req, tx, dialogLeg.onInfo)
}

// inDialog hands an in-dialog request to its leg, or answers 481.
func (s *Server) inDialog(req *sip.Request, tx sip.ServerTransaction, handle func(dialogLeg, *sip.Request, sip.ServerTransaction)) {
	l := s.findDialog(req)
	if l == nil {
		s.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	handle(l, req, tx)
}

// sourceAddr returns the packet source of a request.
func sourceAddr(req *sip.Request) netip.AddrPort {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// headerInt reads an integer header such as Expires; ok is false when absent or bad.
func headerInt(req *sip.Request, name string) (int, bool) {
	h := req.GetHeader(name)
	if h == nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func transportOf(req *sip.Request) string {
	t := strings.ToUpper(req.Transport())
	if t == "" {
		return "UDP"
	}
	return t
}
