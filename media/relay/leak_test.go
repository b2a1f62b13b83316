package relay

import (
	"runtime"
	"testing"
	"time"
)

// TestManyEndpointsLeaveNoGoroutines opens many endpoints with short RTCP
// intervals, bridges them in pairs, passes packets both ways (RTP and
// RTCP), closes everything and checks that the goroutine count returns to
// where it started and every port went back to the pool.
func TestManyEndpointsLeaveNoGoroutines(t *testing.T) {
	for _, mode := range []IOMode{IOReactor, IOGoroutines} {
		t.Run(mode.String(), func(t *testing.T) { manyEndpointsLeaveNoGoroutines(t, mode) })
	}
}

func manyEndpointsLeaveNoGoroutines(t *testing.T, mode IOMode) {
	const pairs = 32
	baseline := runtime.NumGoroutine()
	lo, hi := freeRange(t, 3*pairs) // slack: the phones' sockets may land in the range
	pool, err := NewPortPool(PortPoolOptions{BindAddr: loopback, Min: lo, Max: hi, RTCPInterval: 5 * time.Millisecond, IO: mode})
	if err != nil {
		t.Fatal(err)
	}
	type call struct{ a, b leg }
	calls := make([]call, pairs)
	for i := range calls {
		calls[i] = call{newLeg(t, pool), newLeg(t, pool)}
		Bridge(calls[i].a.ep, calls[i].b.ep)
		started(t, calls[i].a.ep, calls[i].b.ep)
	}
	for seq := range uint16(3) {
		for _, c := range calls {
			c.a.say(rtpPacket{seq: seq, ssrc: 0xa, payload: make([]byte, 160)})
			c.b.say(rtpPacket{seq: seq, ssrc: 0xb, payload: make([]byte, 160)})
		}
		for _, c := range calls {
			c.b.hear()
			c.a.hear()
		}
	}
	// Each A phone's RR latches A's RTCP destination; A's reports then
	// go to that phone's socket, which nobody reads any more.
	for _, c := range calls {
		rtcp := rtcpPhone{c.a.phone, c.a.ep}
		rtcp.send(rtcp.endpointRTCP(), receiverReport(0xa))
	}
	for _, c := range calls {
		waitFor(t, "RTCP both ways", func() bool {
			return c.a.ep.Stats().RTCPReceived == 1 && c.a.ep.Stats().RTCPSent > 0
		})
	}
	if got, want := readerGoroutines(), wantReaders(pool, 2*pairs); got != want {
		t.Fatalf("%d endpoint goroutines, want %d", got, want)
	}
	for _, c := range calls {
		if err := c.a.ep.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.b.ep.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Close waited for them; a goroutine may still be unwinding its
	// deferred Done.
	waitFor(t, "endpoint goroutines to end", func() bool { return readerGoroutines() == 0 })
	waitFor(t, "the goroutine count to return to the baseline", func() bool { return runtime.NumGoroutine() <= baseline })
	if n := pool.InUse(); n != 0 {
		t.Fatalf("%d endpoints still in use", n)
	}
}
