package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

func TestParseStatCPU(t *testing.T) {
	cases := []struct {
		name string
		stat string
		want time.Duration
		ok   bool
	}{
		{"plain", "42 (rtpload) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 1000 10", 3 * time.Second, true},
		{"name with spaces and parens", "7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 10 1", 30 * time.Millisecond, true},
		{"no name", "42 rtpload S 1", 0, false},
		{"too short", "42 (x) S 1 2 3", 0, false},
		{"not a number", "42 (x) S 1 42 42 0 -1 0 0 0 0 0 abc 5 0", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStatCPU(c.stat)
			if (err == nil) != c.ok || got != c.want {
				t.Fatalf("parseStatCPU = %v, %v; want %v, ok %v", got, err, c.want, c.ok)
			}
		})
	}
}

var bencodeCases = []struct {
	name string
	in   string
	want any
	ok   bool
}{
	{"string", "4:pong", "pong", true},
	{"empty string", "0:", "", true},
	{"int", "i-42e", int64(-42), true},
	{"list", "l1:ai1ee", []any{"a", int64(1)}, true},
	{"dict", "d6:result2:ok3:sdp3:v=0e", map[string]any{"result": "ok", "sdp": "v=0"}, true},
	{"nested", "d1:lld1:xi1eeee", map[string]any{"l": []any{map[string]any{"x": int64(1)}}}, true},
	{"truncated string", "5:abc", nil, false},
	{"unterminated dict", "d1:a1:b", nil, false},
	{"trailing", "1:ax", nil, false},
	{"bad int", "i1x2e", nil, false},
	{"dict key not a string", "di1e1:ae", nil, false},
	{"huge length", "999999999999:a", nil, false},
	{"too deep", strings.Repeat("l", 40) + strings.Repeat("e", 40), nil, false},
	{"empty", "", nil, false},
}

func TestDecodeBencode(t *testing.T) {
	for _, c := range bencodeCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decodeBencode([]byte(c.in))
			if (err == nil) != c.ok || (c.ok && !reflect.DeepEqual(got, c.want)) {
				t.Fatalf("decodeBencode(%q) = %#v, %v; want %#v, ok %v", c.in, got, err, c.want, c.ok)
			}
		})
	}
}

func TestEncodeDictRoundTrip(t *testing.T) {
	d := map[string]string{"command": "offer", "call-id": "x", "sdp": "v=0\r\n"}
	b := encodeDict(d)
	if string(b) != "d7:call-id1:x7:command5:offer3:sdp5:v=0\r\ne" {
		t.Fatalf("encodeDict = %q (keys must be sorted)", b)
	}
	got, err := decodeBencode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"command": "offer", "call-id": "x", "sdp": "v=0\r\n"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip %#v, want %#v", got, want)
	}
}

// FuzzDecodeBencode: rtpengine's replies are outside input.
func FuzzDecodeBencode(f *testing.F) {
	for _, c := range bencodeCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseNGReply(b); err != nil {
			return
		}
		if _, err := decodeBencode(b); err != nil {
			t.Fatal("parseNGReply accepted what decodeBencode rejects")
		}
	})
}

func TestNGReplyErrors(t *testing.T) {
	if _, err := parseNGReply([]byte("d6:result5:error12:error-reason7:no calle")); err == nil || !strings.Contains(err.Error(), "no call") {
		t.Fatalf("error reply: %v", err)
	}
	if _, err := parseNGReply([]byte("4:pong")); err == nil {
		t.Fatal("a reply that is not a dictionary was accepted")
	}
}

func TestSDPMedia(t *testing.T) {
	ap := netip.MustParseAddrPort("127.0.0.1:30000")
	got, err := sdpMedia(phoneSDP(ap))
	if err != nil || got != ap {
		t.Fatalf("sdpMedia(phoneSDP) = %v, %v; want %v", got, err, ap)
	}
	for _, bad := range []string{"v=0\r\n", "c=IN IP4 nope\r\nm=audio 1 RTP/AVP 0\r\n", "c=IN IP4 127.0.0.1\r\nm=audio 0 RTP/AVP 0\r\n"} {
		if _, err := sdpMedia(bad); err == nil {
			t.Errorf("sdpMedia(%q) accepted", bad)
		}
	}
}

// pipeTarget runs a forwarder in-process behind the control protocol.
type pipeTarget struct {
	controlClient
	in   *io.PipeWriter
	done chan error
}

func startPipe(t *testing.T, f forwarder) *pipeTarget {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &pipeTarget{controlClient: controlClient{w: inW, r: bufio.NewReader(outR)}, in: inW, done: make(chan error, 1)}
	go func() {
		err := serve(f, inR, outW)
		outW.Close()
		p.done <- err
	}()
	return p
}

func (p *pipeTarget) pid() int { return 0 }

