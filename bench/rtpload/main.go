// Command rtpload is the RTP relay load benchmark: N concurrent
// bidirectional G.711 streams (50 packets/s per direction, 172-byte
// packets, send times in the payload) on loopback through a forwarder,
// for a bounded time, reporting per forwarder the packets/s delivered,
// the loss, the added latency p50/p99 and the forwarder process's CPU per
// 1000 packets/s.
//
// Forwarders:
//
//   - relay: gatepbx's media/relay (two bridged endpoints per stream, as
//     the call core sets them up), in a child process (rtpload -serve
//     relay) so that its CPU is measured alone; relay-goroutines is the
//     same with one reader goroutine per endpoint (relay.IOGoroutines)
//     instead of the default epoll reactors (-reactors sets their number);
//   - bare: a reference forwarder with no RTP logic (per socket, recvmmsg
//     then sendmmsg out of the paired socket), also a child process;
//   - rtpengine: Debian's rtpengine-daemon in userspace mode, one call per
//     stream set up through its ng control protocol; skipped with a note
//     when the binary is missing.
//
// Added latency runs from the generator's clock reading just before its
// send call to the kernel's receive timestamp of the relayed packet
// (SO_TIMESTAMPNS, see timestamp.go), not to when the generator's
// receiver goroutine reads it.
//
// The generator's phones share a few sockets and use batch I/O, to leave
// as much CPU as possible to the forwarder; on a 2-core machine the two
// still compete above about 500 streams.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	maxStreams      = 2000
	maxDuration     = time.Minute
	generatorMemory = 512 << 20
)

var interruptSignal = syscall.SIGTERM

type options struct {
	streams       []int
	targets       []string
	window        time.Duration
	warmup        time.Duration
	drain         time.Duration
	shards        int
	relayPorts    portRange
	enginePorts   portRange
	rtpenginePath string
	profile       string
	reactors      int
}

// startProfile starts a CPU profile into path.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("rtpload: CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("rtpload: CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func main() {
	serveKind := flag.String("serve", "", "run as the forwarder process `KIND` (relay or bare), driven on stdin/stdout")
	// Above the firmware e2e tests' RTP windows (10000-19999), so a load run
	// and the tests can share a machine.
	o := options{relayPorts: portRange{20000, 26999}, enginePorts: portRange{27000, 32767}}
	flag.Var(&o.relayPorts, "ports", "the relay's RTP port range")
	flag.Var(&o.enginePorts, "rtpengine-ports", "rtpengine's RTP port range")
	streams := flag.String("streams", "250,500", "comma-separated stream counts")
	targets := flag.String("targets", "relay,bare,rtpengine", "comma-separated forwarders: relay, relay-goroutines, bare, rtpengine")
	flag.DurationVar(&o.window, "duration", 10*time.Second, "measured time per run")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before each run (latching)")
	flag.DurationVar(&o.drain, "drain", 500*time.Millisecond, "wait for late packets after each run")
	flag.IntVar(&o.shards, "shards", 4, "generator socket pairs")
	flag.StringVar(&o.rtpenginePath, "rtpengine", "rtpengine", "rtpengine binary")
	flag.IntVar(&o.reactors, "reactors", 0, "the relay's reactor goroutines (0: GOMAXPROCS)")
	flag.StringVar(&o.profile, "cpuprofile", "", "write the relay/bare forwarder process's CPU profile to `FILE`")
	flag.Parse()

	if *serveKind != "" {
		if o.profile != "" {
			stop, err := startProfile(o.profile)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			defer stop()
		}
		f, err := newForwarder(*serveKind, o.relayPorts, o.reactors)
		if err == nil {
			err = serve(f, os.Stdin, os.Stdout)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var err error
	if o.streams, err = parseCounts(*streams); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	o.targets = strings.Split(*targets, ",")
	if o.window <= 0 || o.window > maxDuration || o.warmup < 0 || o.warmup > maxDuration || o.shards < 1 || o.shards > 64 {
		fmt.Fprintf(os.Stderr, "rtpload: duration and warmup must be within 0-%v, shards 1-64\n", maxDuration)
		os.Exit(2)
	}
	// The generator's batch reads allocate a little per packet (x/net's
	// ReadBatch); collecting only near a memory limit keeps GC pauses out
	// of the latency figures.
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(generatorMemory)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runAll(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > maxStreams {
			return nil, fmt.Errorf("rtpload: stream count %q: want 1-%d", f, maxStreams)
		}
		out = append(out, n)
	}
	return out, nil
}

// target is a forwarder set up for one run.
type target interface {
	// setup makes n streams between the generator's phones.
	setup(n int, phones func(int) (a, b netip.AddrPort)) ([]stream, error)
	// pid is the forwarder's process, for its CPU time.
	pid() int
	close() error
}

func runAll(ctx context.Context, o options, out io.Writer) error {
	fmt.Fprintf(out, "%-9s %7s %9s %11s %6s %7s %7s %7s %9s %10s %8s %7s\n",
		"target", "streams", "sent/s", "delivered/s", "lost", "p50 ms", "p99 ms", "max ms", "relay CPU", "%/1k pps", "gen CPU", "gen lag")
	results := map[int]map[string]measured{}
	for _, n := range o.streams {
		results[n] = map[string]measured{}
		for _, name := range o.targets {
			m, err := runOne(ctx, o, name, n)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				fmt.Fprintf(out, "%-9s %7d  skipped: %v\n", name, n, err)
				continue
			}
			results[n][name] = m
			fmt.Fprintln(out, formatRow(name, m))
		}
	}
	fmt.Fprintln(out)
	for _, n := range o.streams {
		if line := verdict(n, results[n]); line != "" {
			fmt.Fprintln(out, line)
		}
	}
	return nil
}

