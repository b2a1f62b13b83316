package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

const (
	// packetSize is one G.711 20 ms packet: 12-byte RTP header, 160 bytes.
	packetSize = 12 + 160
	// frame is the packet interval of every stream direction (50 pps).
	frame = 20 * time.Millisecond
	// slot is the generator's scheduling step; the streams are spread
	// evenly over the frame/slot slots of a frame, as independent phones
	// would be.
	slot       = time.Millisecond
	slotsPerFr = int(frame / slot)
	batchSize  = 64
	sockBuf    = 4 << 20
	// histogram: latency buckets of histStep up to histMax.
	histStep = 10 * time.Microsecond
	histMax  = 500 * time.Millisecond
)

// Payload layout after the RTP header: send time (ns since the generator's
// start), stream index, direction, measured flag.
const (
	offSent     = 12
	offStream   = 20
	offDir      = 24
	offMeasured = 25
)

// stream is one bidirectional call as the relay under test sees it: the
// generator's side A sends to a and side B sends to b; the relay forwards
// each to the other side.
type stream struct{ a, b netip.AddrPort }

// generator plays 2 phones per stream. The phones of the streams share a
// few sockets (shards), so that sending and receiving use batch system
// calls and the generator costs as little CPU as possible; the stream and
// direction of a received packet are in its payload.
type generator struct {
	shards []*shard
}

type shard struct {
	side [2]*net.UDPConn // side A, side B
	pc   [2]*ipv4.PacketConn
}

// newGenerator opens the shards' sockets on loopback.
func newGenerator(shards int) (*generator, error) {
	g := &generator{}
	for range shards {
		s := &shard{}
		for d := range 2 {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				g.close()
				return nil, fmt.Errorf("rtpload: generator socket: %w", err)
			}
			c.SetReadBuffer(sockBuf)
			c.SetWriteBuffer(sockBuf)
			if err := enableRxTimestamps(c); err != nil {
				c.Close()
				g.close()
				return nil, err
			}
			s.side[d], s.pc[d] = c, ipv4.NewPacketConn(c)
		}
		g.shards = append(g.shards, s)
	}
	return g, nil
}

func (g *generator) close() {
	for _, s := range g.shards {
		for _, c := range s.side {
			if c != nil {
				c.Close()
			}
		}
	}
}

// phones returns the addresses stream i's two phones send from.
func (g *generator) phones(i int) (a, b netip.AddrPort) {
	s := g.shards[i%len(g.shards)]
	return s.side[0].LocalAddr().(*net.UDPAddr).AddrPort(), s.side[1].LocalAddr().(*net.UDPAddr).AddrPort()
}

// loadResult is one run's outcome.
type loadResult struct {
	Streams        int
	Window         time.Duration
	Sent, Received uint64 // measured packets
	P50, P99, Max  time.Duration
	GenCPU         time.Duration // the generator's own CPU during the window
	// GenLag is how late the generator's senders ran at worst during the
	// window: above a few ms the generator, not the forwarder, was short
	// of CPU and sent in bursts.
	GenLag time.Duration
}

// DeliveredPPS is packets per second delivered through the relay.
func (r loadResult) DeliveredPPS() float64 { return float64(r.Received) / r.Window.Seconds() }

// Loss is the measured packets that never arrived.
func (r loadResult) Loss() int64 { return int64(r.Sent) - int64(r.Received) }

// run sends 50 pps in each direction of every stream: warmup unmeasured
// (latching, socket set-up), then window measured, then drain for late
// packets. onWindow, if set, is called at the start and end of the window
// (CPU sampling of the relay).
func (g *generator) run(ctx context.Context, streams []stream, warmup, window, drain time.Duration, onWindow func(start bool)) (loadResult, error) {
	var measuring atomic.Bool
	var sent atomic.Uint64
	var lag atomic.Int64 // the senders' worst lateness, measured window only
	stop := make(chan struct{})
	recv := make([]*receiver, 0, 2*len(g.shards))
	var wg sync.WaitGroup
	for _, s := range g.shards {
		for d := range 2 {
			r := &receiver{hist: make([]uint32, histMax/histStep+1)}
			recv = append(recv, r)
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.loop(g, s.pc[d])
			}()
		}
	}
	var senders sync.WaitGroup
	errs := make(chan error, len(g.shards))
	for si, s := range g.shards {
		var mine []int
		for i := si; i < len(streams); i += len(g.shards) {
			mine = append(mine, i)
		}
		senders.Add(1)
		go func() {
			defer senders.Done()
			if err := g.send(s, streams, mine, &measuring, &sent, &lag, stop); err != nil {
				errs <- err
			}
		}()
	}
	var res loadResult
	fail := func(err error) (loadResult, error) {
		close(stop)
		senders.Wait()
		g.close()
		wg.Wait()
		return res, err
	}
	if err := sleepCtx(ctx, warmup); err != nil {
		return fail(err)
	}
	if onWindow != nil {
		onWindow(true)
	}
	cpu0 := selfCPU()
	measuring.Store(true)
	if err := sleepCtx(ctx, window); err != nil {
		return fail(err)
	}
	measuring.Store(false)
	res.GenCPU = selfCPU() - cpu0
	if onWindow != nil {
		onWindow(false)
	}
	close(stop)
	senders.Wait()
	select {
	case err := <-errs:
		g.close()
		wg.Wait()
		return res, err
	default:
	}
	sleepCtx(ctx, drain)
	g.close()
	wg.Wait()
	hist := make([]uint64, histMax/histStep+1)
	for _, r := range recv {
		res.Received += r.received
		for i, n := range r.hist {
			hist[i] += uint64(n)
		}
	}
	res.Streams, res.Window, res.Sent, res.GenLag = len(streams), window, sent.Load(), time.Duration(lag.Load())
	res.P50, res.P99, res.Max = percentile(hist, 0.50), percentile(hist, 0.99), percentile(hist, 1)
	return res, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// send is one shard's sender: each slot, it sends one packet in each
