package main

// These tests run the gatepbx binary itself, as an init system would:
// TestMain builds it once, and each test starts it with its own config on
// loopback ports, waits for the health page, and drives it with signals and
// with SIPp phones. The SIPp tests need the sipp binary (Debian package
// sip-tester; `make test` installs it).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/history"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// testVersion is stamped into the binary TestMain builds.
const testVersion = "v0.0.0-lifecycle-test"

// waitTimeout bounds every wait for the binary or a SIPp peer.
const waitTimeout = 15 * time.Second

// rtpPortMin and rtpPortMax keep the relay below the kernel's ephemeral
// range, where the free SIP, API and SIPp ports come from.
const rtpPortMin, rtpPortMax = 20000, 29998

// testPasswords are the SIP passwords of the test extensions.
var testPasswords = map[string]string{"101": "pw101-Secret", "102": "pw102-Secret", "103": "pw103-Secret"}

// gatepbxBin is the binary TestMain built; set once before any test runs.
var gatepbxBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gatepbx-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin, err := buildBinary(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "build gatepbx:", err)
		return 1
	}
	gatepbxBin = bin
	return m.Run()
}

// buildBinary builds this command into dir with testVersion stamped in. It
// uses the race detector when the test itself runs with it (the packages
// are then already compiled that way), and falls back to a plain build when
// a race build is impossible (no cgo).
func buildBinary(dir string) (string, error) {
	bin := filepath.Join(dir, "gatepbx")
	build := func(extra ...string) ([]byte, error) {
		args := []string{"build", "-o", bin, "-ldflags", "-X github.com/gatepbx/gatepbx/firmware/app.Version=" + testVersion}
		args = append(append(args, extra...), ".")
		return exec.Command("go", args...).CombinedOutput()
	}
	if testRaceEnabled() {
		out, err := build("-race")
		if err == nil {
			return bin, nil
		}
		fmt.Fprintf(os.Stderr, "gatepbx: race build failed, testing a plain build: %v\n%s", err, out)
	}
	if out, err := build(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, out)
	}
	return bin, nil
}

// testRaceEnabled reports whether this test binary was built with -race.
func testRaceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// ---- the binary as a process ----

// binaryEnv is the binary's environment: the test's, but when it is a race
// build, without the race runtime's default 1 s pause at exit (unless
// GORACE is set already).
func binaryEnv() []string {
	env := os.Environ()
	if _, set := os.LookupEnv("GORACE"); !set {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return env
}

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is one run of the gatepbx binary.
type process struct {
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{} // closed when the process has exited
}

// startProcess runs the binary with args in dir. It is killed at the end of
// the test if it is still running; when the test failed its output is
// logged.
func startProcess(t *testing.T, dir string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(gatepbxBin, args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = binaryEnv()
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 5 * time.Second // a child left holding the output pipes does not hold Wait
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start gatepbx: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			select {
			case <-p.done:
			case <-time.After(waitTimeout):
				t.Errorf("gatepbx (pid %d) did not exit after SIGKILL", p.cmd.Process.Pid)
			}
		}
		if strings.Contains(p.stderr.String(), "WARNING: DATA RACE") {
			t.Error("the race detector found a data race in gatepbx")
		}
		if t.Failed() {
			t.Logf("gatepbx %s\n--- stdout:\n%s--- stderr:\n%s", strings.Join(args, " "), tail(p.stdout.String(), 2000), tail(p.stderr.String(), 6000))
		}
	})
	return p
}

func (p *process) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *process) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("send %v to gatepbx: %v", sig, err)
	}
}

// waitExit waits for the process to end and returns its exit code, -1 when
// a signal killed it.
func (p *process) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(waitTimeout):
		t.Fatalf("gatepbx still running %s later", waitTimeout)
		return 0
	}
}

