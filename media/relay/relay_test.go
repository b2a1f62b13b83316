package relay

import (
	"bytes"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/srtp"
)

// bridged returns two started, bridged legs.
func bridged(t *testing.T) (pool *PortPool, a, b leg) {
	t.Helper()
	pool = newTestPool(t, 8, nil)
	a, b = newLeg(t, pool), newLeg(t, pool)
	Bridge(a.ep, b.ep)
	a.ep.Start()
	b.ep.Start()
	return pool, a, b
}

func TestRelayBothWays(t *testing.T) {
	_, a, b := bridged(t)
	for i := range 5 {
		sent := rtpPacket{pt: 0, seq: uint16(100 + i), ts: uint32(1000 + 160*i), ssrc: 0xa, payload: []byte{byte(i), 1, 2, 3}}
		a.say(sent)
		got := b.hear() // checks the source is b's endpoint: symmetric RTP
		if !bytes.Equal(got.payload, sent.payload) || got.seq != sent.seq || got.ts != sent.ts {
			t.Fatalf("A→B packet %d: got seq %d ts %d payload %x, want seq %d ts %d payload %x",
				i, got.seq, got.ts, got.payload, sent.seq, sent.ts, sent.payload)
		}
		if got.ssrc != b.ep.SSRC() {
			t.Fatalf("A→B SSRC = %#x, want b's SSRC %#x", got.ssrc, b.ep.SSRC())
		}

		back := rtpPacket{pt: 8, seq: uint16(7 + i), ts: uint32(50 + 160*i), ssrc: 0xb, payload: []byte{9, byte(i)}}
		b.say(back)
		got = a.hear()
		if !bytes.Equal(got.payload, back.payload) || got.seq != back.seq || got.pt != 8 {
			t.Fatalf("B→A packet %d: got %+v, want %+v", i, got, back)
		}
		if got.ssrc != a.ep.SSRC() {
			t.Fatalf("B→A SSRC = %#x, want a's SSRC %#x", got.ssrc, a.ep.SSRC())
		}
	}
	// B's reader counts a packet after the send returns, possibly after
	// A's phone heard it.
	waitFor(t, "TX count", func() bool { return a.ep.Stats().TxPackets >= 5 })
	if s := a.ep.Stats(); s.RxPackets != 5 || s.TxPackets != 5 || s.Dropped != 0 || s.RxBytes != 5*16 || s.TxBytes != 5*14 {
		t.Errorf("a stats = %+v", s)
	}
}

func TestLatchesToActualSource(t *testing.T) {
	pool := newTestPool(t, 4, nil)
	a, b := newLeg(t, pool), newLeg(t, pool)
	sdp := newPhone(t) // what A's SDP claimed; the phone really sends from a.phone
	a.ep.SetRemote(sdp.addr)
	Bridge(a.ep, b.ep)
	a.ep.Start()
	b.ep.Start()

	// Before A's phone sent anything, B's audio goes to the SDP address.
	b.say(rtpPacket{seq: 1, ssrc: 0xb, payload: []byte("early")})
	if got, src := sdp.recv(); src != a.ep.LocalAddr() || !bytes.Equal(parseRTP(t, got).payload, []byte("early")) {
		t.Fatalf("pre-latch packet from %v = % x", src, got)
	}
	if got := a.ep.Remote(); got != sdp.addr {
		t.Fatalf("Remote before latch = %v, want SDP %v", got, sdp.addr)
	}

	a.say(rtpPacket{seq: 1, ssrc: 0xa, payload: []byte("hi")})
	b.hear()
	if got := a.ep.Remote(); got != a.phone.addr {
		t.Fatalf("Remote after latch = %v, want phone source %v", got, a.phone.addr)
	}
	b.say(rtpPacket{seq: 2, ssrc: 0xb, payload: []byte("late")})
	if got := a.hear(); !bytes.Equal(got.payload, []byte("late")) {
		t.Fatalf("post-latch payload %q", got.payload)
	}
	// A later SetRemote does not override the latch...
	a.ep.SetRemote(sdp.addr)
	if got := a.ep.Remote(); got != a.phone.addr {
		t.Fatalf("Remote after SetRemote = %v, want latched %v", got, a.phone.addr)
	}
	// ...until ResetLatch.
	a.ep.ResetLatch()
	if got := a.ep.Remote(); got != sdp.addr {
		t.Fatalf("Remote after ResetLatch = %v, want SDP %v", got, sdp.addr)
	}
}

