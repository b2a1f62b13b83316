package relay

import (
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRelayHandle measures the per-packet function on one 172-byte
// G.711 packet (12-byte header + 160 bytes), without the socket read.
// "prepare" is validation, latch, counters, clock and header rewrite;
// "handlePacket" adds the sendto system call out of the peer's socket.
func BenchmarkRelayHandle(b *testing.B) {
	for _, c := range []struct {
		name string
		run  func(h *hotPath, pkt []byte)
	}{
		{"prepare", func(h *hotPath, pkt []byte) { h.a.prepare(pkt, h.src) }},
		{"handlePacket", func(h *hotPath, pkt []byte) { h.a.handlePacket(pkt, h.src) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := newHotPath(b)
			src := newPacketSource(rtpPacket{seq: 1, ssrc: 0xa, payload: make([]byte, 160)})
			c.run(h, src.next()) // latch outside the measurement
			b.ReportAllocs()
			b.SetBytes(int64(len(src.tmpl)))
			b.ResetTimer()
			for b.Loop() {
				c.run(h, src.next())
			}
		})
	}
}

// BenchmarkRelayLoopback pushes b.N packets through real sockets: a
// sender phone → endpoint A → (relay) → out of endpoint B → receiver
// phone. The sender keeps at most relayWindow packets in flight so the
// kernel does not drop on a full socket buffer; a packet that does get lost
// is counted in "lost/op" after a short wait instead of stalling the run.
func BenchmarkRelayLoopback(b *testing.B) {
	const (
		relayWindow = 32
		lossWait    = 50 * time.Millisecond
	)
	pool := newTestPool(b, 2, nil)
	epA := allocate(b, pool)
	epB := allocate(b, pool)
	sender, receiver := newPhone(b), newPhone(b)
	epA.SetRemote(sender.addr)
	epB.SetRemote(receiver.addr)
	Bridge(epA, epB)
	epA.Start()
	epB.Start()

	credits := make(chan struct{}, relayWindow)
	var received atomic.Int64
	receiverDone := make(chan struct{})
	go func() {
		defer close(receiverDone)
		buf := make([]byte, maxPacketSize)
		for {
			if _, _, err := receiver.conn.ReadFromUDPAddrPort(buf); err != nil {
				return // closed at the end of the run
			}
			received.Add(1)
			select {
			case credits <- struct{}{}:
			default:
			}
		}
	}()

	src := newPacketSource(rtpPacket{seq: 1, ssrc: 0xa, payload: make([]byte, 160)})
	to := epA.LocalAddr()
	// Warm up: the first packet latches A's source (one allocation).
	sender.send(to, src.next())
	<-credits
	received.Store(0)
	for range relayWindow {
		credits <- struct{}{}
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()

	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		select {
		case <-credits:
		default:
			timer.Reset(lossWait)
			select {
			case <-credits:
				timer.Stop()
			case <-timer.C:
				// A packet in flight vanished; carry on. It
				// shows up in lost/op.
			}
		}
		if _, err := sender.conn.WriteToUDPAddrPort(src.next(), to); err != nil {
			b.Fatal(err)
		}
	}
	// Wait for the tail, giving up on packets that make no progress.
	for last, idle := received.Load(), time.Now(); received.Load() < int64(b.N); {
		if n := received.Load(); n != last {
			last, idle = n, time.Now()
		} else if time.Since(idle) > lossWait {
			break
		}
		time.Sleep(10 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	got := received.Load()
	receiver.conn.Close()
	<-receiverDone

	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "ns/packet")
	b.ReportMetric(float64(got)/elapsed.Seconds(), "packets/s")
	b.ReportMetric(float64(int64(b.N)-got)/float64(b.N), "lost/op")
}

// BenchmarkRelaySRTP is BenchmarkRelayHandle with SRTP legs: one op is one
// 172-byte G.711 packet (182 bytes as SRTP with an 80-bit tag) relayed
// from A to B. "SRTP-RTP" decrypts A's phone's packet, "RTP-SRTP"
// encrypts it for B's phone, "SRTP-SRTP" does both; "RTP-RTP" is the
// plain baseline through the same harness. A's phone's packets are
// encrypted in batches outside the timer.
func BenchmarkRelaySRTP(b *testing.B) {
	const batch = 1024
	for _, c := range []struct {
		name    string
		in, out bool
	}{
		{"RTP-RTP", false, false},
		{"SRTP-RTP", true, false},
		{"RTP-SRTP", false, true},
		{"SRTP-SRTP", true, true},
	} {
		for _, step := range []struct {
			name string
			run  func(h *hotPath, pkt []byte)
		}{
			{"prepare", func(h *hotPath, pkt []byte) { h.a.prepare(pkt, h.src) }},
			{"handlePacket", func(h *hotPath, pkt []byte) { h.a.handlePacket(pkt, h.src) }},
		} {
			b.Run(c.name+"/"+step.name, func(b *testing.B) {
				h := newSRTPHotPath(b, c.in, c.out)
				step.run(h.hotPath, h.packets(b, 1)[0]) // latch outside the measurement
				pkts := h.packets(b, batch)
				b.ReportAllocs()
				b.SetBytes(int64(len(pkts[0])))
				b.ResetTimer()
				next := 0
				for i := 0; i < b.N; i++ {
					if next == batch {
						b.StopTimer()
						pkts = h.packets(b, batch)
						next = 0
						b.StartTimer()
					}
					step.run(h.hotPath, pkts[next])
					next++
				}
				b.StopTimer()
				if s := h.a.Stats(); s.Dropped != 0 {
					b.Fatalf("%d packets dropped", s.Dropped)
				}
			})
		}
	}
}