// signalAndWaitLog sends sig and waits until stderr holds one more line
// containing logged than before.
func (p *process) signalAndWaitLog(t *testing.T, sig os.Signal, logged string) {
	t.Helper()
	before := strings.Count(p.stderr.String(), logged)
	p.signal(t, sig)
	waitFor(t, fmt.Sprintf("%q logged after %v", logged, sig), func() bool {
		if !p.running() {
			t.Fatalf("gatepbx exited (code %d) after %v", p.cmd.ProcessState.ExitCode(), sig)
		}
		return strings.Count(p.stderr.String(), logged) > before
	})
}

// runBinary runs the binary to completion and returns its exit code and output.
func runBinary(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatepbxBin, args...)
	cmd.Dir = dir
	cmd.Env = binaryEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run gatepbx %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// health is what GET /health reports.
type health struct {
	OK            bool   `json:"ok"`
	Version       string `json:"version"`
	Registrations int    `json:"registrations"`
	ActiveCalls   int    `json:"active_calls"`
}

func getHealth(apiAddr string) (health, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + apiAddr + "/health")
	if err != nil {
		return health{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return health{}, fmt.Errorf("GET /health: %s", resp.Status)
	}
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return health{}, fmt.Errorf("GET /health: %w", err)
	}
	return h, nil
}

// waitHealthy polls the health page until it answers ok.
func waitHealthy(t *testing.T, p *process, apiAddr string) health {
	t.Helper()
	var h health
	waitFor(t, "gatepbx health page", func() bool {
		if !p.running() {
			t.Fatalf("gatepbx exited with code %d before it was ready", p.cmd.ProcessState.ExitCode())
		}
		var err error
		h, err = getHealth(apiAddr)
		return err == nil && h.OK
	})
	return h
}

// waitFor polls cond until it holds, for at most waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// ---- one appliance: its files and ports ----

// appliance is the config, data dir and ports of one gatepbx under test.
type appliance struct {
	dir     string // working directory of the binary
	cfgPath string
	cfg     config.Config
	sipAddr netip.AddrPort
	apiAddr string
}

// newAppliance writes a loopback config with the given SIP extensions, on
// free ports, with TCP and TLS off.
func newAppliance(t *testing.T, numbers ...string) *appliance {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.SIP.BindAddress = "127.0.0.1"
	cfg.SIP.UDPPort = freeUDPPort(t)
	cfg.SIP.TCPPort, cfg.SIP.TLSPort = 0, 0
	cfg.API.BindAddress = "127.0.0.1"
	cfg.API.Port = freeTCPPort(t)
	cfg.RTP.PortMin, cfg.RTP.PortMax = rtpPortMin, rtpPortMax
	for _, n := range numbers {
		cfg.Extensions = append(cfg.Extensions, sipExtension(n))
	}
	a := &appliance{
		dir:     dir,
		cfgPath: filepath.Join(dir, "gatepbx.yaml"),
		sipAddr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(cfg.SIP.UDPPort)),
		apiAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.API.Port)),
	}
	a.writeConfig(t, cfg)
	return a
}

func sipExtension(number string) config.Extension {
	return config.Extension{Number: number, Kind: config.KindSIP, DisplayName: "Phone " + number, Password: testPasswords[number]}
}

// writeConfig replaces the config file (atomically, mode 0600).
func (a *appliance) writeConfig(t *testing.T, cfg config.Config) {
	t.Helper()
	data, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.writeConfigFile(t, data)
	a.cfg = cfg
}