// measured is one run: the generator's view and the forwarder's CPU.
type measured struct {
	loadResult
	cpu time.Duration
}

// perK is the forwarder's CPU, in % of one core, per 1000 packets/s
// delivered.
func (m measured) perK() float64 {
	pps := m.DeliveredPPS()
	if pps == 0 {
		return 0
	}
	return 100 * m.cpu.Seconds() / m.Window.Seconds() / (pps / 1000)
}

// Targets of the relay against the references (issue 3).
const (
	maxVsBare      = 1.25
	maxVsRTPEngine = 0.75
	maxP99         = 2 * time.Millisecond
	// maxGenLag is the generator lateness above which a run measured the
	// machine's contention rather than the forwarder.
	maxGenLag = 20 * time.Millisecond
)

// targetStreams are the stream counts the targets are set for: where
// the load generator does not saturate a core of the 2-core development
// machine (below, fixed costs dominate; above, generator and forwarder
// fight for the cores).
var targetStreams = []int{250, 500}

// verdict compares the relay with the references at n streams; at other
// counts than targetStreams it reports the same ratios for information.
func verdict(n int, r map[string]measured) string {
	rel, ok := r["relay"]
	if !ok {
		return ""
	}
	judged := slices.Contains(targetStreams, n)
	var parts []string
	check := func(what string, ok bool) {
		word := "ok"
		switch {
		case !judged:
			word = ""
		case !ok:
			word = "MISSED"
		}
		parts = append(parts, strings.TrimSpace(what+" "+word))
	}
	check(fmt.Sprintf("loss %d", rel.Loss()), rel.Loss() == 0)
	check(fmt.Sprintf("p99 %.2f ms", rel.P99.Seconds()*1000), rel.P99 <= maxP99)
	if bare, ok := r["bare"]; ok && bare.perK() > 0 {
		x := rel.perK() / bare.perK()
		check(fmt.Sprintf("CPU %.2fx bare (target <= %.2f)", x, maxVsBare), x <= maxVsBare)
	}
	if eng, ok := r["rtpengine"]; ok && eng.perK() > 0 {
		x := rel.perK() / eng.perK()
		check(fmt.Sprintf("CPU %.2fx rtpengine (target <= %.2f)", x, maxVsRTPEngine), x <= maxVsRTPEngine)
	}
	line := fmt.Sprintf("relay at %d streams: %s", n, strings.Join(parts, ", "))
	if !judged {
		line += " (for information: the targets are set at 250 and 500 streams)"
	}
	if rel.GenLag > maxGenLag {
		line += fmt.Sprintf(" (NOT VALID: the generator ran up to %.0f ms late, so the machine was short of CPU; rerun when it is idle)", rel.GenLag.Seconds()*1000)
	}
	return line
}

var errSkip = errors.New("not installed")

