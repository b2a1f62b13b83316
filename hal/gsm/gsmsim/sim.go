package gsmsim

import (
	"encoding/hex"

	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
)

// Options shape the simulated modem.
type Options struct {
	SMSC     string           // the service centre it reports ("+3620000000" when empty)
	Operator string           // +COPS name ("gatepbx sim" when empty)
	RSSI     int              // +CSQ signal 0-31 (20 when 0)
	Now      func() time.Time // time stamps (time.Now when nil)
	// Reports: status reports follow every accepted SMS that asks for
	// one, with ReportStatus (0: delivered).
	Reports      bool
	ReportStatus uint8
}

// CMS error codes the simulator uses (3GPP TS 27.005 §3.2.5).
const (
	CMSUnknown          = 500
	CMSInvalidPDU       = 304
	CMSInvalidIndex     = 321
	CMSNoNetworkService = 331
)

// Sim is a running simulated modem.
type Sim struct {
	opts Options
	ptmx *os.File // our side
	tty  *os.File // held open so the pty never hangs up
	done chan struct{}

	writeMu sync.Mutex // one response or URC at a time

	mu       sync.Mutex
	echo     bool
	cmee     int
	reg      int // +CREG stat
	cregN    int // +CREG URC mode
	rssi     int
	silent   bool
	rejects  map[string]int
	store    map[int][]byte // index -> PDU
	unread   map[int]bool
	nextIdx  int
	mr       uint8
	concat   uint8
	sent     []pdu.Submit
	commands []string
}

// Start creates the pseudo-terminal and starts answering on it.
func Start(o Options) (*Sim, error) {
	if o.SMSC == "" {
		o.SMSC = "+3620000000"
	}
	if o.Operator == "" {
		o.Operator = "gatepbx sim"
	}
	if o.RSSI == 0 {
		o.RSSI = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ptmx, tty, err := openPTY()
	if err != nil {
		return nil, err
	}
	s := &Sim{
		opts: o, ptmx: ptmx, tty: tty, done: make(chan struct{}),
		echo: true, reg: 1, rssi: o.RSSI,
		rejects: map[string]int{}, store: map[int][]byte{}, unread: map[int]bool{}, nextIdx: 1,
	}
	go s.serve()
	return s, nil
}

// openPTY opens a pseudo-terminal whose master is non-blocking, so the
// runtime poller drives it and Close interrupts a pending Read.
func openPTY() (master, slave *os.File, err error) {
	m, tty, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("gsmsim: %w", err)
	}
	defer m.Close()
	fd, err := unix.Dup(int(m.Fd()))
	if err == nil {
		unix.CloseOnExec(fd)
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		tty.Close()
		return nil, nil, fmt.Errorf("gsmsim: %w", err)
	}
	return os.NewFile(uintptr(fd), m.Name()), tty, nil
}

// Path is the terminal the driver opens.
func (s *Sim) Path() string { return s.tty.Name() }

// Close stops the simulator.
func (s *Sim) Close() error {
	err := s.ptmx.Close()
	<-s.done
	if cerr := s.tty.Close(); err == nil {
		err = cerr
	}
	return err
}

// serve reads commands until the terminal closes.
func (s *Sim) serve() {
	defer close(s.done)
	buf := make([]byte, 1024)
	var line []byte
	var pduLen = -1 // ≥ 0 while reading a PDU after the prompt
	for {
		n, err := s.ptmx.Read(buf)
		for _, c := range buf[:n] {
			if s.isSilent() {
				continue
			}
			switch {
			case pduLen >= 0 && c == 0x1a:
				s.submit(string(line), pduLen)
				line, pduLen = line[:0], -1
			case pduLen >= 0 && c == 0x1b: // cancelled
				line, pduLen = line[:0], -1
				s.write("\r\nOK\r\n")
			case pduLen >= 0:
				if c != '\r' && c != '\n' {
					line = append(line, c)
				}
			case c == '\r':
				cmd := string(line)
				line = line[:0]
				if s.echoOn() {
					s.write(cmd + "\r")
				}
				pduLen = s.command(strings.TrimSpace(cmd))
			case c == '\n':
			default:
				if len(line) < 4096 {
					line = append(line, c)
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *Sim) isSilent() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.silent
}

func (s *Sim) echoOn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.echo
}

func (s *Sim) write(text string) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.ptmx.WriteString(text)
}

// reply sends information lines and OK.
func (s *Sim) reply(lines ...string) {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\r\n" + l + "\r\n")
	}
	b.WriteString("\r\nOK\r\n")
	s.write(b.String())
}

func (s *Sim) cmsError(code int) {
	s.mu.Lock()
	cmee := s.cmee
	s.mu.Unlock()
	if cmee == 0 {
		s.write("\r\nERROR\r\n")
		return
	}
	s.write(fmt.Sprintf("\r\n+CMS ERROR: %d\r\n", code))
}