func (a *appliance) writeConfigFile(t *testing.T, data []byte) {
	t.Helper()
	if err := config.WriteFileAtomic(a.cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// start runs the binary on the config and waits until it is ready.
func (a *appliance) start(t *testing.T) *process {
	t.Helper()
	p := startProcess(t, a.dir, "-config", a.cfgPath)
	if h := waitHealthy(t, p, a.apiAddr); h.Version != testVersion {
		t.Fatalf("health reports version %q, want %q", h.Version, testVersion)
	}
	return p
}

// stop sends SIGTERM and expects a clean exit.
func (a *appliance) stop(t *testing.T, p *process) {
	t.Helper()
	p.signal(t, syscall.SIGTERM)
	if code := p.waitExit(t); code != 0 {
		t.Fatalf("gatepbx exited with %d after SIGTERM, want 0", code)
	}
}

func (a *appliance) historyDir() string { return filepath.Join(a.cfg.DataDir, "history") }

// historyOnDisk reads the complete lines of the history segment files.
func historyOnDisk(t *testing.T, dir string) []history.Record {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []history.Record
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for len(data) > 0 {
			line, rest, complete := bytes.Cut(data, []byte("\n"))
			if !complete {
				break // being written
			}
			data = rest
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var r history.Record
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatalf("%s: bad history line %q: %v", f, line, err)
			}
			recs = append(recs, r)
		}
	}
	return recs
}

// ---- SIPp peers ----

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// scenarioDirs are searched in order: this package's own scenario parts,
// then the shared SIPp scenarios of the end-to-end tests.
var scenarioDirs = []string{filepath.Join("testdata", "sipp"), filepath.Join("..", "..", "app", "testdata", "sipp")}

// renderScenario renders a scenario from scenarioDirs with parts (.part
// files, in order) in its <!--HANGUP--> slot and vars replaced.
// The shared scenarios' optional slots default as in the app's tests.
func renderScenario(t *testing.T, name string, parts []string, vars map[string]string) string {
	t.Helper()
	vars = maps.Clone(vars)
	if vars == nil {
		vars = map[string]string{}
	}
	for k, v := range map[string]string{"INVITEHEADERS": "", "RINGMS": "1"} {
		if _, ok := vars[k]; !ok {
			vars[k] = v
		}
	}
	return sipptest.Render(t, scenarioDirs, name, parts, vars)
}

// startSipp runs scenario against the appliance as user (digest
// credentials from testPasswords), addressing service; it is killed at the
// end of the test if still running.
func (a *appliance) startSipp(t *testing.T, scenario, service, user string, echo bool) *sipptest.Peer {
	t.Helper()
	return sipptest.Start(t, sipptest.Config{
		Scenario: scenario, Service: service, User: user, Password: testPasswords[user],
		Target: a.sipAddr, Echo: echo,
	})
}

// register runs a REGISTER scenario (register.xml: must succeed,
// register_rejected.xml: must get 403) for user and returns SIPp's verdict.
func (a *appliance) register(t *testing.T, scenario, user string) error {
	t.Helper()
	return a.startSipp(t, renderScenario(t, scenario, nil, nil), user, user, false).Wait()
}

// callee starts a SIPp callee for 102 that answers with uas_answer.xml and
// then runs parts, and registers it (a second SIPp registers 102 with the
// callee's port as Contact) before returning.
func (a *appliance) callee(t *testing.T, parts []string, vars map[string]string) *sipptest.Peer {
	t.Helper()
	r := a.startSipp(t, renderScenario(t, "uas_answer.xml", parts, vars), "102", "102", true)
	reg := renderScenario(t, "register_contact.xml", nil, map[string]string{"CONTACTPORT": strconv.Itoa(r.Port())})
	if err := a.startSipp(t, reg, "102", "102", false).Wait(); err != nil {
		t.Fatalf("registering 102: %v", err)
	}
	waitFor(t, "102 registered", func() bool {
		h, err := getHealth(a.apiAddr)
		return err == nil && h.Registrations > 0
	})
	return r
}

// caller starts a SIPp caller, 101, that calls 102 with uac_call.xml and
// then runs parts.
func (a *appliance) caller(t *testing.T, parts []string, vars map[string]string) *sipptest.Peer {
	t.Helper()
	vars["USER"] = "101"
	return a.startSipp(t, renderScenario(t, "uac_call.xml", parts, vars), "102", "101", false)
}

