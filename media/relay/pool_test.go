package relay

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestNewPortPoolRejectsBadRanges(t *testing.T) {
	cases := []struct {
		name     string
		min, max int
	}{
		{"odd minimum", 10001, 10010},
		{"no pair", 10000, 10000},
		{"inverted", 10010, 10000},
		{"zero", 0, 100},
		{"above 65535", 65534, 65536},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewPortPool(PortPoolOptions{BindAddr: loopback, Min: c.min, Max: c.max}); err == nil {
				t.Fatalf("NewPortPool(%d, %d) succeeded", c.min, c.max)
			}
		})
	}
}

func TestPortPoolAllocation(t *testing.T) {
	// Pairs are numbered from the start of a free 3-pair range; occupied
	// lists the offsets held by another socket before allocation.
	cases := []struct {
		name     string
		occupied []int // port offsets from Min held by a foreign socket
		want     []int // RTP port offsets Allocate hands out before exhaustion
	}{
		{"all free", nil, []int{0, 2, 4}},
		{"foreign RTP port", []int{2}, []int{0, 4}},
		{"foreign RTCP port", []int{1}, []int{2, 4}},
		{"all taken", []int{0, 3, 4}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lo, hi := freeRange(t, 3)
			for _, off := range c.occupied {
				s, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(lo+off))))
				if err != nil {
					t.Fatalf("occupy port %d: %v", lo+off, err)
				}
				defer s.Close()
			}
			pool, err := NewPortPool(PortPoolOptions{BindAddr: loopback, Min: lo, Max: hi})
			if err != nil {
				t.Fatal(err)
			}
			var eps []*Endpoint
			for _, off := range c.want {
				e, err := pool.Allocate()
				if err != nil {
					t.Fatalf("Allocate: %v", err)
				}
				eps = append(eps, e)
				if got := e.LocalPort(); got != lo+off {
					t.Fatalf("LocalPort = %d, want %d", got, lo+off)
				}
			}
			defer func() {
				for _, e := range eps {
					e.Close()
				}
			}()
			if _, err := pool.Allocate(); !errors.Is(err, ErrPortRangeExhausted) {
				t.Fatalf("Allocate on a full range = %v, want ErrPortRangeExhausted", err)
			}
			if got := pool.InUse(); got != len(c.want) {
				t.Fatalf("InUse = %d, want %d", got, len(c.want))
			}
		})
	}
}

func TestPortPoolReusesRoundRobin(t *testing.T) {
	pool := newTestPool(t, 3, nil)
	var eps []*Endpoint
	for range 3 {
		e, err := pool.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		eps = append(eps, e)
	}
	ports := []int{eps[0].LocalPort(), eps[1].LocalPort(), eps[2].LocalPort()}
	if err := eps[1].Close(); err != nil {
		t.Fatal(err)
	}
	if got := pool.InUse(); got != 2 {
		t.Fatalf("InUse = %d after one Close, want 2", got)
	}
	e, err := pool.Allocate()
	if err != nil {
		t.Fatalf("Allocate after Close: %v", err)
	}
	if e.LocalPort() != ports[1] {
		t.Fatalf("reused port %d, want the freed %d", e.LocalPort(), ports[1])
	}
	eps[1] = e
	// Round robin: with pairs 0 and 1 both free, the search starts after
	// the last allocation (pair 1), skips pair 2 (in use) and wraps to
	// pair 0, so the just-freed pair 1 rests.
	eps[0].Close()
	eps[1].Close()
	e, err = pool.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	if e.LocalPort() != ports[0] {
		t.Fatalf("round robin gave %d, want %d (the pair after the last allocation)", e.LocalPort(), ports[0])
	}
	e.Close()
	eps[2].Close()
	if got := pool.InUse(); got != 0 {
		t.Fatalf("InUse = %d, want 0", got)
	}
}

func TestAllocateReportsOtherBindErrors(t *testing.T) {
	// 192.0.2.1 (TEST-NET-1) is not a local address: the bind fails with
	// something other than "in use" and Allocate must say so, not skip.
	pool, err := NewPortPool(PortPoolOptions{BindAddr: netip.MustParseAddr("192.0.2.1"), Min: 40000, Max: 40009})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Allocate()
	if err == nil || errors.Is(err, ErrPortRangeExhausted) {
		t.Fatalf("Allocate = %v, want a bind error", err)
	}
}
