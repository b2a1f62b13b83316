package simctl

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/media/tone"
)

// Request is one control command.
type Request struct {
	Op     string `json:"op"`
	Port   string `json:"port"`
	Digits string `json:"digits,omitempty"` // dial
	Pulse  bool   `json:"pulse,omitempty"`  // dial by pulses
	MS     int    `json:"ms,omitempty"`     // flash length
	CID    string `json:"cid,omitempty"`    // ring: caller number
	Name   string `json:"name,omitempty"`   // ring: caller name
	Tone   string `json:"tone,omitempty"`   // tone: busy, congestion, dial, ... or "" to stop
}

// Response answers a Request.
type Response struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Status fields.
	OffHook   bool   `json:"offhook,omitempty"`
	Ringing   bool   `json:"ringing,omitempty"`
	RingCount int    `json:"ring_count,omitempty"`
	Heard     string `json:"heard,omitempty"`
	CallerID  string `json:"caller_id,omitempty"`
	Seized    bool   `json:"seized,omitempty"`
	Digits    string `json:"digits,omitempty"`
}

// Ops lists the commands with their CLI usage.
var Ops = []struct{ Op, Usage string }{
	{"offhook", "offhook PORT"},
	{"onhook", "onhook PORT"},
	{"flash", "flash PORT [MS]"},
	{"dial", "dial PORT DIGITS [--pulse]"},
	{"ring", "ring PORT [--cid NUMBER] [--name NAME]   (an FXO line rings in)"},
	{"stopring", "stopring PORT"},
	{"tone", "tone PORT [busy|congestion|dial|ringback|none]"},
	{"battery", "battery PORT on|off"},
	{"reverse", "reverse PORT"},
	{"answer", "answer PORT   (the far party of a call out through an FXO line answers and talks)"},
	{"hangup", "hangup PORT   (that far party hangs up: busy tone)"},
	{"status", "status PORT"},
}

// maxLine bounds one request line.
const maxLine = 4096

// Listen opens a control socket; addr must be a loopback address (port 0
// picks a free one).
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("simctl: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("simctl: %s is not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simctl: %w", err)
	}
	return ln, nil
}

// Serve answers requests on ln for board b until ctx ends; it closes ln.
func Serve(ctx context.Context, ln net.Listener, b *sim.Board, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer wg.Wait()
	var conns sync.Map
	defer conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("simctl: accept: %w", err)
		}
		conns.Store(c, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns.Delete(c)
			defer c.Close()
			serveConn(ctx, c, b, log)
		}()
	}
}

func serveConn(ctx context.Context, c net.Conn, b *sim.Board, log *slog.Logger) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 512), maxLine)
	enc := json.NewEncoder(c)
	for sc.Scan() {
		resp := Handle(b, sc.Bytes())
		if err := enc.Encode(resp); err != nil {
			log.Debug("simctl: write", "err", err)
			return
		}
	}
}

