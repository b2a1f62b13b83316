package sipptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PCAP is the G.711 A-law recording the sip-tester package ships; a
// scenario's {{PCAP}} placeholder names it.
const PCAP = "/usr/share/sip-tester/g711a.pcap"

// HangupSlot is the comment in a scenario that Render fills with parts.
const HangupSlot = "<!--HANGUP-->"

const (
	// lifetime bounds one sipp process; it is killed after that.
	lifetime = 60 * time.Second
	// waitLimit bounds Wait, a little beyond lifetime.
	waitLimit = 70 * time.Second
	// cleanupLimit bounds how long test cleanup waits for a killed sipp.
	cleanupLimit = 15 * time.Second
	// errorsLog is SIPp's -error_file, in the peer's own directory.
	errorsLog = "errors.log"
)

// Need skips the test when sipp is not installed, or fails it when the
// environment variable CI is set (where a skip would hide the tests).
func Need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sipp not installed (make test installs the sip-tester package)")
		}
		t.Skip("sipp not installed; run make test")
	}
}

// FreePort returns a currently free even UDP port on 127.0.0.1 whose
// neighbours +1..+5 are free too: Start gives SIPp -mp port+2, and SIPp
// binds audio RTP and RTCP there and video RTP and RTCP two above.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port &^ 1
		c.Close()
		if port <= 65000 && portsFree(port, 6) {
			return port
		}
	}
	t.Fatal("no free UDP port for SIPp on 127.0.0.1")
	return 0
}

// portsFree reports whether UDP ports first..first+n-1 on 127.0.0.1 can
// all be bound.
func portsFree(first, n int) bool {
	for i := range n {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: first + i})
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

// Render writes scenario name, found in the first of dirs that has it, to
// a file in a test temp dir and returns its path. The HangupSlot is filled
// with parts (.part files, found the same way) in order, and every
// {{KEY}} with vars[KEY]; {{PCAP}} is PCAP unless vars says otherwise.
// Placeholders without a value are left as they are.
func Render(t testing.TB, dirs []string, name string, parts []string, vars map[string]string) string {
	t.Helper()
	s, err := render(dirs, name, parts, vars)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(name))
	if err := os.WriteFile(out, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func render(dirs []string, name string, parts []string, vars map[string]string) (string, error) {
	scenario, err := readFirst(dirs, name)
	if err != nil {
		return "", err
	}
	var slot strings.Builder
	for _, part := range parts {
		p, err := readFirst(dirs, part)
		if err != nil {
			return "", err
		}
		slot.Write(p)
	}
	s := strings.Replace(string(scenario), HangupSlot, slot.String(), 1)
	pairs := make([]string, 0, 2*len(vars)+2)
	for k, v := range vars {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	pairs = append(pairs, "{{PCAP}}", PCAP) // after vars: theirs wins
	return strings.NewReplacer(pairs...).Replace(s), nil
}

// readFirst reads name from the first of dirs that has it.
func readFirst(dirs []string, name string) ([]byte, error) {
	err := fmt.Errorf("scenario file %s: no search directory", name)
	for _, dir := range dirs {
		var b []byte
		if b, err = os.ReadFile(filepath.Join(dir, name)); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("scenario file %s not in %v: %w", name, dirs, err)
}

// Config is one sipp run: one call (-m 1) unless Extra says otherwise.
type Config struct {
	Scenario string         // path of the scenario file, usually from Render
	Service  string         // -s: the user part of the Request-URI
	User     string         // -au: digest user name
	Password string         // -ap: digest password
	Target   netip.AddrPort // the SIP peer under test
	Echo     bool           // -rtp_echo: send received RTP back
	Extra    []string       // more arguments, after the standard ones
}

// Peer is one running sipp process.
type Peer struct {
	port int
	dir  string
	cmd  *exec.Cmd
	out  bytes.Buffer  // stdout and stderr; read only after done
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid after done
}

// Start runs sipp for c on a free port (see FreePort) in its own temp dir.
// It is killed after 60 s, and at the end of the test if still running.
func Start(t testing.TB, c Config) *Peer {
	t.Helper()
	p := &Peer{port: FreePort(t), dir: t.TempDir(), done: make(chan struct{})}
	args := []string{
		"-sf", c.Scenario, "-s", c.Service, "-i", "127.0.0.1", "-p", strconv.Itoa(p.port),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(p.port + 2),
		"-m", "1", "-l", "1", "-timeout", "40s", "-timeout_error", "-nostdin",
		"-trace_err", "-error_file", filepath.Join(p.dir, errorsLog),
		"-au", c.User, "-ap", c.Password, "-max_retrans", "5",
	}
	if c.Echo {
		args = append(args, "-rtp_echo")
	}
	args = append(append(args, c.Extra...), c.Target.String())
	ctx, cancel := context.WithTimeout(context.Background(), lifetime)
	p.cmd = exec.CommandContext(ctx, "sipp", args...)
	p.cmd.Dir = p.dir
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	// Wait also waits for the output pipe; bound that once sipp is gone.
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start sipp: %v", err)
	}
	go func() { p.err = p.cmd.Wait(); cancel(); close(p.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(cleanupLimit):
			t.Errorf("sipp (pid %d) did not exit after being killed", p.cmd.Process.Pid)
		}
	})
	return p
}

// Run starts sipp for c and fails the test unless every call succeeded.
func Run(t testing.TB, c Config) {
	t.Helper()
	if err := Start(t, c).Wait(); err != nil {
		t.Fatal(err)
	}
}

// Port is the peer's SIP port; its media ports are Port+2 and up.
func (p *Peer) Port() int { return p.port }

// Exited reports whether the process has ended.
func (p *Peer) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to end and returns SIPp's verdict: nil when
// every call succeeded, else an error with the tails of its errors.log and
// output.
func (p *Peer) Wait() error {
	select {
	case <-p.done:
	case <-time.After(waitLimit):
		return errors.New("sipp did not end")
	}
	if p.err == nil {
		return nil
	}
	errs, _ := os.ReadFile(filepath.Join(p.dir, errorsLog))
	return fmt.Errorf("sipp: %w\n--- %s:\n%s\n--- output tail:\n%s", p.err, errorsLog, tail(string(errs), 3000), tail(p.out.String(), 1500))
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