// ---- the tests ----

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	good := config.Defaults()
	good.Extensions = []config.Extension{sipExtension("101"), sipExtension("102")}
	goodYAML, err := config.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		yaml       string // "" = no file at all
		wantCode   int
		wantStdout string // substring
		wantStderr string // substring; {{FILE}} is the config path
	}{
		{"good file", string(goodYAML), 0, "{{FILE}}: ok", ""},
		{"unknown key", "data_dir: ./data\nsip:\n  udp_port: 5060\n  bogus_key: 1\n", 1, "",
			"{{FILE}}:4: sip.bogus_key: unknown key"},
		{"duplicate extension number",
			"extensions:\n  - number: \"101\"\n    kind: sip\n    password: secret-pw-1\n  - number: \"101\"\n    kind: sip\n    password: secret-pw-2\n",
			1, "", "{{FILE}}:5: extensions[1].number: duplicate number \"101\" (first defined at line 2)"},
		{"RTP port range upside down", "log_level: info\nrtp:\n  port_min: 30000\n  port_max: 20000\n", 1, "",
			"{{FILE}}:4: rtp.port_max: must be greater than rtp.port_min"},
		{"odd RTP port_min", "rtp:\n  port_min: 30001\n", 1, "", "{{FILE}}:2: rtp.port_min: must be even"},
		{"SIP port out of range", "sip:\n  udp_port: 70000\n", 1, "", "{{FILE}}:2: sip.udp_port: must be between 1 and 65535"},
		{"bad YAML syntax", "log_level: info\nregion: us\n  board: sim\n", 1, "", "{{FILE}}:3: mapping values are not allowed"},
		{"missing file", "", 1, "", "{{FILE}}: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "gatepbx.yaml")
			if tc.yaml != "" {
				if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr := runBinary(t, dir, "-check-config", path)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d", code, tc.wantCode)
			}
			if want := strings.ReplaceAll(tc.wantStdout, "{{FILE}}", path); !strings.Contains(stdout, want) || (want == "" && stdout != "") {
				t.Errorf("stdout %q, want %q", stdout, want)
			}
			if want := strings.ReplaceAll(tc.wantStderr, "{{FILE}}", path); !strings.Contains(stderr, want) || (want == "" && stderr != "") {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
		})
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // exact
		wantStderr string // substring
	}{
		{"version", []string{"-version"}, 0, "gatepbx " + testVersion + "\n", ""},
		{"help", []string{"-h"}, 0, "", "-check-config"},
		{"unknown flag", []string{"-no-such-flag"}, 2, "", "flag provided but not defined: -no-such-flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runBinary(t, t.TempDir(), tc.args...)
			if code != tc.wantCode || stdout != tc.wantStdout || !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("gatepbx %v: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr containing %q",
					tc.args, code, stdout, stderr, tc.wantCode, tc.wantStdout, tc.wantStderr)
			}
		})
	}
}

