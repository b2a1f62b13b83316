package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// rtpengine drives a userspace rtpengine (Debian's rtpengine-daemon)
// through its ng control protocol over UDP: one offer/answer per stream,
// exactly as a SIP proxy would.
type rtpengine struct {
	cmd  *exec.Cmd
	done chan error
	ng   *net.UDPConn
}

const ngTimeout = 2 * time.Second

// startRTPEngine runs rtpengine in the foreground on loopback, without the
// kernel module (table -1), media ports in [portMin, portMax].
func startRTPEngine(ctx context.Context, path string, portMin, portMax int) (*rtpengine, error) {
	ngPort, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, path, "--config-file=none", "--foreground", "--log-stderr", "--log-level=3",
		"--table=-1", "--interface=127.0.0.1", "--listen-ng=127.0.0.1:"+strconv.Itoa(ngPort),
		"--port-min="+strconv.Itoa(portMin), "--port-max="+strconv.Itoa(portMax))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("rtpload: start rtpengine: %w", err)
	}
	r := &rtpengine{cmd: cmd, done: make(chan error, 1)}
	go func() { r.done <- cmd.Wait() }()
	r.ng, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(ngPort))))
	if err != nil {
		r.close()
		return nil, fmt.Errorf("rtpload: rtpengine control socket: %w", err)
	}
	// Wait for the control port to answer a ping.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if reply, err := r.request(map[string]string{"command": "ping"}); err == nil && reply["result"] == "pong" {
			return r, nil
		}
		select {
		case err := <-r.done:
			return nil, fmt.Errorf("rtpload: rtpengine exited: %v: %s", err, lastLines(stderr.String(), 5))
		default:
		}
		if time.Now().After(deadline) {
			r.close()
			return nil, fmt.Errorf("rtpload: rtpengine does not answer ng pings: %s", lastLines(stderr.String(), 5))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// freeUDPPort asks the kernel for a free loopback UDP port.
func freeUDPPort() (int, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, fmt.Errorf("rtpload: probe a free port: %w", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func (r *rtpengine) pid() int { return r.cmd.Process.Pid }

func (r *rtpengine) close() {
	if r.ng != nil {
		r.ng.Close()
	}
	r.cmd.Process.Signal(interruptSignal)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
	}
}

// request sends one ng command and returns the reply dictionary.
func (r *rtpengine) request(d map[string]string) (map[string]any, error) {
	var c [6]byte
	rand.Read(c[:])
	cookie := hex.EncodeToString(c[:])
	msg := append([]byte(cookie+" "), encodeDict(d)...)
	if _, err := r.ng.Write(msg); err != nil {
		return nil, fmt.Errorf("rtpload: ng %s: %w", d["command"], err)
	}
	buf := make([]byte, 65536)
	r.ng.SetReadDeadline(time.Now().Add(ngTimeout))
	for {
		n, err := r.ng.Read(buf)
		if err != nil {
			return nil, fmt.Errorf("rtpload: ng %s reply: %w", d["command"], err)
		}
		reply, ok := bytes.CutPrefix(buf[:n], []byte(cookie+" "))
		if !ok {
			continue // a late reply to an earlier request
		}
		return parseNGReply(reply)
	}
}

// parseNGReply decodes an ng reply body and checks its result.
func parseNGReply(b []byte) (map[string]any, error) {
	v, err := decodeBencode(b)
	if err != nil {
		return nil, err
	}
	dict, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: ng reply is not a dictionary", errBencode)
	}
	if dict["result"] == "error" {
		reason, _ := dict["error-reason"].(string)
		return nil, fmt.Errorf("rtpload: rtpengine error: %s", reason)
	}
	return dict, nil
}

// phoneSDP is a phone's G.711 offer or answer for media at ap.
func phoneSDP(ap netip.AddrPort) string {
	return "v=0\r\no=- 1 1 IN IP4 " + ap.Addr().String() + "\r\ns=-\r\nc=IN IP4 " + ap.Addr().String() +
		"\r\nt=0 0\r\nm=audio " + strconv.Itoa(int(ap.Port())) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
}

// sdpMedia reads the connection address and audio port of an SDP body.
func sdpMedia(sdp string) (netip.AddrPort, error) {
	var addr netip.Addr
	var port int
	for _, line := range strings.Split(sdp, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "c=IN IP4 "); ok {
			a, err := netip.ParseAddr(strings.Fields(rest + " ")[0])
			if err != nil {
				return netip.AddrPort{}, fmt.Errorf("rtpload: SDP c= line %q: %w", line, err)
			}
			addr = a
		}
		if rest, ok := strings.CutPrefix(line, "m=audio "); ok {
			p, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil || p <= 0 || p > 65535 {
				return netip.AddrPort{}, fmt.Errorf("rtpload: SDP m= line %q", line)
			}
			port = p
		}
	}
	if !addr.IsValid() || port == 0 {
		return netip.AddrPort{}, errors.New("rtpload: SDP without c= address or audio port")
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// setup creates one rtpengine call per stream between the generator's
// phones and returns where each phone must send.
func (r *rtpengine) setup(n int, phones func(int) (a, b netip.AddrPort)) ([]stream, error) {
	streams := make([]stream, n)
	for i := range streams {
		a, b := phones(i)
		callID := fmt.Sprintf("rtpload-%d-%d", time.Now().UnixNano(), i)
		offer, err := r.request(map[string]string{"command": "offer", "call-id": callID, "from-tag": "a", "sdp": phoneSDP(a)})
		if err != nil {
			return nil, err
		}
		answer, err := r.request(map[string]string{"command": "answer", "call-id": callID, "from-tag": "a", "to-tag": "b", "sdp": phoneSDP(b)})
		if err != nil {
			return nil, err
		}
		toB, _ := offer["sdp"].(string)
		toA, _ := answer["sdp"].(string)
		if streams[i].b, err = sdpMedia(toB); err != nil {
			return nil, err
		}
		if streams[i].a, err = sdpMedia(toA); err != nil {
			return nil, err
		}
	}
	return streams, nil
}