// Handle decodes one request line and applies it to b.
func Handle(b *sim.Board, line []byte) Response {
	var req Request
	dec := json.NewDecoder(strings.NewReader(string(line)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Response{Error: "bad request: " + err.Error()}
	}
	resp, err := apply(b, req)
	if err != nil {
		return Response{Error: err.Error()}
	}
	resp.OK = true
	return resp
}

func apply(b *sim.Board, r Request) (Response, error) {
	if phone, ok := b.Phone(r.Port); ok {
		return applyPhone(phone, r)
	}
	if co, ok := b.CO(r.Port); ok {
		return applyCO(b, co, r)
	}
	return Response{}, fmt.Errorf("no port %q", r.Port)
}

func applyPhone(p *sim.Phone, r Request) (Response, error) {
	var err error
	switch r.Op {
	case "offhook":
		err = p.OffHook()
	case "onhook":
		err = p.OnHook()
	case "flash":
		ms := r.MS
		if ms == 0 {
			ms = 300
		}
		if ms < 1 || ms > 5000 {
			return Response{}, fmt.Errorf("flash of %d ms", ms)
		}
		err = p.Flash(time.Duration(ms) * time.Millisecond)
	case "dial":
		if r.Pulse {
			err = p.DialPulse(r.Digits)
		} else {
			err = p.DialDTMF(r.Digits)
		}
	case "status":
		resp := Response{OffHook: p.IsOffHook(), Ringing: p.BellOn(), RingCount: p.RingCount()}
		if k := p.Heard(); k != 0 {
			resp.Heard = k.String()
		}
		if c := p.LastCallerID(); c != nil {
			resp.CallerID = strings.TrimSpace(c.Number + " " + c.Name)
		}
		return resp, nil
	default:
		return Response{}, fmt.Errorf("%q is not a phone command", r.Op)
	}
	return Response{}, err
}

func applyCO(b *sim.Board, c *sim.CO, r Request) (Response, error) {
	switch r.Op {
	case "ring":
		var id *hal.CallerID
		if r.CID != "" || r.Name != "" {
			id = &hal.CallerID{Number: r.CID, Name: r.Name, Time: time.Now()}
		}
		return Response{}, c.Ring(b.Region().Ring, id)
	case "stopring":
		c.StopRing()
	case "tone":
		var k tone.Kind
		if r.Tone != "" && r.Tone != "none" {
			var err error
			if k, err = tone.ParseKind(r.Tone); err != nil {
				return Response{}, err
			}
		}
		return Response{}, c.PlayTone(k)
	case "battery":
		switch r.Digits {
		case "on":
			c.RestoreBattery()
		case "off":
			c.DropBattery()
		default:
			return Response{}, errors.New(`battery needs "on" or "off"`)
		}
	case "reverse":
		c.ReversePolarity()
	case "answer":
		return Response{}, c.Answer()
	case "hangup":
		return Response{}, c.FarHangup()
	case "status":
		return Response{Seized: c.Seized(), Ringing: c.Ringing(), Digits: c.Digits()}, nil
	default:
		return Response{}, fmt.Errorf("%q is not a CO line command", r.Op)
	}
	return Response{}, nil
}

// ParseArgs turns CLI arguments ("dial fxs1 101 --pulse") into a Request.
func ParseArgs(args []string) (Request, error) {
	if len(args) < 2 {
		return Request{}, errors.New("usage: OP PORT [ARGS]; " + usage())
	}
	r := Request{Op: args[0], Port: args[1]}
	rest := args[2:]
	for len(rest) > 0 {
		a := rest[0]
		rest = rest[1:]
		switch {
		case a == "--pulse":
			r.Pulse = true
		case a == "--cid" || a == "--name":
			if len(rest) == 0 {
				return Request{}, fmt.Errorf("%s needs a value", a)
			}
			if a == "--cid" {
				r.CID = rest[0]
			} else {
				r.Name = rest[0]
			}
			rest = rest[1:]
		case strings.HasPrefix(a, "--"):
			return Request{}, fmt.Errorf("unknown option %s", a)
		case r.Op == "flash":
			ms, err := strconv.Atoi(a)
			if err != nil {
				return Request{}, fmt.Errorf("flash length %q: %w", a, err)
			}
			r.MS = ms
		case r.Op == "tone":
			r.Tone = a
		default:
			r.Digits += a
		}
	}
	if !knownOp(r.Op) {
		return Request{}, fmt.Errorf("unknown command %q; %s", r.Op, usage())
	}
	return r, nil
}

func knownOp(op string) bool {
	for _, o := range Ops {
		if o.Op == op {
			return true
		}
	}
	return false
}

func usage() string {
	var parts []string
	for _, o := range Ops {
		parts = append(parts, o.Usage)
	}
	return "commands: " + strings.Join(parts, "; ")
}

// Do sends one request to the control socket at addr and returns the
// answer.
func Do(ctx context.Context, addr string, r Request) (Response, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Response{}, fmt.Errorf("simctl: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := json.NewEncoder(c).Encode(r); err != nil {
		return Response{}, fmt.Errorf("simctl: send: %w", err)
	}
	var resp Response
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&resp); err != nil {
		return Response{}, fmt.Errorf("simctl: receive: %w", err)
	}
	if !resp.OK {
		return resp, fmt.Errorf("simctl: %s", resp.Error)
	}
	return resp, nil
}