// TestFirstBoot starts the binary without a config file, as on a fresh
// appliance. The defaults listen on 0.0.0.0:5060 and 9509; so that the test
// never really serves on every interface, it holds 127.0.0.1:5060 (UDP),
// which makes the binary's wildcard bind fail right after first boot has
// written its files. Should the port be free anyway, a successful start is
// accepted too and stopped with SIGTERM.
func TestFirstBoot(t *testing.T) {
	t.Parallel()
	if hold, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060}); err == nil {
		t.Cleanup(func() { hold.Close() })
	} // else another program has the port, which stops the binary just as well
	tests := []struct {
		name       string
		args       []string
		configPath string // relative to the working directory
	}{
		{"default config path", nil, "data/gatepbx.yaml"},
		{"config in its own directory", []string{"-config", "etc/gatepbx/gatepbx.yaml"}, "etc/gatepbx/gatepbx.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { // not parallel: they share the held port
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, tc.configPath)
			credsPath := filepath.Join(dir, "data", "credentials.txt")

			stdout := bootOnce(t, dir, tc.args)
			if !strings.Contains(stdout, "first start") || !strings.Contains(stdout, "data/credentials.txt") {
				t.Errorf("first start stdout %q does not tell where the credentials are", stdout)
			}
			for _, f := range []string{cfgPath, credsPath} {
				if info, err := os.Stat(f); err != nil {
					t.Fatal(err)
				} else if info.Mode().Perm() != 0o600 {
					t.Errorf("%s has mode %v, want 0600", f, info.Mode().Perm())
				}
			}
			if info, err := os.Stat(filepath.Join(dir, "data")); err != nil {
				t.Fatal(err)
			} else if info.Mode().Perm()&0o077 != 0 {
				t.Errorf("data dir has mode %v, want no group or other access", info.Mode().Perm())
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				t.Fatalf("written config does not load: %v", err)
			}
			if cfg.DataDir != "./data" {
				t.Errorf("data_dir %q, want ./data", cfg.DataDir)
			}
			creds, err := os.ReadFile(credsPath)
			if err != nil {
				t.Fatal(err)
			}
			checkCredentials(t, cfg, string(creds))
			cfgData, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}

			// A second start finds the files, keeps them and points at the
			// credentials again.
			stdout = bootOnce(t, dir, tc.args)
			if strings.Contains(stdout, "first start") || !strings.Contains(stdout, "data/credentials.txt") {
				t.Errorf("second start stdout %q, want only the credentials path", stdout)
			}
			for f, before := range map[string][]byte{cfgPath: cfgData, credsPath: creds} {
				if after, err := os.ReadFile(f); err != nil {
					t.Fatal(err)
				} else if !bytes.Equal(after, before) {
					t.Errorf("second start changed %s:\n%s\nwas:\n%s", f, after, before)
				}
			}
		})
	}
}

// bootOnce runs the binary with the first-boot defaults in dir until it
// has failed to listen or, if it could listen, until it is ready (then it
// is stopped). It returns stdout.
func bootOnce(t *testing.T, dir string, args []string) string {
	t.Helper()
	p := startProcess(t, dir, args...)
	waitFor(t, "gatepbx to fail to listen or to start", func() bool {
		if !p.running() {
			return true
		}
		h, err := getHealth("127.0.0.1:9509")
		return err == nil && h.Version == testVersion
	})
	if p.running() {
		p.signal(t, syscall.SIGTERM)
		if code := p.waitExit(t); code != 0 {
			t.Fatalf("gatepbx exited with %d after SIGTERM, want 0", code)
		}
		return p.stdout.String()
	}
	if code := p.waitExit(t); code != 1 || !strings.Contains(p.stderr.String(), "listen") {
		t.Fatalf("gatepbx exited with %d, stderr %q; want a listen error (exit 1) or a start", code, p.stderr.String())
	}
	return p.stdout.String()
}

// passwordLine matches the "password: X" lines of the credentials file.
var passwordLine = regexp.MustCompile(`(?m)password: (\S+)$`)

// checkCredentials checks that the credentials file holds every SIP
// password of cfg and that all its passwords are distinct and long.
func checkCredentials(t *testing.T, cfg config.Config, creds string) {
	t.Helper()
	var passwords []string
	for _, m := range passwordLine.FindAllStringSubmatch(creds, -1) {
		passwords = append(passwords, m[1])
	}
	sipCount := 0
	for _, e := range cfg.Extensions {
		if e.Kind != config.KindSIP {
			continue
		}
		sipCount++
		if !slices.Contains(passwords, e.Password) {
			t.Errorf("extension %s's password is not in the credentials file", e.Number)
		}
	}
	if sipCount == 0 || len(passwords) != sipCount+1 { // + the API user's
		t.Fatalf("credentials file has %d passwords for %d SIP extensions and the API user:\n%s", len(passwords), sipCount, creds)
	}
	seen := map[string]bool{}
	for _, pw := range passwords {
		if len(pw) < 16 {
			t.Errorf("password %q is shorter than 16 characters", pw)
		}
		if seen[pw] {
			t.Errorf("password %q is used twice", pw)
		}
		seen[pw] = true
	}
}