func TestHijackResistance(t *testing.T) {
	_, a, b := bridged(t)
	attacker := newPhone(t)
	from := func(p *phone, seq uint16, payload string) {
		p.send(a.ep.LocalAddr(), rtpPacket{seq: seq, ssrc: 0x1, payload: []byte(payload)}.bytes())
	}

	from(a.phone, 1, "real-1")
	if got := b.hear(); string(got.payload) != "real-1" {
		t.Fatalf("got %q", got.payload)
	}
	for i := range 3 {
		from(attacker, uint16(100+i), "evil")
		waitDropped(t, a.ep, uint64(i+1))
	}
	from(a.phone, 2, "real-2") // resets the attacker's run
	if got := b.hear(); string(got.payload) != "real-2" {
		t.Fatalf("after 3 foreign packets B heard %q, want real-2 (foreign ones must be dropped)", got.payload)
	}
	for i := range relatchAfter - 1 {
		from(attacker, uint16(200+i), "evil")
		waitDropped(t, a.ep, uint64(3+i+1))
	}
	if got := a.ep.Remote(); got != a.phone.addr {
		t.Fatalf("Remote = %v after %d foreign packets, want still %v", got, relatchAfter-1, a.phone.addr)
	}
	from(attacker, 300, "adopted")
	if got := b.hear(); string(got.payload) != "adopted" {
		t.Fatalf("after %d consecutive packets B heard %q, want adopted", relatchAfter, got.payload)
	}
	b.phone.expectNothing()
	if got := a.ep.Remote(); got != attacker.addr {
		t.Fatalf("Remote = %v, want adopted source %v", got, attacker.addr)
	}
	// Now B's audio goes to the adopted source.
	b.say(rtpPacket{seq: 1, ssrc: 0xb, payload: []byte("to-new")})
	if got := attacker.recvRTP(a.ep.LocalAddr()); string(got.payload) != "to-new" {
		t.Fatalf("adopted source got %q", got.payload)
	}
	// The old source is now the stranger.
	from(a.phone, 3, "old")
	waitDropped(t, a.ep, 3+relatchAfter-1+1)
}

func TestResetLatchAdoptsAtOnce(t *testing.T) {
	_, a, b := bridged(t)
	moved := newPhone(t)
	a.say(rtpPacket{seq: 1, ssrc: 0xa, payload: []byte("before")})
	b.hear()
	a.ep.SetRemote(moved.addr) // re-INVITE with the new address
	a.ep.ResetLatch()
	moved.send(a.ep.LocalAddr(), rtpPacket{seq: 2, ssrc: 0xa, payload: []byte("moved")}.bytes())
	if got := b.hear(); string(got.payload) != "moved" {
		t.Fatalf("B heard %q, want the first packet of the moved source", got.payload)
	}
	if got := a.ep.Remote(); got != moved.addr {
		t.Fatalf("Remote = %v, want %v", got, moved.addr)
	}
}

func TestRebridgeKeepsStreamContinuous(t *testing.T) {
	pool, a, b := bridged(t)
	c := newLeg(t, pool)
	c.ep.Start()

	var last rtpPacket
	for i := range 4 {
		b.say(rtpPacket{seq: uint16(65533 + i), ts: uint32(9000 + 160*i), ssrc: 0xb, payload: []byte{'b', byte(i)}})
		last = a.hear()
	}
	Bridge(a.ep, c.ep) // transfer: A now talks to C, B is left alone

	if p := b.ep.Peer(); p != nil {
		t.Fatalf("B still bridged to %v", p.LocalPort())
	}
	for i := range 3 {
		c.say(rtpPacket{seq: uint16(7 + i), ts: uint32(123456 + 160*i), ssrc: 0xc, payload: []byte{'c', byte(i)}})
		got := a.hear()
		wantSeq := last.seq + 1
		wantTS := last.ts + 160
		if got.seq != wantSeq || got.ts != wantTS || got.ssrc != a.ep.SSRC() || got.marker != (i == 0) {
			t.Fatalf("packet %d after re-bridge: seq %d ts %d ssrc %#x marker %v; want seq %d ts %d ssrc %#x marker %v",
				i, got.seq, got.ts, got.ssrc, got.marker, wantSeq, wantTS, a.ep.SSRC(), i == 0)
		}
		if got.payload[0] != 'c' {
			t.Fatalf("payload %q, want C's", got.payload)
		}
		last = got
	}
	// A's audio goes to C now, B's audio is dropped.
	a.say(rtpPacket{seq: 1, ssrc: 0xa, payload: []byte("to-c")})
	if got := c.hear(); string(got.payload) != "to-c" || got.ssrc != c.ep.SSRC() {
		t.Fatalf("C heard %+v", got)
	}
	before := b.ep.Stats().Dropped
	b.say(rtpPacket{seq: 100, ssrc: 0xb})
	waitDropped(t, b.ep, before+1)
}

