package gsm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors of the AT engine.
var (
	ErrTimeout = errors.New("gsm: modem did not answer in time")
	ErrClosed  = errors.New("gsm: modem closed")
)

// ATError is a modem's error answer to a command.
type ATError struct {
	Line string // the final result line, e.g. "+CMS ERROR: 500"
	CMS  bool   // a message service error (+CMS ERROR)
	Code int    // the numeric code, -1 for plain ERROR
}

func (e *ATError) Error() string { return "modem answered " + e.Line }

// maxLine bounds one line from the modem; longer lines are cut.
const maxLine = 4096

// urc is an unsolicited result code, with the PDU line for +CMT and +CDS.
type urc struct {
	name string // "+CMTI", "+CMT", "+CDS", "+CDSI", "+CREG", "+CSQ"
	args string // after the colon
	pdu  string
}

// twoLine URCs are followed by a PDU line.
var urcNames = map[string]bool{"+CMTI": false, "+CMT": true, "+CDS": true, "+CDSI": false, "+CREG": false, "+CSQ": false}

func parseURC(line string) (urc, bool) {
	name, args, ok := strings.Cut(line, ":")
	if !ok {
		return urc{}, false
	}
	if _, known := urcNames[name]; !known {
		return urc{}, false
	}
	return urc{name: name, args: strings.TrimSpace(args)}, true
}

// finalResult reports whether line ends a command, and its error.
func finalResult(line string) (error, bool) {
	switch line {
	case "OK":
		return nil, true
	case "ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "COMMAND NOT SUPPORT":
		return &ATError{Line: line, Code: -1}, true
	}
	for _, p := range []string{"+CME ERROR:", "+CMS ERROR:"} {
		if rest, ok := strings.CutPrefix(line, p); ok {
			code, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				code = -1
			}
			return &ATError{Line: line, CMS: p == "+CMS ERROR:", Code: code}, true
		}
	}
	return nil, false
}

// request is the command in progress.
type request struct {
	echo   string
	prefix string        // information responses start with it
	lines  []string      // guarded by engine.mu
	prompt chan struct{} // closed at the "> " prompt; nil when none is expected
	done   chan error    // the final result, buffered
}

// engine runs AT commands over a port and passes unsolicited codes on.
type engine struct {
	port  io.ReadWriter
	log   *slog.Logger
	onURC func(urc) // called on the reader goroutine; must not block

	cmdMu sync.Mutex // one command at a time

	mu     sync.Mutex
	cur    *request
	closed chan struct{}
	err    error // why the reader stopped

	pduURC *urc // reader goroutine only: a +CMT/+CDS waiting for its PDU
}

func newEngine(port io.ReadWriter, log *slog.Logger, onURC func(urc)) *engine {
	return &engine{port: port, log: log, onURC: onURC, closed: make(chan struct{})}
}

// read splits the modem's output into lines until the port fails.
func (e *engine) read() {
	buf := make([]byte, 1024)
	line := make([]byte, 0, 256)
	for {
		n, err := e.port.Read(buf)
		for _, c := range buf[:n] {
			if c == '\n' {
				e.handleLine(strings.Trim(string(line), "\r"))
				line = line[:0]
				continue
			}
			if len(line) < maxLine {
				line = append(line, c)
			}
		}
		if len(line) > 0 && strings.TrimSpace(string(line)) == ">" && e.takePrompt() {
			line = line[:0]
		}
		if err != nil {
			e.mu.Lock()
			e.err = err
			e.mu.Unlock()
			close(e.closed)
			return
		}
	}
}

func (e *engine) takePrompt() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur == nil || e.cur.prompt == nil {
		return false
	}
	close(e.cur.prompt)
	e.cur.prompt = nil
	return true
}

// handleLine routes one line to the command in progress or as a URC.
func (e *engine) handleLine(l string) {
	if l == "" {
		return
	}
	if e.pduURC != nil {
		u := *e.pduURC
		e.pduURC = nil
		u.pdu = l
		e.onURC(u)
		return
	}
	if strings.TrimSpace(l) == ">" && e.takePrompt() {
		return // the prompt, with a line (a URC) right behind it in the same read
	}
	e.mu.Lock()
	r := e.cur
	if r != nil {
		if l == r.echo {
			e.mu.Unlock()
			return
		}
		if err, final := finalResult(l); final {
			e.cur = nil
			e.mu.Unlock()
			r.done <- err
			return
		}
		if r.prefix != "" && strings.HasPrefix(l, r.prefix) {
			r.lines = append(r.lines, l)
			e.mu.Unlock()
			return
		}
	}
	u, isURC := parseURC(l)
	if !isURC && r != nil {
		r.lines = append(r.lines, l)
	}
	e.mu.Unlock()
	switch {
	case isURC && urcNames[u.name]:
		e.pduURC = &u
	case isURC:
		e.onURC(u)
	case r == nil:
		e.log.Debug("unexpected line from modem", "line", l)
	}
}

// do runs one command and returns its information lines. prefix selects
// the lines that belong to it besides unprefixed ones; pdu, when not
// empty, is sent after the "> " prompt and ended with Ctrl-Z.
func (e *engine) do(ctx context.Context, cmd, prefix, pdu string, timeout time.Duration) ([]string, error) {
	e.cmdMu.Lock()
	defer e.cmdMu.Unlock()
	select {
	case <-e.closed:
		return nil, fmt.Errorf("gsm: %s: %w", cmd, ErrClosed)
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r := &request{echo: cmd, prefix: prefix, done: make(chan error, 1)}
	if pdu != "" {
		r.prompt = make(chan struct{})
	}
	e.mu.Lock()
	e.cur = r
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		if e.cur == r {
			e.cur = nil
		}
		e.mu.Unlock()
	}()
	fail := func(err error) ([]string, error) { return nil, fmt.Errorf("gsm: %s: %w", cmd, err) }
	if _, err := io.WriteString(e.port, cmd+"\r"); err != nil {
		return fail(err)
	}
	if pdu != "" {
		e.mu.Lock()
		prompt := r.prompt
		e.mu.Unlock()
		if prompt == nil {
			prompt = closedChan
		}
		select {
		case <-prompt:
		case err := <-r.done:
			if err == nil {
				err = errors.New("final result before the prompt")
			}
			return fail(err)
		case <-ctx.Done():
			io.WriteString(e.port, "\x1b") // abandon the message
			return fail(ctxErr(ctx))
		case <-e.closed:
			return fail(ErrClosed)
		}
		if _, err := io.WriteString(e.port, pdu+"\x1a"); err != nil {
			return fail(err)
		}
	}
	select {
	case err := <-r.done:
		if err != nil {
			return fail(err)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		return r.lines, nil
	case <-ctx.Done():
		return fail(ctxErr(ctx))
	case <-e.closed:
		return fail(ErrClosed)
	}
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// ctxErr turns a deadline into ErrTimeout and keeps cancellation.
func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrTimeout
	}
	return ctx.Err()
}
