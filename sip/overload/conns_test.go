package overload

import (
	"math"
	"net"
	"sync"
	"testing"
	"time"
)

func TestDefaultMaxConnections(t *testing.T) {
	for limit, want := range map[int64]int{
		math.MaxInt64: 4096,
		512 << 20:     1024, // 1 GB board
		16 << 20:      256,  // floor
		64 << 30:      16384,
	} {
		if got := DefaultMaxConnections(limit); got != want {
			t.Errorf("DefaultMaxConnections(%d) = %d, want %d", limit, got, want)
		}
	}
}

// limitRig is a ConnLimiter on a loopback listener whose accepted
// connections are kept open by the test until it closes them.
type limitRig struct {
	lim      *ConnLimiter
	mu       sync.Mutex
	accepted []net.Conn
}

func newLimitRig(t *testing.T, max int) *limitRig {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &limitRig{lim: LimitConnections(l, max, nil, nil)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := r.lim.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.accepted = append(r.accepted, c)
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		r.lim.Close()
		<-done
		for _, c := range r.accepted {
			c.Close()
		}
	})
	return r
}

func (r *limitRig) acceptedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.accepted)
}

// dial connects from source address src and reports whether the
// limiter handed the connection out (rather than closing it), once it
// has decided one way or the other.
func (r *limitRig) dial(t *testing.T, src string) bool {
	t.Helper()
	kept, closed := r.acceptedCount(), r.lim.Rejected()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp4", r.lim.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		switch {
		case r.acceptedCount() > kept:
			return true
		case r.lim.Rejected() > closed:
			return false
		}
	}
	t.Fatalf("connection from %s neither handed out nor closed", src)
	return false
}

func TestConnLimiter(t *testing.T) {
	r := newLimitRig(t, 4) // 2 per address
	if !r.dial(t, "127.0.0.1") {
		t.Fatal("first connection closed")
	}
	if !r.dial(t, "127.0.0.1") {
		t.Fatal("second connection closed")
	}
	if r.dial(t, "127.0.0.1") {
		t.Fatal("a third connection from one address kept with a maximum of 4")
	}
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		if !r.dial(t, src) {
			t.Fatalf("connection from %s closed below the maximum", src)
		}
	}
	if r.dial(t, "127.0.0.4") {
		t.Fatal("a fifth connection kept with a maximum of 4")
	}
	if r.lim.Open() != 4 || r.lim.Rejected() != 2 {
		t.Fatalf("open %d rejected %d, want 4 and 2", r.lim.Open(), r.lim.Rejected())
	}

	// The server closing one (sipgo, when the phone hangs up its
	// connection) makes room; a second Close does not count twice.
	r.mu.Lock()
	c := r.accepted[0]
	r.mu.Unlock()
	c.Close()
	c.Close()
	if r.lim.Open() != 3 {
		t.Fatalf("open %d after a close, want 3", r.lim.Open())
	}
	if !r.dial(t, "127.0.0.4") {
		t.Fatal("refused after a close made room")
	}

	r.lim.SetMax(0)
	if !r.dial(t, "127.0.0.1") {
		t.Fatal("refused with no maximum")
	}
}