// direction for the shard's streams scheduled in that slot, in batches.
// It catches up on slots it overslept, so every stream keeps 50 pps.
func (g *generator) send(s *shard, streams []stream, mine []int, measuring *atomic.Bool, sent *atomic.Uint64, lag *atomic.Int64, stop <-chan struct{}) error {
	type state struct {
		idx  int
		addr [2]*net.UDPAddr
		seq  [2]uint16
		ts   [2]uint32
		buf  [2][]byte
	}
	bySlot := make([][]*state, slotsPerFr)
	for k, i := range mine {
		st := &state{idx: i}
		st.addr[0] = net.UDPAddrFromAddrPort(streams[i].a)
		st.addr[1] = net.UDPAddrFromAddrPort(streams[i].b)
		for d := range 2 {
			st.buf[d] = make([]byte, packetSize)
		}
		// Spread the shard's streams over the slots.
		sl := k * slotsPerFr / max(len(mine), 1)
		bySlot[sl] = append(bySlot[sl], st)
	}
	var msgs [2][]ipv4.Message
	for d := range 2 {
		msgs[d] = make([]ipv4.Message, 0, batchSize)
	}
	flush := func(d int) error {
		for m := msgs[d]; len(m) > 0; {
			n, err := s.pc[d].WriteBatch(m, 0)
			if err != nil {
				return fmt.Errorf("rtpload: send: %w", err)
			}
			m = m[n:]
		}
		msgs[d] = msgs[d][:0]
		return nil
	}
	next := time.Now()
	for k := 0; ; k++ {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		} else if measuring.Load() && -d > time.Duration(lag.Load()) {
			lag.Store(int64(-d))
		}
		select {
		case <-stop:
			return nil
		default:
		}
		measured := measuring.Load()
		for _, st := range bySlot[k%slotsPerFr] {
			for d := range 2 {
				b := st.buf[d]
				b[0], b[1] = 0x80, 0
				st.seq[d]++
				st.ts[d] += 160
				binary.BigEndian.PutUint16(b[2:], st.seq[d])
				binary.BigEndian.PutUint32(b[4:], st.ts[d])
				binary.BigEndian.PutUint32(b[8:], uint32(2*st.idx+d))
				// Wall-clock time, the clock of the kernel's receive
				// timestamps.
				binary.BigEndian.PutUint64(b[offSent:], uint64(time.Now().UnixNano()))
				binary.BigEndian.PutUint32(b[offStream:], uint32(st.idx))
				b[offDir] = byte(d)
				b[offMeasured] = 0
				if measured {
					b[offMeasured] = 1
					sent.Add(1)
				}
				msgs[d] = append(msgs[d], ipv4.Message{Buffers: [][]byte{b}, Addr: st.addr[d]})
				if len(msgs[d]) == batchSize {
					if err := flush(d); err != nil {
						return err
					}
				}
			}
		}
		for d := range 2 {
			if err := flush(d); err != nil {
				return err
			}
		}
		next = next.Add(slot)
	}
}

// receiver counts and times the packets arriving on one generator socket.
type receiver struct {
	received uint64
	hist     []uint32
}

func (r *receiver) loop(g *generator, pc *ipv4.PacketConn) {
	msgs := make([]ipv4.Message, batchSize)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 1500)}
		msgs[i].OOB = make([]byte, oobSize)
	}
	for {
		n, err := pc.ReadBatch(msgs, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		now := time.Now().UnixNano()
		for _, m := range msgs[:n] {
			b := m.Buffers[0][:m.N]
			// Only our own packets: the relay's RTCP may land here too.
			if len(b) != packetSize || b[0]>>6 != 2 || b[offMeasured] != 1 {
				continue
			}
			r.received++
			arrived, ok := rxTimestamp(m.OOB[:m.NN])
			if !ok {
				arrived = now
			}
			lat := time.Duration(arrived - int64(binary.BigEndian.Uint64(b[offSent:])))
			r.hist[min(int(max(lat, 0)/histStep), len(r.hist)-1)]++
		}
	}
}

// percentile returns the upper edge of the bucket holding quantile q.
func percentile(hist []uint64, q float64) time.Duration {
	var total uint64
	for _, n := range hist {
		total += n
	}
	if total == 0 {
		return 0
	}
	want := uint64(q*float64(total) + 0.5)
	want = max(want, 1)
	var acc uint64
	for i, n := range hist {
		acc += n
		if acc >= want {
			return time.Duration(i+1) * histStep
		}
	}
	return histMax
}