func TestUnbridgeDropsBothWays(t *testing.T) {
	_, a, b := bridged(t)
	a.say(rtpPacket{seq: 1, ssrc: 0xa})
	b.hear()
	b.say(rtpPacket{seq: 1, ssrc: 0xb})
	a.hear()

	Unbridge(a.ep)
	if a.ep.Peer() != nil || b.ep.Peer() != nil {
		t.Fatal("still bridged after Unbridge")
	}
	a.say(rtpPacket{seq: 2, ssrc: 0xa})
	waitDropped(t, a.ep, 1)
	b.say(rtpPacket{seq: 2, ssrc: 0xb})
	waitDropped(t, b.ep, 1)
	if got := a.ep.Stats().RxPackets; got != 2 {
		t.Errorf("a RxPackets = %d, want 2 (accepted even when not forwarded)", got)
	}

	Bridge(a.ep, b.ep)
	a.say(rtpPacket{seq: 3, ssrc: 0xa, payload: []byte("again")})
	if got := b.hear(); string(got.payload) != "again" {
		t.Fatalf("after re-bridge B heard %q", got.payload)
	}
	b.phone.expectNothing()
}

func TestDropsNonRTP(t *testing.T) {
	_, a, b := bridged(t)
	junk := []struct {
		name string
		b    []byte
	}{
		{"short", []byte("hello")},
		{"version 0", make([]byte, 20)},
		{"RTCP receiver report", append([]byte{0x81, 201, 0, 7}, make([]byte, 28)...)},
		{"CSRC overrun", append([]byte{0x8f, 0}, make([]byte, 18)...)},
		{"bad padding", append([]byte{0xa0, 0}, append(make([]byte, 10), 0, 0, 0, 40)...)},
	}
	for i, j := range junk {
		a.phone.send(a.ep.LocalAddr(), j.b)
		waitDropped(t, a.ep, uint64(i+1))
	}
	a.say(rtpPacket{seq: 1, ssrc: 0xa, payload: []byte("valid")})
	if got := b.hear(); string(got.payload) != "valid" {
		t.Fatalf("B heard %q first, want the valid packet (junk must be dropped)", got.payload)
	}
	if got := a.ep.Stats().RxPackets; got != 1 {
		t.Errorf("RxPackets = %d, want 1", got)
	}
}

type dtmfCall struct {
	event    uint8
	end      bool
	duration uint16
}

func TestDTMFListener(t *testing.T) {
	_, a, b := bridged(t)
	var mu sync.Mutex
	var calls []dtmfCall
	a.ep.SetDTMFListener(101, func(event uint8, end bool, duration uint16) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, dtmfCall{event, end, duration})
	})

	seq := uint16(1)
	send := func(pt uint8, ts uint32, payload []byte) {
		a.say(rtpPacket{pt: pt, marker: false, seq: seq, ts: ts, ssrc: 0xa, payload: payload})
		seq++
		b.hear() // events are relayed as usual; this also syncs with the reader
	}
	event := func(ev uint8, end bool, dur uint16) []byte {
		flags := byte(10) // volume
		if end {
			flags |= 0x80
		}
		return []byte{ev, flags, byte(dur >> 8), byte(dur)}
	}
	send(0, 1000, []byte{0xff})
	// Digit 5: start, two updates, three redundant ends.
	send(101, 1160, event(5, false, 160))
	send(101, 1160, event(5, false, 320))
	send(101, 1160, event(5, false, 480))
	for range 3 {
		send(101, 1160, event(5, true, 640))
	}
	send(0, 1960, []byte{0xff})
	// Digit 9 whose start packets were lost: first packet seen is an end.
	for range 3 {
		send(101, 2600, event(9, true, 800))
	}
	// Digit 1: a new timestamp is a new event even right after an end.
	send(101, 4000, event(1, false, 160))
	send(101, 4000, event(1, true, 320))

	a.ep.SetDTMFListener(0, nil) // disabled: no more calls
	send(101, 6000, event(2, false, 160))

	want := []dtmfCall{
		{5, false, 160}, {5, true, 640},
		{9, false, 800}, {9, true, 800},
		{1, false, 160}, {1, true, 320},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != len(want) {
		t.Fatalf("calls = %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Fatalf("call %d = %v, want %v (all: %v)", i, calls[i], want[i], calls)
		}
	}
}