func TestStartFailsWhenPortTaken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		occupy     func(t *testing.T, a *appliance) // holds one of the appliance's ports
		wantStderr string
	}{
		{"SIP UDP port", func(t *testing.T, a *appliance) {
			c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(a.sipAddr))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
		}, "sip udp listen"},
		{"API port", func(t *testing.T, a *appliance) {
			l, err := net.Listen("tcp4", a.apiAddr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, "api listen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAppliance(t, "101")
			tc.occupy(t, a)
			code, _, stderr := runBinary(t, a.dir, "-config", a.cfgPath)
			if code != 1 || !strings.Contains(stderr, tc.wantStderr) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr, tc.wantStderr)
			}
		})
	}
}

func TestStopSignals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sig  syscall.Signal
		name string // as the log names it
	}{
		{syscall.SIGINT, "interrupt"},
		{syscall.SIGTERM, "terminated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAppliance(t, "101", "102")
			p := a.start(t)
			p.signal(t, tc.sig)
			if code := p.waitExit(t); code != 0 {
				t.Fatalf("exit code %d after %v, want 0", code, tc.sig)
			}
			if want := "msg=stopping signal=" + tc.name; !strings.Contains(p.stderr.String(), want) {
				t.Errorf("stderr lacks %q", want)
			}
		})
	}
}

func TestSIGTERMEndsActiveCall(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := newAppliance(t, "101", "102")
	p := a.start(t)
	marks := t.TempDir()
	calleeAnswered := filepath.Join(marks, "callee-acked")
	callerAnswered := filepath.Join(marks, "caller-acked")
	b := a.callee(t, []string{"mark.part", "uas_wait.part"}, map[string]string{"MARK": calleeAnswered})
	c := a.caller(t, []string{"mark.part", "hangup_wait.part"}, map[string]string{"MARK": callerAnswered})
	waitFor(t, "the call to be answered on both legs", func() bool {
		for _, r := range []*sipptest.Peer{b, c} {
			if r.Exited() {
				t.Fatalf("a SIPp peer ended before the call was up: %v", r.Wait())
			}
		}
		_, errB := os.Stat(calleeAnswered)
		_, errC := os.Stat(callerAnswered)
		return errB == nil && errC == nil
	})
	if h, err := getHealth(a.apiAddr); err != nil || h.ActiveCalls != 1 {
		t.Fatalf("health %+v (%v), want 1 active call", h, err)
	}

	p.signal(t, syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Errorf("caller did not get a BYE: %v", err)
	}
	if err := b.Wait(); err != nil {
		t.Errorf("callee did not get a BYE: %v", err)
	}
	if code := p.waitExit(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	if strings.Contains(p.stderr.String(), "calls still ending") {
		t.Error("shutdown ran out of time ending the call")
	}
	recs := historyOnDisk(t, a.historyDir())
	if len(recs) != 1 {
		t.Fatalf("history holds %d records, want 1: %+v", len(recs), recs)
	}
	if r := recs[0]; r.State != "Shutdown" || r.Caller != "101" || r.Callee != "102" || r.Answer.IsZero() {
		t.Fatalf("history record %+v, want an answered 101 to 102 call in state Shutdown", r)
	}
}

func TestHistorySurvivesKill(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := newAppliance(t, "101", "102")
	p := a.start(t)
	b := a.callee(t, []string{"uas_wait.part"}, map[string]string{})
	c := a.caller(t, []string{"hangup_caller.part"}, map[string]string{"TALK": "500"})
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("callee: %v", err)
	}
	waitFor(t, "the call's history record on disk", func() bool { return len(historyOnDisk(t, a.historyDir())) == 1 })

	p.signal(t, syscall.SIGKILL)
	if code := p.waitExit(t); code != -1 {
		t.Fatalf("exit code %d after SIGKILL, want -1 (killed)", code)
	}
	// The restarted appliance reads the history back and keeps it.
	a.stop(t, a.start(t))

	store, err := history.Open(history.Options{Dir: a.historyDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if store.Len() != 1 {
		t.Fatalf("history holds %d records after kill -9 and restart, want 1", store.Len())
	}
	if r := store.Recent(1)[0]; r.State != "CallerHangUp" || r.Caller != "101" || r.Callee != "102" || r.Answer.IsZero() {
		t.Fatalf("history record %+v, want an answered 101 to 102 call in state CallerHangUp", r)
	}
}

func TestSIGHUPReloadsConfig(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := newAppliance(t, "101", "102")
	p := a.start(t)
	if err := a.register(t, "register_rejected.xml", "103"); err != nil {
		t.Fatalf("103 is not in the config yet, its REGISTER must be refused: %v", err)
	}

	cfg := a.cfg
	cfg.Extensions = append(slices.Clone(cfg.Extensions), sipExtension("103"))
	a.writeConfig(t, cfg)
	p.signalAndWaitLog(t, syscall.SIGHUP, "msg=\"config reloaded\"")
	if err := a.register(t, "register.xml", "103"); err != nil {
		t.Fatalf("103 after reload: %v", err)
	}

	// A broken file is refused with its line, and the running config kept.
	data, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "bogus_key: 1\n"...)
	badLine := bytes.Count(data, []byte("\n"))
	a.writeConfigFile(t, data)
	p.signalAndWaitLog(t, syscall.SIGHUP, "reload refused")
	if want := fmt.Sprintf("%s:%d: bogus_key: unknown key", a.cfgPath, badLine); !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr does not name the bad line: want %q", want)
	}
	if _, err := getHealth(a.apiAddr); err != nil {
		t.Fatalf("health after refused reload: %v", err)
	}
	for _, user := range []string{"103", "101"} {
		if err := a.register(t, "register.xml", user); err != nil {
			t.Fatalf("%s after refused reload: %v", user, err)
		}
	}
	a.stop(t, p)
}

