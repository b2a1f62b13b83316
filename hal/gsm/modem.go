package gsm

import (
	"context"
	"encoding/hex"

	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
)

// Options configure a Modem.
type Options struct {
	// CommandTimeout bounds ordinary commands (10 s when 0), SendTimeout
	// one AT+CMGS (60 s when 0: the network can be slow).
	CommandTimeout, SendTimeout time.Duration
	// SMSC is the service centre number put in every SMS-SUBMIT; "" uses
	// the one stored on the SIM.
	SMSC string
	// Validity is the relative validity period asked for (1 day when 0).
	Validity time.Duration
	// MaxParts bounds a concatenated message (10 when 0).
	MaxParts int
	// OnMessage receives every incoming SMS, parts reassembled; OnReport
	// every status report. Both run on the modem's worker goroutine, one
	// at a time, and should return quickly.
	OnMessage func(Message)
	OnReport  func(Report)
	Logger    *slog.Logger
	// Now stamps Health.Checked (time.Now when nil).
	Now func() time.Time
}

// Message is a received SMS.
type Message struct {
	From  string // "+" and digits, national digits, or an alphanumeric name
	Text  string
	Time  time.Time // the service centre's time stamp
	SMSC  string
	Parts int // how many SMS it came in
	// Incomplete is set when parts were missing and the message was given
	// up waiting for them; Text holds the parts that came.
	Incomplete bool
}

// Report is a delivery (status) report for a message we sent.
type Report struct {
	Ref       uint8 // the reference Send returned for the part
	Recipient string
	Status    uint8 // TP-ST: 0-2 delivered, 0x20-0x3F still trying, others failed
	Delivered bool
	Final     bool      // the service centre has stopped trying
	Time      time.Time // when the service centre took the message
	Discharge time.Time // when Status was reached
}

// Registration is the network registration state (+CREG).
type Registration int

// The states of 3GPP TS 27.007 +CREG.
const (
	NotRegistered Registration = 0
	Home          Registration = 1
	Searching     Registration = 2
	Denied        Registration = 3
	Unknown       Registration = 4
	Roaming       Registration = 5
)

var registrationNames = []string{"not registered", "home", "searching", "denied", "unknown", "roaming"}

func (r Registration) String() string {
	if r >= 0 && int(r) < len(registrationNames) {
		return registrationNames[r]
	}
	return "Registration(" + strconv.Itoa(int(r)) + ")"
}

// Registered reports whether the modem can send (home or roaming).
func (r Registration) Registered() bool { return r == Home || r == Roaming }

// Health is the modem's state as the API shows it.
type Health struct {
	RSSI         int // 0-31, 99 when unknown (+CSQ)
	SignalDBm    int // -113..-51, 0 when unknown
	Registration Registration
	Operator     string
	Checked      time.Time // when it was last asked (zero: never)
}

func dBm(rssi int) int {
	if rssi < 0 || rssi > 31 {
		return 0
	}
	return -113 + 2*rssi
}

// Modem is an open GSM modem. Its methods are safe for concurrent use.
type Modem struct {
	port   io.ReadWriteCloser
	opts   Options
	log    *slog.Logger
	at     *engine
	urcs   chan urc
	ctx    context.Context // ends at Close; the worker's commands use it
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once

	mu        sync.Mutex
	health    Health
	concatRef uint8
	parts     *reassembler
}

// urcQueue bounds unsolicited codes waiting for the worker; beyond it they
// are dropped (stored messages are still found at the next Open).
const urcQueue = 64