// command answers one command line; it returns the PDU length when the
// prompt was sent, else -1.
func (s *Sim) command(cmd string) int {
	if cmd == "" {
		return -1
	}
	up := strings.ToUpper(cmd)
	s.mu.Lock()
	s.commands = append(s.commands, up)
	s.mu.Unlock()
	arg := func(prefix string) (string, bool) { return strings.CutPrefix(up, prefix) }
	switch {
	case up == "AT":
		s.reply()
	case up == "ATE0" || up == "ATE1":
		s.mu.Lock()
		s.echo = up == "ATE1"
		s.mu.Unlock()
		s.reply()
	case strings.HasPrefix(up, "AT+CMEE="):
		v, _ := arg("AT+CMEE=")
		n, _ := strconv.Atoi(v)
		s.mu.Lock()
		s.cmee = n
		s.mu.Unlock()
		s.reply()
	case up == "AT+CMGF=0", strings.HasPrefix(up, "AT+CNMI="), strings.HasPrefix(up, "AT+CSCA="), strings.HasPrefix(up, "AT+CPMS="):
		s.reply()
	case strings.HasPrefix(up, "AT+CREG="):
		v, _ := arg("AT+CREG=")
		n, _ := strconv.Atoi(v)
		s.mu.Lock()
		s.cregN = n
		s.mu.Unlock()
		s.reply()
	case up == "AT+CREG?":
		s.mu.Lock()
		l := fmt.Sprintf("+CREG: %d,%d", s.cregN, s.reg)
		s.mu.Unlock()
		s.reply(l)
	case up == "AT+CSQ":
		s.mu.Lock()
		l := fmt.Sprintf("+CSQ: %d,99", s.rssi)
		s.mu.Unlock()
		s.reply(l)
	case up == "AT+COPS?":
		s.mu.Lock()
		l := "+COPS: 0"
		if s.reg == 1 || s.reg == 5 {
			l = fmt.Sprintf(`+COPS: 0,0,"%s",0`, s.opts.Operator)
		}
		s.mu.Unlock()
		s.reply(l)
	case up == "AT+CSCA?":
		s.reply(fmt.Sprintf(`+CSCA: "%s",145`, s.opts.SMSC))
	case up == "AT+CGMI":
		s.reply("gatepbx")
	case up == "AT+CGMM":
		s.reply("simulated modem")
	case up == "AT+CGSN":
		s.reply("359000000000000")
	case strings.HasPrefix(up, "AT+CMGS="):
		v, _ := arg("AT+CMGS=")
		n, err := strconv.Atoi(v)
		if err != nil || n < 7 || n > 164 {
			s.cmsError(CMSInvalidPDU)
			return -1
		}
		s.write("\r\n> ")
		return n
	case strings.HasPrefix(up, "AT+CMGR="):
		v, _ := arg("AT+CMGR=")
		idx, _ := strconv.Atoi(v)
		s.mu.Lock()
		p, ok := s.store[idx]
		stat := 1
		if s.unread[idx] {
			stat = 0
		}
		delete(s.unread, idx)
		s.mu.Unlock()
		if !ok {
			s.cmsError(CMSInvalidIndex)
			return -1
		}
		s.reply(fmt.Sprintf("+CMGR: %d,,%d", stat, len(p)-int(p[0])-1), strings.ToUpper(hex.EncodeToString(p)))
	case strings.HasPrefix(up, "AT+CMGD="):
		v, _ := arg("AT+CMGD=")
		idx, _ := strconv.Atoi(strings.Split(v, ",")[0])
		s.mu.Lock()
		_, ok := s.store[idx]
		delete(s.store, idx)
		delete(s.unread, idx)
		s.mu.Unlock()
		if !ok {
			s.cmsError(CMSInvalidIndex)
			return -1
		}
		s.reply()
	case strings.HasPrefix(up, "AT+CMGL="):
		s.mu.Lock()
		idxs := make([]int, 0, len(s.store))
		for i := range s.store {
			idxs = append(idxs, i)
		}
		sort.Ints(idxs)
		var lines []string
		for _, i := range idxs {
			p := s.store[i]
			stat := 1
			if s.unread[i] {
				stat = 0
			}
			delete(s.unread, i)
			lines = append(lines, fmt.Sprintf("+CMGL: %d,%d,,%d", i, stat, len(p)-int(p[0])-1), strings.ToUpper(hex.EncodeToString(p)))
		}
		s.mu.Unlock()
		s.reply(lines...)
	default:
		s.write("\r\nERROR\r\n")
	}
	return -1
}