func (p *pipeTarget) close() error {
	_, err := p.call("close")
	p.in.Close()
	if serveErr := <-p.done; err == nil {
		err = serveErr
	}
	return err
}

// freeRelayPorts returns a port range for a relay pool of n streams
// starting at an OS-assigned port; the pool skips ports in use.
func freeRelayPorts(t *testing.T, n int) portRange {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	lo := c.LocalAddr().(*net.UDPAddr).Port &^ 1
	c.Close()
	hi := min(lo+8*n+64, 65535)
	return portRange{lo, hi}
}

// TestLoadThroughForwarders runs a few streams through each forwarder
// (in-process, over loopback) and checks that the generator counts
// sensibly: packets got through, none twice, and the forwarder closes.
// Speed is the benchmark's business, not the test's.
func TestLoadThroughForwarders(t *testing.T) {
	const n = 4
	for _, kind := range []string{"relay", "bare", "direct", "rtpengine"} {
		t.Run(kind, func(t *testing.T) {
			gen, err := newGenerator(2)
			if err != nil {
				t.Fatal(err)
			}
			defer gen.close()
			var tg target
			switch kind {
			case "direct":
				tg = direct{}
			case "rtpengine":
				path, err := exec.LookPath("rtpengine")
				if err != nil {
					t.Skip("rtpengine not installed (Debian package rtpengine-daemon)")
				}
				lo := freeRelayPorts(t, n)
				e, err := startEngine(context.Background(), path, lo)
				if err != nil {
					t.Fatal(err)
				}
				tg = e
			default:
				f, err := newForwarder(kind, freeRelayPorts(t, n), 0)
				if err != nil {
					t.Fatal(err)
				}
				tg = startPipe(t, f)
			}
			streams, err := tg.setup(n, gen.phones)
			if err != nil {
				t.Fatal(err)
			}
			res, err := gen.run(context.Background(), streams, 300*time.Millisecond, 500*time.Millisecond, 300*time.Millisecond, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tg.close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			t.Logf("%s: %+v", kind, res)
			if res.Sent == 0 || res.Received == 0 || res.Received > res.Sent {
				t.Fatalf("sent %d, received %d", res.Sent, res.Received)
			}
			if res.P50 <= 0 || res.P99 < res.P50 {
				t.Fatalf("latency p50 %v p99 %v", res.P50, res.P99)
			}
		})
	}
}

// TestReceiveTimestamps checks that the generator's sockets get the
// kernel's receive time of each datagram, between the send and the read.
func TestReceiveTimestamps(t *testing.T) {
	if oobSize == 0 {
		t.Skip("no kernel receive timestamps on this platform (timestamp_other.go)")
	}
	g, err := newGenerator(1)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	_, to := g.phones(0)
	s := g.shards[0]
	before := time.Now().UnixNano()
	if _, err := s.side[0].WriteToUDPAddrPort(make([]byte, packetSize), to); err != nil {
		t.Fatal(err)
	}
	msgs := []ipv4.Message{{Buffers: [][]byte{make([]byte, 1500)}, OOB: make([]byte, oobSize)}}
	s.side[1].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := s.pc[1].ReadBatch(msgs, 0); err != nil {
		t.Fatal(err)
	}
	after := time.Now().UnixNano()
	got, ok := rxTimestamp(msgs[0].OOB[:msgs[0].NN])
	if !ok || got < before || got > after {
		t.Fatalf("receive timestamp %d (ok %v), want within [%d, %d]", got, ok, before, after)
	}
	if _, ok := rxTimestamp(nil); ok {
		t.Fatal("a timestamp without control messages")
	}
}

func TestVerdict(t *testing.T) {
	m := func(received uint64, cpu, p99 time.Duration) measured {
		return measured{loadResult{Window: 10 * time.Second, Sent: received, Received: received, P99: p99}, cpu}
	}
	results := map[string]measured{
		"relay":     m(250000, 2*time.Second, time.Millisecond),
		"bare":      m(250000, 4*time.Second, time.Millisecond),
		"rtpengine": m(250000, 2*time.Second, time.Millisecond), // relay at 1.0x: over 0.75
	}
	tests := []struct {
		n         int
		want, not string
	}{
		{250, "CPU 1.00x rtpengine (target <= 0.75) MISSED", "for information"},
		{500, "CPU 0.50x bare (target <= 1.25) ok", "for information"},
		{100, "CPU 1.00x rtpengine (target <= 0.75) (for information", "MISSED"},
		{1000, "(for information: the targets are set at 250 and 500 streams)", "MISSED"},
	}
	for _, tc := range tests {
		got := verdict(tc.n, results)
		if !strings.Contains(got, tc.want) || strings.Contains(got, tc.not) {
			t.Errorf("verdict(%d) = %q, want %q and no %q", tc.n, got, tc.want, tc.not)
		}
	}
}