// Open takes over a modem on port (a serial port from package serial, a
// pseudo-terminal, or any byte stream), initialises it and reads the
// messages it stored. The Modem owns port and closes it.
func Open(ctx context.Context, port io.ReadWriteCloser, opts Options) (*Modem, error) {
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 10 * time.Second
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = time.Minute
	}
	if opts.Validity <= 0 {
		opts.Validity = 24 * time.Hour
	}
	if opts.MaxParts <= 0 {
		opts.MaxParts = 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Modem{
		port:  port,
		opts:  opts,
		log:   opts.Logger.With("component", "gsm"),
		urcs:  make(chan urc, urcQueue),
		parts: newReassembler(32),
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.health.RSSI = 99
	// Start concatenation references somewhere new each time, so parts of
	// messages sent before a restart never merge with new ones.
	m.concatRef = uint8(opts.Now().UnixNano() >> 10)
	m.at = newEngine(port, m.log, m.queueURC)
	m.wg.Add(2)
	go func() { defer m.wg.Done(); m.at.read() }()
	go func() { defer m.wg.Done(); m.work() }()
	if err := m.init(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func (m *Modem) queueURC(u urc) {
	// Status codes are applied here, on the reader, so they keep their
	// order with the command answers around them: a +CREG read before
	// the answer to AT+CREG? must not overwrite that answer later.
	if m.updateHealth(u) {
		return
	}
	select {
	case m.urcs <- u:
	default:
		m.log.Warn("unsolicited code dropped, worker busy", "code", u.name)
	}
}

// cmd runs an ordinary command.
func (m *Modem) cmd(ctx context.Context, cmd, prefix string) ([]string, error) {
	return m.at.do(ctx, cmd, prefix, "", m.opts.CommandTimeout)
}

func (m *Modem) init(ctx context.Context) error {
	// A modem fresh from power-up or mid-garbage may miss the first AT.
	var err error
	for range 3 {
		if _, err = m.at.do(ctx, "AT", "", "", min(m.opts.CommandTimeout, 2*time.Second)); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("gsm: no modem answering: %w", err)
	}
	for _, c := range []string{"ATE0", "AT+CMEE=1", "AT+CMGF=0", "AT+CNMI=2,1,0,1,0", "AT+CREG=1"} {
		if _, err := m.cmd(ctx, c, ""); err != nil {
			return fmt.Errorf("gsm: initialising: %w", err)
		}
	}
	if _, err := m.Health(ctx); err != nil {
		m.log.Warn("modem health unknown", "err", err)
	}
	lines, err := m.cmd(ctx, "AT+CMGL=4", "+CMGL:")
	if err != nil {
		m.log.Warn("cannot list stored messages", "err", err)
		return nil
	}
	for i := 0; i+1 < len(lines); i++ {
		if rest, ok := strings.CutPrefix(lines[i], "+CMGL:"); ok {
			idx, _, _ := strings.Cut(strings.TrimSpace(rest), ",")
			m.queueURC(urc{name: "stored", args: idx, pdu: lines[i+1]})
			i++
		}
	}
	return nil
}

// work handles unsolicited codes one at a time until Close.
func (m *Modem) work() {
	for {
		select {
		case <-m.ctx.Done():
			return
		case u := <-m.urcs:
			m.handleURC(m.ctx, u)
		}
	}
}

func (m *Modem) handleURC(ctx context.Context, u urc) {
	switch u.name {
	case "+CMT", "+CDS":
		m.handlePDU(u.pdu)
	case "+CMTI", "+CDSI": // "SM",3
		_, idx, ok := strings.Cut(u.args, ",")
		if !ok {
			m.log.Warn("malformed indication", "code", u.name, "args", u.args)
			return
		}
		m.readStored(ctx, strings.TrimSpace(idx))
	case "stored": // listed by AT+CMGL at Open
		m.handlePDU(u.pdu)
		m.deleteStored(ctx, u.args)
	}
}

// updateHealth applies an unsolicited +CREG or +CSQ to the cached health
// and reports whether u was one of them.
func (m *Modem) updateHealth(u urc) bool {
	switch u.name {
	case "+CREG": // stat[,lac,ci[,act]]; answers to AT+CREG? never get here
		f, _, _ := strings.Cut(u.args, ",")
		if stat, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			m.mu.Lock()
			m.health.Registration = Registration(stat)
			m.mu.Unlock()
			m.log.Info("network registration", "state", Registration(stat))
		}
	case "+CSQ":
		rssi, _, _ := strings.Cut(u.args, ",")
		if v, err := strconv.Atoi(strings.TrimSpace(rssi)); err == nil {
			m.mu.Lock()
			m.health.RSSI, m.health.SignalDBm = v, dBm(v)
			m.mu.Unlock()
		}
	default:
		return false
	}
	return true
}

// readStored reads a stored message or report by index, handles and
// deletes it.
func (m *Modem) readStored(ctx context.Context, idx string) {
	if _, err := strconv.Atoi(idx); err != nil {
		m.log.Warn("bad storage index", "index", idx)
		return
	}
	lines, err := m.cmd(ctx, "AT+CMGR="+idx, "+CMGR:")
	if err != nil {
		m.log.Warn("cannot read stored message", "index", idx, "err", err)
		return
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "+CMGR:") && i+1 < len(lines) {
			m.handlePDU(lines[i+1])
			break
		}
	}
	m.deleteStored(ctx, idx)
}

func (m *Modem) deleteStored(ctx context.Context, idx string) {
	if _, err := m.cmd(ctx, "AT+CMGD="+idx, ""); err != nil {
		m.log.Warn("cannot delete stored message", "index", idx, "err", err)
	}
}

// handlePDU decodes a hex PDU from the modem and passes it on.
func (m *Modem) handlePDU(h string) {
	b, err := hex.DecodeString(strings.TrimSpace(h))
	if err != nil {
		m.log.Warn("PDU is not hex", "err", err)
		return
	}
	v, err := pdu.Decode(b)
	if err != nil {
		m.log.Warn("undecodable PDU", "err", err, "pdu", h)
		return
	}
	switch p := v.(type) {
	case *pdu.Deliver:
		for _, msg := range m.parts.add(p) {
			m.log.Info("SMS received", "from", msg.From, "parts", msg.Parts)
			if m.opts.OnMessage != nil {
				m.opts.OnMessage(msg)
			}
		}
	case *pdu.StatusReport:
		r := Report{Ref: p.Ref, Recipient: p.Recipient, Status: p.Status, Delivered: p.Delivered(),
			Final: p.Final(), Time: p.Time, Discharge: p.Discharge}
		m.log.Info("SMS status report", "ref", r.Ref, "to", r.Recipient, "status", r.Status)
		if m.opts.OnReport != nil {
			m.opts.OnReport(r)
		}
	default:
		m.log.Debug("ignoring PDU", "type", fmt.Sprintf("%T", v))
	}
}

// SendOptions tune one Send.
type SendOptions struct {
	Encoding pdu.Encoding // Auto: GSM 7-bit when possible, else UCS-2
	Report   bool         // ask for delivery reports
}

// Send sends text to the number to ("+" for international; spaces, dashes,
// dots and brackets are ignored) and returns the message reference of
// each part, in order. Errors wrap pdu.ErrAddress, pdu.ErrCharset or
// pdu.ErrTooLong when the message cannot be encoded (nothing was sent),
// *ATError or ErrTimeout when the modem refused or did not answer; in that
// case refs holds the parts sent before.
func (m *Modem) Send(ctx context.Context, to, text string, o SendOptions) (refs []uint8, err error) {
	to = strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -.()/", r) {
			return -1
		}
		return r
	}, to)
	enc, parts, err := pdu.Split(text, o.Encoding, m.opts.MaxParts)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.concatRef++
	ref := m.concatRef
	m.mu.Unlock()
	type encoded struct {
		hex string
		n   int
	}
	var out []encoded
	for i, p := range parts {
		s := pdu.Submit{SMSC: m.opts.SMSC, To: to, RequestReport: o.Report, Validity: m.opts.Validity, Encoding: enc, Text: p}
		if len(parts) > 1 {
			s.Concat = pdu.Concat{Ref: uint16(ref), Total: uint8(len(parts)), Seq: uint8(i + 1)}
		}
		b, n, err := s.Encode()
		if err != nil {
			return nil, err
		}
		out = append(out, encoded{strings.ToUpper(hex.EncodeToString(b)), n})
	}
	for i, p := range out {
		lines, err := m.at.do(ctx, "AT+CMGS="+strconv.Itoa(p.n), "+CMGS:", p.hex, m.opts.SendTimeout)
		if err != nil {
			return refs, fmt.Errorf("part %d of %d: %w", i+1, len(out), err)
		}
		mr := -1
		for _, l := range lines {
			if rest, ok := strings.CutPrefix(l, "+CMGS:"); ok {
				v, _, _ := strings.Cut(strings.TrimSpace(rest), ",")
				if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 255 {
					mr = n
				}
			}
		}
		if mr < 0 {
			return refs, fmt.Errorf("gsm: part %d of %d: no message reference in %q", i+1, len(out), lines)
		}
		refs = append(refs, uint8(mr))
	}
	m.log.Info("SMS sent", "to", to, "parts", len(refs), "refs", refs)
	return refs, nil
}