func TestLastReceivedUsesClock(t *testing.T) {
	clock := &fakeClock{}
	pool := newTestPool(t, 4, clock)
	a, b := newLeg(t, pool), newLeg(t, pool)
	Bridge(a.ep, b.ep)
	a.ep.Start()
	b.ep.Start()
	if !a.ep.LastReceived().IsZero() {
		t.Fatal("LastReceived set before any packet")
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock.set(at)
	a.say(rtpPacket{seq: 1, ssrc: 0xa})
	b.hear()
	if got := a.ep.LastReceived(); !got.Equal(at) {
		t.Fatalf("LastReceived = %v, want %v", got, at)
	}
	clock.set(at.Add(time.Minute))
	a.phone.send(a.ep.LocalAddr(), []byte("junk"))
	waitDropped(t, a.ep, 1)
	if got := a.ep.LastReceived(); !got.Equal(at) {
		t.Fatalf("junk moved LastReceived to %v", got)
	}
}

func TestRTCPCountedAndDropped(t *testing.T) {
	_, a, _ := bridged(t)
	rtcpPort := netip.AddrPortFrom(a.ep.LocalAddr().Addr(), uint16(a.ep.LocalPort()+1))
	a.phone.send(rtcpPort, []byte{0x81, 201, 0, 1, 0, 0, 0, 1})
	waitFor(t, "RTCP count", func() bool { return a.ep.Stats().RTCPReceived == 1 })
}

func TestWritePacket(t *testing.T) {
	pool := newTestPool(t, 2, nil)
	a := newLeg(t, pool)
	if err := a.ep.WritePacket([]byte("nope")); err != ErrNotRTP {
		t.Fatalf("WritePacket(junk) = %v, want ErrNotRTP", err)
	}
	for i := range 3 {
		if err := a.ep.WritePacket(rtpPacket{seq: uint16(40 + i), ts: uint32(160 * i), ssrc: 0x77, payload: []byte{byte(i)}}.bytes()); err != nil {
			t.Fatalf("WritePacket: %v", err)
		}
		got := a.hear()
		if got.ssrc != a.ep.SSRC() || got.seq != uint16(40+i) || got.marker != (i == 0) {
			t.Fatalf("packet %d: %+v", i, got)
		}
	}
	if s := a.ep.Stats(); s.TxPackets != 3 {
		t.Errorf("TxPackets = %d", s.TxPackets)
	}
	a.ep.Close()
	if err := a.ep.WritePacket(rtpPacket{seq: 50}.bytes()); err == nil {
		t.Fatal("WritePacket after Close succeeded")
	}
}

func TestCloseStopsGoroutinesAndFreesPorts(t *testing.T) {
	for _, mode := range []IOMode{IOReactor, IOGoroutines} {
		t.Run(mode.String(), func(t *testing.T) { closeStopsGoroutines(t, mode) })
	}
}

func closeStopsGoroutines(t *testing.T, mode IOMode) {
	before := runtime.NumGoroutine()
	lo, hi := freeRange(t, 2)
	pool, err := NewPortPool(PortPoolOptions{BindAddr: loopback, Min: lo, Max: hi, RTCPInterval: -1, IO: mode})
	if err != nil {
		t.Fatal(err)
	}
	a := allocate(t, pool)
	b := allocate(t, pool)
	Bridge(a, b)
	a.Start()
	a.Start() // idempotent
	b.Start()
	want := wantReaders(pool, 2)
	waitFor(t, "the reader goroutines to run", func() bool { return readerGoroutines() == want })
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if b.Peer() != nil {
		t.Fatal("closing A left B bridged to it")
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	a.Start() // no effect after Close
	// Close waited for the readers (and the reactor) to be done with the
	// endpoints; a goroutine may still be unwinding its deferred
	// Done/close.
	waitFor(t, "the reader goroutines to end", func() bool { return readerGoroutines() == 0 })
	waitFor(t, "goroutine count to settle", func() bool { return runtime.NumGoroutine() <= before })
	if got := pool.InUse(); got != 0 {
		t.Fatalf("InUse = %d after closing everything", got)
	}
}

// TestSwapWhileFlowing re-bridges A between B and C while both push packets
// into A's far side; run with -race. A packet may be dropped at a swap, but
// memory must stay consistent and A's phone must see one SSRC. In the SRTP
// variant A's phone speaks SRTP, so B's and C's readers take turns with
// A's Encrypter, and every packet A's phone hears must authenticate.
func TestSwapWhileFlowing(t *testing.T) {
	for _, secure := range []bool{false, true} {
		name := "RTP"
		if secure {
			name = "SRTP"
		}
		t.Run(name, func(t *testing.T) { swapWhileFlowing(t, secure) })
	}
}

func swapWhileFlowing(t *testing.T, secure bool) {
	pool, plainA, b := bridged(t)
	c := newLeg(t, pool)
	c.ep.Start()
	a := srtpLeg{leg: plainA}
	if secure {
		a = makeSRTP(t, plainA, srtp.AESCM128HMACSHA1_80)
	}

	var stop atomic.Bool
	var senders sync.WaitGroup
	for i, l := range []leg{a.leg, b, c} {
		senders.Add(1)
		go func() {
			defer senders.Done()
			pkt := rtpPacket{ssrc: uint32(i + 1), payload: make([]byte, 20)}
			buf := make([]byte, 0, maxPacketSize+srtp.MaxOverhead)
			for seq := uint16(0); !stop.Load(); seq++ {
				pkt.seq, pkt.ts = seq, uint32(seq)*160
				wire := pkt.bytes()
				if l.ep == a.ep && a.phoneEnc != nil { // only this goroutine uses it
					wire, _ = a.phoneEnc.Encrypt(buf, wire)
				}
				l.phone.conn.WriteToUDPAddrPort(wire, l.ep.LocalAddr())
				time.Sleep(50 * time.Microsecond)
			}
		}()
	}
	for i := range 200 {
		if i%2 == 0 {
			Bridge(a.ep, c.ep)
		} else {
			Bridge(a.ep, b.ep)
		}
		if i%50 == 0 {
			Unbridge(c.ep)
		}
		time.Sleep(100 * time.Microsecond)
	}
	stop.Store(true)
	senders.Wait()
	t.Logf("during swaps A sent %d packets, dropped %d of B's and %d of C's",
		a.ep.Stats().TxPackets, b.ep.Stats().Dropped, c.ep.Stats().Dropped)
	// Everything A's phone hears carries A's SSRC. A late packet of C's
	// may still hold A's rewriter and make "end" drop, so say it again
	// until it arrives.
	buf := make([]byte, maxPacketSize+srtp.MaxOverhead)
	plain := make([]byte, maxPacketSize)
	deadline := time.Now().Add(waitLimit)
	for seq := uint16(1); ; seq++ {
		if time.Now().After(deadline) {
			t.Fatal("A's phone never heard the end marker")
		}
		b.say(rtpPacket{seq: seq, ssrc: 0xb, payload: []byte("end")})
		a.phone.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		heardEnd := false
		for !heardEnd {
			n, _, err := a.phone.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				break // read timeout: say it again
			}
			pkt := buf[:n]
			if a.phoneDec != nil {
				if pkt, err = a.phoneDec.Decrypt(plain, pkt); err != nil {
					t.Fatalf("A's phone cannot decrypt a packet: %v", err)
				}
			}
			got := parseRTP(t, pkt)
			if got.ssrc != a.ep.SSRC() {
				t.Fatalf("SSRC %#x, want %#x", got.ssrc, a.ep.SSRC())
			}
			heardEnd = string(got.payload) == "end"
		}
		if heardEnd {
			return
		}
	}
}

// readerGoroutines counts goroutines running an endpoint reader loop or a
// reactor.
func readerGoroutines() int {
	buf := make([]byte, 1<<20)
	dump := string(buf[:runtime.Stack(buf, true)])
	return strings.Count(dump, "relay.(*Endpoint).readRTP(") + strings.Count(dump, "relay.(*Endpoint).readRTCP(") +
		strings.Count(dump, "relay.(*reactor).loop(")
}

func TestAudioTapSeesAcceptedPackets(t *testing.T) {
	pool := newTestPool(t, 2, nil)
	a := newLeg(t, pool) // unbridged: the tap sees packets all the same
	type seen struct {
		pt      uint8
		ts      uint32
		payload string
	}
	var got []seen
	a.ep.SetAudioTap(func(pt uint8, ts uint32, payload []byte) {
		got = append(got, seen{pt, ts, string(payload)})
	})
	src := a.phone.addr
	a.ep.handlePacket(rtpPacket{pt: 8, seq: 7, ts: 1234, ssrc: 1, payload: []byte("abcd")}.bytes(), src)
	a.ep.handlePacket([]byte{0x40, 0, 0}, src) // not RTP: never tapped
	a.ep.SetAudioTap(nil)
	a.ep.handlePacket(rtpPacket{pt: 8, seq: 8, ts: 1394, ssrc: 1, payload: []byte("efgh")}.bytes(), src)
	want := []seen{{8, 1234, "abcd"}}
	if len(got) != len(want) || got[0] != want[0] {
		t.Fatalf("tap saw %+v, want %+v", got, want)
	}
}