// submit handles the PDU typed after the AT+CMGS prompt.
func (s *Sim) submit(h string, tpduLen int) {
	b, err := hex.DecodeString(strings.TrimSpace(h))
	if err != nil || len(b) == 0 || len(b)-int(b[0])-1 != tpduLen {
		s.cmsError(CMSInvalidPDU)
		return
	}
	v, err := pdu.Decode(b)
	sub, ok := v.(*pdu.Submit)
	if err != nil || !ok {
		s.cmsError(CMSInvalidPDU)
		return
	}
	s.mu.Lock()
	registered := s.reg == 1 || s.reg == 5
	reject := s.rejects[sub.To]
	if registered && reject == 0 {
		s.mr++
		sub.Ref = s.mr
		s.sent = append(s.sent, *sub)
	}
	mr := s.mr
	s.mu.Unlock()
	switch {
	case !registered:
		s.cmsError(CMSNoNetworkService)
		return
	case reject != 0:
		s.cmsError(reject)
		return
	}
	s.reply(fmt.Sprintf("+CMGS: %d", mr))
	if sub.RequestReport && s.opts.Reports {
		s.Report(mr, sub.To, s.opts.ReportStatus)
	}
}

// Report sends a status report for message reference ref as +CDS.
func (s *Sim) Report(ref uint8, recipient string, status uint8) error {
	now := s.opts.Now()
	b, err := pdu.StatusReport{SMSC: s.opts.SMSC, Ref: ref, Recipient: recipient, Time: now, Discharge: now, Status: status}.Encode()
	if err != nil {
		return fmt.Errorf("gsmsim: %w", err)
	}
	s.write(fmt.Sprintf("\r\n+CDS: %d\r\n%s\r\n", len(b)-int(b[0])-1, strings.ToUpper(hex.EncodeToString(b))))
	return nil
}

// delivers builds the SMS-DELIVER PDUs of text (concatenated if long).
func (s *Sim) delivers(from, text string) ([][]byte, error) {
	enc, parts, err := pdu.Split(text, pdu.Auto, 255)
	if err != nil {
		return nil, fmt.Errorf("gsmsim: %w", err)
	}
	s.mu.Lock()
	s.concat++
	ref := s.concat
	s.mu.Unlock()
	var out [][]byte
	for i, p := range parts {
		d := pdu.Deliver{SMSC: s.opts.SMSC, From: from, Time: s.opts.Now(), Encoding: enc, Text: p}
		if len(parts) > 1 {
			d.Concat = pdu.Concat{Ref: uint16(ref), Total: uint8(len(parts)), Seq: uint8(i + 1)}
		}
		b, err := d.Encode()
		if err != nil {
			return nil, fmt.Errorf("gsmsim: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Receive makes an SMS arrive from the number from: stored in the
// modem's memory and announced with +CMTI (as AT+CNMI=2,1 asks).
func (s *Sim) Receive(from, text string) error {
	pdus, err := s.delivers(from, text)
	if err != nil {
		return err
	}
	for _, p := range pdus {
		idx := s.Store(p)
		s.write(fmt.Sprintf("\r\n+CMTI: \"SM\",%d\r\n", idx))
	}
	return nil
}

// Store puts a PDU in the message memory, unannounced (a message that
// arrived while no driver was listening), and returns its index.
func (s *Sim) Store(p []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.nextIdx
	s.nextIdx++
	s.store[idx] = p
	s.unread[idx] = true
	return idx
}

// StoreText stores an SMS from the number from without announcing it.
func (s *Sim) StoreText(from, text string) error {
	pdus, err := s.delivers(from, text)
	if err != nil {
		return err
	}
	for _, p := range pdus {
		s.Store(p)
	}
	return nil
}

// ReceiveDirect makes an SMS arrive as +CMT with its PDU (AT+CNMI=2,2).
func (s *Sim) ReceiveDirect(from, text string) error {
	pdus, err := s.delivers(from, text)
	if err != nil {
		return err
	}
	for _, p := range pdus {
		s.write(fmt.Sprintf("\r\n+CMT: ,%d\r\n%s\r\n", len(p)-int(p[0])-1, strings.ToUpper(hex.EncodeToString(p))))
	}
	return nil
}

// Unsolicited writes any line as an unsolicited code.
func (s *Sim) Unsolicited(line string) { s.write("\r\n" + line + "\r\n") }

// SetRegistration changes the registration state and, when the driver
// enabled it (AT+CREG=1), announces it.
func (s *Sim) SetRegistration(stat int) {
	s.mu.Lock()
	s.reg = stat
	announce := s.cregN > 0
	s.mu.Unlock()
	if announce {
		s.write(fmt.Sprintf("\r\n+CREG: %d\r\n", stat))
	}
}

// SetSignal changes the +CSQ signal level.
func (s *Sim) SetSignal(rssi int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rssi = rssi
}

// Reject makes AT+CMGS to number fail with +CMS ERROR code.
func (s *Sim) Reject(number string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejects[number] = code
}

// SetSilent makes the modem ignore everything (a hung modem) or answer
// again.
func (s *Sim) SetSilent(silent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = silent
}

// Sent returns the SMS-SUBMITs accepted so far, Ref set to the reference
// given.
func (s *Sim) Sent() []pdu.Submit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]pdu.Submit(nil), s.sent...)
}

// Stored returns how many messages are in the memory.
func (s *Sim) Stored() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.store)
}

// Commands returns the command lines received, upper-cased.
func (s *Sim) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}
