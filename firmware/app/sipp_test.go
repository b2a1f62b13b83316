package app

import (
	"bytes"
	"context"
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

// The end-to-end tests drive the appliance with SIPp, a real SIP peer,
// over loopback. They need the sipp binary (Debian package sip-tester);
// `make test` installs it.

const sippPCAP = "/usr/share/sip-tester/g711a.pcap"

func needSipp(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sipp not installed (make test installs the sip-tester package)")
		}
		t.Skip("sipp not installed; run make test")
	}
}

// freePort returns a currently free even UDP port on 127.0.0.1 whose
// neighbours (+1..+3, SIPp's RTP/RTCP/echo ports) are free too.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port &^ 1
		c.Close()
		if p > 65000 {
			continue
		}
		ok := true
		for i := range 4 {
			cc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p + i})
			if err != nil {
				ok = false
				break
			}
			cc.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

// scenario renders a testdata scenario: placeholders {{USER}}, {{PCAP}},
// {{TALK}}, {{CODE}} and the <!--HANGUP--> slot filled from a .part file.
func scenario(t *testing.T, name string, vars map[string]string, hangupPart string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if hangupPart != "" {
		p, err := os.ReadFile(filepath.Join("testdata", "sipp", hangupPart))
		if err != nil {
			t.Fatal(err)
		}
		s = strings.Replace(s, "<!--HANGUP-->", string(p), 1)
	}
	vars["{{PCAP}}"] = sippPCAP
	for k, v := range vars {
		s = strings.ReplaceAll(s, k, v)
	}
	out := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(out, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// sippRun is one SIPp process.
type sippRun struct {
	port int
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid after done
	dir  string
}

type sippArgs struct {
	scenario string
	service  string // the number in the Request-URI / our own AOR
	user     string
	password string
	target   netip.AddrPort
	echo     bool
	extra    []string
}

// startSipp starts SIPp for one call; it is killed at test end if still running.
func startSipp(t *testing.T, a sippArgs) *sippRun {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	args := []string{
		"-sf", a.scenario, "-s", a.service, "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(port + 2),
		"-m", "1", "-l", "1", "-timeout", "40s", "-timeout_error", "-nostdin",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		"-au", a.user, "-ap", a.password, "-max_retrans", "5",
	}
	if a.echo {
		args = append(args, "-rtp_echo")
	}
	args = append(args, a.extra...)
	args = append(args, a.target.String())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	r := &sippRun{port: port, cmd: exec.CommandContext(ctx, "sipp", args...), done: make(chan struct{}), dir: dir}
	r.cmd.Dir = dir
	r.cmd.Stdout = &r.out
	r.cmd.Stderr = &r.out
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start sipp: %v", err)
	}
	go func() { r.err = r.cmd.Wait(); cancel(); close(r.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
		}
	})
	return r
}

// wait returns SIPp's verdict: nil when every call succeeded.
func (r *sippRun) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-r.done:
		if err := r.err; err != nil {
			errs, _ := os.ReadFile(filepath.Join(r.dir, "errors.log"))
			return fmt.Errorf("sipp %v\n--- errors.log:\n%s\n--- output tail:\n%s", err, tail(string(errs), 3000), tail(r.out.String(), 1500))
		}
		return nil
	case <-time.After(70 * time.Second):
		return fmt.Errorf("sipp did not end")
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