// Health asks the modem for signal, registration and operator, and
// caches the answer for Status.
func (m *Modem) Health(ctx context.Context) (Health, error) {
	h := Health{RSSI: 99}
	lines, err := m.cmd(ctx, "AT+CSQ", "+CSQ:")
	if err != nil {
		return m.Status(), err
	}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "+CSQ:"); ok {
			v, _, _ := strings.Cut(strings.TrimSpace(rest), ",")
			if n, err := strconv.Atoi(v); err == nil {
				h.RSSI = n
			}
		}
	}
	h.SignalDBm = dBm(h.RSSI)
	lines, err = m.cmd(ctx, "AT+CREG?", "+CREG:")
	if err != nil {
		return m.Status(), err
	}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "+CREG:"); ok {
			f := strings.Split(rest, ",")
			if len(f) >= 2 {
				if n, err := strconv.Atoi(strings.TrimSpace(f[1])); err == nil {
					h.Registration = Registration(n)
				}
			}
		}
	}
	if lines, err := m.cmd(ctx, "AT+COPS?", "+COPS:"); err == nil {
		for _, l := range lines {
			if rest, ok := strings.CutPrefix(l, "+COPS:"); ok {
				if f := strings.Split(rest, ","); len(f) >= 3 {
					h.Operator = strings.Trim(strings.TrimSpace(f[2]), `"`)
				}
			}
		}
	}
	h.Checked = m.opts.Now()
	m.mu.Lock()
	m.health = h
	m.mu.Unlock()
	return h, nil
}

// Command runs a raw AT command (for diagnostics, or a command this
// package does not wrap) and returns its information lines: those
// starting with prefix, and unprefixed ones.
func (m *Modem) Command(ctx context.Context, cmd, prefix string) ([]string, error) {
	return m.cmd(ctx, cmd, prefix)
}

// Status returns the last known health without asking the modem: the
// latest Health answer updated by unsolicited +CREG and +CSQ.
func (m *Modem) Status() Health {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.health
}

// Close stops the goroutines and closes the port.
func (m *Modem) Close() error {
	var err error
	m.closed.Do(func() {
		m.cancel()
		err = m.port.Close()
		m.wg.Wait()
	})
	return err
}
