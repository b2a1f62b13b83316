package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// A real softphone: baresip (Debian package baresip-core), headless, driven
// through its ctrl_tcp command interface (netstring-framed JSON).

// baresip is one running baresip.
type baresip struct {
	ctrl string // ctrl_tcp address
}

// needBaresip skips the test without baresip (Debian package
// baresip-core, which make test installs), or fails it when the CI
// environment variable is set, where a skip would hide the test.
func needBaresip(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("baresip not installed (Debian package baresip-core; make test installs it)")
		}
		t.Skip("baresip not installed (Debian package baresip-core)")
	}
}

// freeTCPPort returns a currently free TCP port on 127.0.0.1.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startBaresip runs baresip registered as number at the appliance: G.711,
// a sine wave as microphone, no loudspeaker.
func startBaresip(t *testing.T, a *App, number string) *baresip {
	t.Helper()
	dir := t.TempDir()
	sipPort, rtpPort := sipptest.FreePort(t), sipptest.FreePort(t)
	b := &baresip{ctrl: fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))}
	config := strings.Join([]string{
		"poll_method epoll",
		fmt.Sprintf("sip_listen 127.0.0.1:%d", sipPort),
		"dns_server 127.0.0.1:53", // never asked (numeric addresses); without one baresip will not register
		"audio_source ausine,440",
		"ausrc_srate 48000", // ausine only makes 48 kHz; baresip resamples
		"ausrc_channels 2",
		"module_path /usr/lib/baresip/modules",
		"module g711.so",
		"module ausine.so",
		"module_app account.so",
		"module_app menu.so",
		"module_app ctrl_tcp.so",
		"ctrl_tcp_listen " + b.ctrl,
		fmt.Sprintf("rtp_ports %d-%d", rtpPort, rtpPort+3),
		"",
	}, "\n")
	account := fmt.Sprintf("<sip:%s@%s;transport=udp>;auth_pass=%s;regint=600;audio_codecs=PCMA\n", number, a.SIPUDPAddr(), testPasswords[number])
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(account), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, "baresip", "-f", dir, "-4", "-n", "127.0.0.1")
	out, err := os.Create(filepath.Join(dir, "output.log"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	defer out.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start baresip: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("baresip (pid %d) did not exit", cmd.Process.Pid)
		}
		if t.Failed() || os.Getenv("GATEPBX_TEST_DEBUG") != "" {
			log, _ := os.ReadFile(out.Name())
			t.Logf("baresip output:\n%s", log)
		}
	})
	waitFor(t, number+" (baresip) registered", func() bool { return len(a.sip.Registrar().Lookup(number)) > 0 })
	return b
}

// command sends one ctrl_tcp command and returns baresip's answer.
func (b *baresip) command(t *testing.T, name, params string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", b.ctrl, 5*time.Second)
	if err != nil {
		t.Fatalf("baresip ctrl: %v", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	msg, err := json.Marshal(map[string]string{"command": name, "params": params, "token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(conn, "%d:%s,", len(msg), msg); err != nil {
		t.Fatalf("baresip ctrl: %v", err)
	}
	// Answers and events are netstrings; ours carries "response".
	r := bufio.NewReader(conn)
	for {
		n, err := r.ReadString(':')
		if err != nil {
			t.Fatalf("baresip ctrl %s: %v", name, err)
		}
		size, err := strconv.Atoi(strings.TrimSpace(n[:len(n)-1]))
		if err != nil || size < 0 || size > 1<<16 {
			t.Fatalf("baresip ctrl: bad netstring length %q", n)
		}
		body := make([]byte, size+1)
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatalf("baresip ctrl %s: %v", name, err)
		}
		if bytes.Contains(body, []byte(`"response"`)) {
			return string(body[:size])
		}
	}
}

// TestBaresipBlindTransfer: baresip (101) calls 102 and transfers it to
// 103 with its own transfer command (REFER): 102 ends up talking to 103
// and baresip's call is ended by the appliance after the final NOTIFY.
func TestBaresipBlindTransfer(t *testing.T) {
	needBaresip(t)
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	// baresip 1.0 (libre) gives up with ENOSYS when any of the challenges
	// is SHA-256, even with an MD5 one beside it.
	cfg.SIP.DigestAlgorithms = []string{"MD5"}
	a := startTestApp(t, cfg)
	transferee := callee(t, a, "uas_answer.xml", "uas_wait.part", 0) // echoes
	target := phone(t, a, "103", "uas_answer.xml", "play.part+uas_hangup.part", map[string]string{"TALK": "2000"}, false)
	b := startBaresip(t, a, "101")
	b.command(t, "dial", "102")
	waitFor(t, "baresip's audio relayed to 102", func() bool {
		calls := a.Core().Calls()
		if len(calls) != 1 || calls[0].State != "InCall" {
			return false
		}
		caller, callee, _ := a.Core().RTPStats(calls[0].ID)
		return caller.RxPackets >= 10 && callee.TxPackets >= 10
	})
	b.command(t, "transfer", "103")
	waitBoth(t, transferee, target)
	// The appliance ended baresip's call once the transfer succeeded.
	waitFor(t, "baresip's call ended", func() bool { return strings.Contains(b.command(t, "listcalls", ""), "Active calls (0)") })
	waitFor(t, "two history records", func() bool { return a.hist.Len() >= 2 })
	recs := a.hist.Recent(2)
	final, seg := recs[0], recs[1]
	if seg.State != "Transferred" || seg.Caller != "101" || seg.Callee != "102" ||
		final.CallID != seg.CallID || final.State != "CallerHangUp" || final.Caller != "103" || final.Callee != "102" ||
		final.RTPFromCaller < 50 || final.RTPToCallee-seg.RTPToCallee < 50 {
		t.Fatalf("history: %+v then %+v", seg, final)
	}
}
