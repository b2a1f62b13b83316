package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gatepbx/gatepbx/media/relay"
	"golang.org/x/net/ipv4"
)

// A forwarder is the system under test, run in its own process (rtpload
// -serve KIND) so that its CPU time can be read from /proc without the
// generator's. It is driven over stdin/stdout, one line each way:
//
//	alloc N  →  N lines "A B" (the two legs' addresses of stream i), then "ok"
//	close    →  "closed" (every socket closed, every goroutine ended)
//
// Errors are answered "error <text>".
type forwarder interface {
	alloc(n int) ([][2]netip.AddrPort, error)
	close() error
}

func newForwarder(kind string, ports portRange, reactors int) (forwarder, error) {
	switch kind {
	case "relay", "relay-goroutines":
		io, err := relay.ParseIOMode(strings.TrimPrefix(strings.TrimPrefix(kind, "relay"), "-"))
		if err != nil {
			return nil, err
		}
		pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: ports.min, Max: ports.max, IO: io, Reactors: reactors})
		if err != nil {
			return nil, err
		}
		return &relayForwarder{pool: pool}, nil
	case "bare":
		return &bareForwarder{}, nil
	}
	return nil, fmt.Errorf("rtpload: unknown forwarder %q (relay, relay-goroutines or bare)", kind)
}

// serve runs the control loop of a forwarder process.
func serve(f forwarder, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	w := bufio.NewWriter(out)
	defer f.close()
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch cmd {
		case "alloc":
			n, err := strconv.Atoi(arg)
			if err != nil || n < 1 || n > maxStreams {
				fmt.Fprintf(w, "error stream count %q\n", arg)
				break
			}
			pairs, err := f.alloc(n)
			if err != nil {
				fmt.Fprintf(w, "error %v\n", err)
				break
			}
			for _, p := range pairs {
				fmt.Fprintf(w, "%v %v\n", p[0], p[1])
			}
			fmt.Fprintln(w, "ok")
		case "close":
			if err := f.close(); err != nil {
				fmt.Fprintf(w, "error %v\n", err)
				break
			}
			fmt.Fprintln(w, "closed")
		default:
			fmt.Fprintf(w, "error unknown command %q\n", cmd)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}

// relayForwarder is gatepbx's relay: two endpoints per stream from a port
// pool, bridged and started, exactly as the call core does it (each
// endpoint latches its phone from the first packet).
type relayForwarder struct {
	pool *relay.PortPool
	eps  []*relay.Endpoint
}

func (r *relayForwarder) alloc(n int) ([][2]netip.AddrPort, error) {
	pairs := make([][2]netip.AddrPort, n)
	for i := range pairs {
		a, err := r.pool.Allocate()
		if err != nil {
			return nil, err
		}
		r.eps = append(r.eps, a)
		b, err := r.pool.Allocate()
		if err != nil {
			return nil, err
		}
		r.eps = append(r.eps, b)
		relay.Bridge(a, b)
		a.Start()
		b.Start()
		pairs[i] = [2]netip.AddrPort{a.LocalAddr(), b.LocalAddr()}
	}
	return pairs, nil
}

func (r *relayForwarder) close() error {
	var errs []error
	for _, e := range r.eps {
		errs = append(errs, e.Close())
	}
	r.eps = nil
	return errors.Join(errs...)
}

// bareForwarder is the reference: two sockets per stream, one goroutine
// per socket reading batches with recvmmsg and writing them with sendmmsg
// out of the other socket to the address the other socket first heard
// from. No RTP parsing, no latching rules, no counters.
type bareForwarder struct {
	socks []*bareSocket
	wg    sync.WaitGroup
}

type bareSocket struct {
	conn  *net.UDPConn
	pc    *ipv4.PacketConn
	peer  atomic.Pointer[net.UDPAddr] // first source heard
	other *bareSocket
}

func (f *bareForwarder) alloc(n int) ([][2]netip.AddrPort, error) {
	pairs := make([][2]netip.AddrPort, n)
	for i := range pairs {
		var s [2]*bareSocket
		for j := range s {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				return nil, fmt.Errorf("rtpload: bare forwarder socket: %w", err)
			}
			s[j] = &bareSocket{conn: c, pc: ipv4.NewPacketConn(c)}
			f.socks = append(f.socks, s[j])
			pairs[i][j] = c.LocalAddr().(*net.UDPAddr).AddrPort()
		}
		s[0].other, s[1].other = s[1], s[0]
		for _, x := range s {
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				x.loop()
			}()
		}
	}
	return pairs, nil
}

func (s *bareSocket) loop() {
	in := make([]ipv4.Message, batchSize)
	out := make([]ipv4.Message, batchSize)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 1500)}
		out[i].Buffers = make([][]byte, 1)
	}
	for {
		n, err := s.pc.ReadBatch(in, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if s.peer.Load() == nil {
			if a, ok := in[0].Addr.(*net.UDPAddr); ok {
				s.peer.Store(a)
			}
		}
		dst := s.other.peer.Load()
		if dst == nil {
			continue
		}
		for i := range n {
			out[i].Buffers[0] = in[i].Buffers[0][:in[i].N]
			out[i].Addr = dst
		}
		for m := out[:n]; len(m) > 0; {
			k, err := s.other.pc.WriteBatch(m, 0)
			if err != nil {
				break
			}
			m = m[k:]
		}
	}
}

func (f *bareForwarder) close() error {
	var errs []error
	for _, s := range f.socks {
		errs = append(errs, s.conn.Close())
	}
	f.wg.Wait()
	f.socks = nil
	return errors.Join(errs...)
}

// portRange is a "min-max" flag value.
type portRange struct{ min, max int }

func (p *portRange) String() string { return fmt.Sprintf("%d-%d", p.min, p.max) }

func (p *portRange) Set(s string) error {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || a < 1024 || b > 65535 || a >= b {
		return fmt.Errorf("port range %q: want MIN-MAX within 1024-65535", s)
	}
	p.min, p.max = a, b
	return nil
}
