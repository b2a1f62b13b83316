//go:build linux && (amd64 || arm || arm64 || riscv64 || loong64)

package relay

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestReactorPathDoesNotAllocate drives the reactor's per-socket step
// (recvfrom into the reactor's buffer, the shared per-packet path, sendto
// out of the peer's socket) on a reactor whose goroutine is not running.
func TestReactorPathDoesNotAllocate(t *testing.T) {
	h := newHotPath(t)
	ph := newPhone(t)
	r := &reactor{}
	r.sendFn = r.sendTo
	src := newPacketSource(rtpPacket{pt: 0, seq: 1, ssrc: 0xa, payload: make([]byte, 160)})
	dst := h.a.LocalAddr()
	step := func() {
		if _, err := ph.conn.WriteToUDPAddrPort(src.next(), dst); err != nil {
			t.Fatal(err)
		}
		r.readOne(h.a) // loopback delivery is done when the send returns
	}
	step() // latch outside the measurement
	const runs = 500
	if allocs := testing.AllocsPerRun(runs, step); allocs != 0 {
		t.Fatalf("%v allocations per packet, want 0", allocs)
	}
	if s := h.b.Stats(); s.TxPackets != runs+2 {
		t.Fatalf("B sent %d packets, want %d (A %+v)", s.TxPackets, runs+2, h.a.Stats())
	}
}

// TestReactorRelaysIPv6 relays between two phones on ::1 through a
// dual-stack-family pool, so the reactor builds IPv6 destinations.
func TestReactorRelaysIPv6(t *testing.T) {
	probe, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	lo := probe.LocalAddr().(*net.UDPAddr).Port &^ 1
	probe.Close()
	pool, err := NewPortPool(PortPoolOptions{BindAddr: netip.IPv6Loopback(), Min: lo, Max: lo + 7, RTCPInterval: -1, IO: IOReactor})
	if err != nil {
		t.Fatal(err)
	}
	var legs [2]leg
	for i := range legs {
		ep := allocate(t, pool)
		c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		ph := &phone{t: t, conn: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort()}
		ep.SetRemote(ph.addr)
		legs[i] = leg{ep: ep, phone: ph}
	}
	Bridge(legs[0].ep, legs[1].ep)
	started(t, legs[0].ep, legs[1].ep)
	for seq := range uint16(3) {
		legs[0].say(rtpPacket{seq: seq, ssrc: 0xa, payload: make([]byte, 160)})
		if got := legs[1].hear(); got.ssrc != legs[1].ep.SSRC() {
			t.Fatalf("B's phone heard SSRC %#x, want %#x", got.ssrc, legs[1].ep.SSRC())
		}
		legs[1].say(rtpPacket{seq: seq, ssrc: 0xb, payload: make([]byte, 160)})
		legs[0].hear()
	}
}

// TestReactorCloseWhileFlowing closes bridged endpoints while their
// phones keep sending, so deregistration races the reactor's batches (run
// with -race): nothing may be read or sent on a closed endpoint's socket,
// and everything must end.
func TestReactorCloseWhileFlowing(t *testing.T) {
	const pairs, packets = 8, 200
	lo, hi := freeRange(t, 3*pairs)
	pool, err := NewPortPool(PortPoolOptions{BindAddr: loopback, Min: lo, Max: hi, RTCPInterval: -1, IO: IOReactor})
	if err != nil {
		t.Fatal(err)
	}
	var eps []*Endpoint
	var senders sync.WaitGroup
	for range pairs {
		a, b := newLeg(t, pool), newLeg(t, pool)
		Bridge(a.ep, b.ep)
		started(t, a.ep, b.ep)
		eps = append(eps, a.ep, b.ep)
		for _, l := range []leg{a, b} {
			senders.Add(1)
			go func() {
				defer senders.Done()
				src := newPacketSource(rtpPacket{ssrc: 0xa, payload: make([]byte, 160)})
				for range packets {
					// Errors are expected once the endpoint is gone.
					l.phone.conn.WriteToUDPAddrPort(src.next(), l.ep.LocalAddr())
				}
			}()
		}
	}
	for _, e := range eps {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	senders.Wait()
	waitFor(t, "the reactors to end", func() bool { return readerGoroutines() == 0 })
	if n := pool.InUse(); n != 0 {
		t.Fatalf("%d endpoints still in use", n)
	}
}

// TestReactorPickFillsBeforeSpreading checks where new sockets go: the
// first reactor with room (fewer than socketsPerReactor sockets and busy
// less than spillBusy), else the one with the fewest sockets.
func TestReactorPickFillsBeforeSpreading(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := t0.Add(busySample)
	busy := func(fraction float64) *reactor {
		r := &reactor{sampledAt: t0}
		r.busyNs.Store(int64(fraction * float64(busySample)))
		return r
	}
	cases := []struct {
		name   string
		shards []*reactor
		counts []int
		want   int
	}{
		{"none running", []*reactor{nil, nil}, []int{0, 0}, 0},
		{"first has room", []*reactor{busy(0.2), nil}, []int{socketsPerReactor / 2, 0}, 0},
		{"first full", []*reactor{busy(0.2), nil}, []int{socketsPerReactor, 0}, 1},
		{"first busy", []*reactor{busy(0.6), nil}, []int{10, 0}, 1},
		{"second has room", []*reactor{busy(0.6), busy(0.1)}, []int{10, socketsPerReactor / 2}, 1},
		{"all busy: fewest sockets", []*reactor{busy(0.9), busy(0.9)}, []int{900, 300}, 1},
		{"all full: fewest sockets", []*reactor{busy(0.1), busy(0.1)}, []int{socketsPerReactor + 5, socketsPerReactor}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &reactorGroup{shards: c.shards, counts: c.counts}
			if got := g.pick(now); got != c.want {
				t.Fatalf("pick = %d, want %d", got, c.want)
			}
		})
	}
}