// TestSimCLI starts the binary on the sim board (as make run does) and
// drives a virtual phone with "gatepbx sim": the control socket's address
// comes from the data dir. -board overrides the config's board: "auto"
// finds no profile on a test machine, which is reported while SIP runs.
func TestSimCLI(t *testing.T) {
	t.Parallel()
	a := newAppliance(t, "101")
	cfg := a.cfg
	cfg.Board = "no-such-board"
	a.writeConfig(t, cfg)
	p := startProcess(t, a.dir, "-config", a.cfgPath, "-board", "sim")
	waitHealthy(t, p, a.apiAddr)
	tests := []struct {
		args     []string
		wantCode int
		stdout   string // substring
		stderr   string // substring
	}{
		{[]string{"sim", "-config", a.cfgPath, "offhook", "fxs0"}, 0, `"ok":true`, ""},
		{[]string{"sim", "-config", a.cfgPath, "status", "fxs0"}, 0, `"offhook":true`, ""},
		{[]string{"sim", "-config", a.cfgPath, "status", "fxs9"}, 1, "", "fxs9"},
		{[]string{"sim", "-config", a.cfgPath, "jump", "fxs0"}, 2, "", "unknown command"},
		{[]string{"sim", "-config", filepath.Join(a.dir, "missing.yaml"), "status", "fxs0"}, 1, "", "missing.yaml"},
	}
	for _, tc := range tests {
		code, stdout, stderr := runBinary(t, a.dir, tc.args...)
		if code != tc.wantCode || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("gatepbx %v: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				tc.args, code, stdout, stderr, tc.wantCode, tc.stdout, tc.stderr)
		}
	}
	a.stop(t, p)

	p = startProcess(t, a.dir, "-config", a.cfgPath, "-board", "auto")
	waitHealthy(t, p, a.apiAddr)
	resp, err := (&http.Client{Timeout: waitTimeout}).Get("http://" + a.apiAddr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Board      string `json:"board"`
		BoardError string `json:"board_error"`
	}
	err = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if err != nil || h.Board != "auto" || h.BoardError == "" {
		t.Fatalf("health %+v (%v): want board auto, failed (no board of ours on a test machine)", h, err)
	}
	a.stop(t, p)
}