// runOne starts forwarder name and runs n streams through it.
func runOne(ctx context.Context, o options, name string, n int) (measured, error) {
	var none measured
	gen, err := newGenerator(o.shards)
	if err != nil {
		return none, err
	}
	defer gen.close()
	var t target
	switch name {
	case "relay", "relay-goroutines", "bare":
		t, err = startChild(ctx, name, o)
	case "direct":
		t = direct{}
	case "rtpengine":
		path, lookErr := exec.LookPath(o.rtpenginePath)
		if lookErr != nil {
			return none, fmt.Errorf("rtpengine %w (Debian package rtpengine-daemon)", errSkip)
		}
		t, err = startEngine(ctx, path, o.enginePorts)
	default:
		return none, fmt.Errorf("unknown target %q", name)
	}
	if err != nil {
		return none, err
	}
	defer t.close()
	streams, err := t.setup(n, gen.phones)
	if err != nil {
		return none, err
	}
	var cpu0, cpu time.Duration
	var cpuErr error
	res, err := gen.run(ctx, streams, o.warmup, o.window, o.drain, func(start bool) {
		c, err := procCPU(t.pid())
		if err != nil {
			cpuErr = err
		}
		if start {
			cpu0 = c
		} else {
			cpu = c - cpu0
		}
	})
	if err != nil {
		return none, err
	}
	if cpuErr != nil {
		return none, cpuErr
	}
	return measured{res, cpu}, nil
}

func formatRow(name string, m measured) string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 2, 64) }
	r := m.loadResult
	cpuPct := 100 * m.cpu.Seconds() / r.Window.Seconds()
	perK := m.perK()
	return fmt.Sprintf("%-9s %7d %9.0f %11.0f %6d %7s %7s %7s %8.1f%% %9.2f%% %7.1f%% %7s",
		name, r.Streams, float64(r.Sent)/r.Window.Seconds(), r.DeliveredPPS(), r.Loss(),
		ms(r.P50), ms(r.P99), ms(r.Max), cpuPct, perK, 100*r.GenCPU.Seconds()/r.Window.Seconds(), ms(r.GenLag))
}

// controlClient speaks the forwarder control protocol (see serve).
type controlClient struct {
	w io.Writer
	r *bufio.Reader
}

func (c *controlClient) call(cmd string) ([]string, error) {
	if _, err := fmt.Fprintln(c.w, cmd); err != nil {
		return nil, fmt.Errorf("rtpload: forwarder %q: %w", cmd, err)
	}
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("rtpload: forwarder reply to %q: %w", cmd, err)
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "ok" || line == "closed":
			return lines, nil
		case strings.HasPrefix(line, "error "):
			return nil, fmt.Errorf("rtpload: forwarder: %s", strings.TrimPrefix(line, "error "))
		}
		lines = append(lines, line)
	}
}

func (c *controlClient) setup(n int, _ func(int) (a, b netip.AddrPort)) ([]stream, error) {
	lines, err := c.call("alloc " + strconv.Itoa(n))
	if err != nil {
		return nil, err
	}
	if len(lines) != n {
		return nil, fmt.Errorf("rtpload: forwarder gave %d streams, want %d", len(lines), n)
	}
	streams := make([]stream, n)
	for i, l := range lines {
		a, b, _ := strings.Cut(l, " ")
		var errA, errB error
		streams[i].a, errA = netip.ParseAddrPort(a)
		streams[i].b, errB = netip.ParseAddrPort(b)
		if errA != nil || errB != nil {
			return nil, fmt.Errorf("rtpload: forwarder stream line %q", l)
		}
	}
	return streams, nil
}

// child is a forwarder process: rtpload -serve KIND.
type child struct {
	controlClient
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func startChild(ctx context.Context, kind string, o options) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("rtpload: own binary: %w", err)
	}
	args := []string{"-serve", kind, "-ports", o.relayPorts.String(), "-reactors", strconv.Itoa(o.reactors)}
	if o.profile != "" {
		args = append(args, "-cpuprofile", o.profile)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("rtpload: start %s forwarder: %w", kind, err)
	}
	return &child{controlClient: controlClient{w: stdin, r: bufio.NewReader(stdout)}, cmd: cmd, stdin: stdin}, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) close() error {
	_, err := c.call("close")
	c.stdin.Close()
	return errors.Join(err, c.cmd.Wait())
}

// direct is no forwarder at all: each phone sends straight to the other,
// to show the generator's own floor (latency, CPU) on this machine.
type direct struct{}

func (direct) setup(n int, phones func(int) (a, b netip.AddrPort)) ([]stream, error) {
	streams := make([]stream, n)
	for i := range streams {
		a, b := phones(i)
		streams[i] = stream{a: b, b: a}
	}
	return streams, nil
}

func (direct) pid() int     { return os.Getpid() }
func (direct) close() error { return nil }

// engine adapts rtpengine to target.
type engine struct{ *rtpengine }

func startEngine(ctx context.Context, path string, ports portRange) (engine, error) {
	r, err := startRTPEngine(ctx, path, ports.min, ports.max)
	return engine{r}, err
}

func (e engine) close() error {
	e.rtpengine.close()
	return nil
}
