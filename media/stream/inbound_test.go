package stream_test

import (
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/g711"
	"github.com/gatepbx/gatepbx/media/stream"
)

// frame returns a 160-sample frame filled with v.
func frame(v int16) []int16 {
	f := make([]int16, stream.FrameSamples)
	for i := range f {
		f[i] = v
	}
	return f
}

func TestJitterBuffer(t *testing.T) {
	const F = stream.FrameSamples
	type put struct {
		ts uint32
		v  int16
	}
	for _, c := range []struct {
		name string
		// steps: before each read, the packets put then.
		steps [][]put
		want  []int16 // first sample of each read frame
		stats stream.JitterStats
	}{
		{
			name:  "in order, 60 ms delay",
			steps: [][]put{{{1000, 1}}, {{1000 + F, 2}}, {{1000 + 2*F, 3}}, {{1000 + 3*F, 4}}, {}, {}, {}},
			want:  []int16{0, 0, 0, 1, 2, 3, 4},
		},
		{
			name:  "reordered within the depth",
			steps: [][]put{{{0, 1}}, {{2 * F, 3}, {F, 2}}, {}, {}, {}, {}},
			want:  []int16{0, 0, 0, 1, 2, 3},
		},
		{
			name:  "duplicate",
			steps: [][]put{{{0, 1}, {0, 1}}, {{F, 2}}, {{F, 2}}, {}, {}},
			want:  []int16{0, 0, 0, 1, 2},
		},
		{
			name:  "one loss: half-level repeat, then silence",
			steps: [][]put{{{0, 100}}, {}, {}, {{3 * F, 4}}, {}, {}, {}},
			want:  []int16{0, 0, 0, 100, 50, 0, 4},
			stats: stream.JitterStats{Lost: 2, Concealed: 1},
		},
		{
			name:  "late packet dropped",
			steps: [][]put{{{0, 100}}, {}, {}, {}, {}, {{F, 2}}},
			want:  []int16{0, 0, 0, 100, 50, 0},
			stats: stream.JitterStats{Late: 1, Lost: 2, Concealed: 1},
		},
		{
			name:  "jump to a new stream restarts",
			steps: [][]put{{{0, 1}}, {}, {}, {{900000, 7}}, {}, {}, {}},
			want:  []int16{0, 0, 0, 0, 0, 0, 7},
			stats: stream.JitterStats{Resyncs: 1},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			j, err := stream.NewJitterBuffer(0)
			if err != nil {
				t.Fatal(err)
			}
			dst := make([]int16, F)
			for i, step := range c.steps {
				for _, p := range step {
					j.Put(p.ts, frame(p.v))
				}
				n, err := j.ReadFrame(dst)
				if n != F || err != nil {
					t.Fatalf("read %d = %d, %v", i, n, err)
				}
				if dst[0] != c.want[i] || dst[F-1] != c.want[i] {
					t.Fatalf("read %d = %d..%d, want %d", i, dst[0], dst[F-1], c.want[i])
				}
			}
			if got := j.Stats(); c.stats != (stream.JitterStats{}) && got != c.stats {
				t.Errorf("stats %+v, want %+v", got, c.stats)
			}
		})
	}
}

func TestJitterBufferSkipsWhenSenderRunsFast(t *testing.T) {
	t.Parallel()
	j, _ := stream.NewJitterBuffer(40 * 1e6)
	dst := make([]int16, stream.FrameSamples)
	ts := uint32(0)
	// One frame in a hundred more arrives than is read (a sender clock
	// 1% fast): the buffer must skip frames rather than grow until it
	// restarts.
	for i := range 3000 {
		j.Put(ts, frame(1))
		ts += stream.FrameSamples
		if i%100 != 99 {
			j.ReadFrame(dst)
		}
	}
	if s := j.Stats(); s.Skipped == 0 || s.Resyncs != 0 {
		t.Fatalf("no frame skipped: %+v", s)
	}
	if _, err := stream.NewJitterBuffer(1e6); err == nil {
		t.Error("1 ms depth accepted")
	}
}

func TestQueue(t *testing.T) {
	t.Parallel()
	q := stream.NewQueue(3) // rounds up to 4
	for i := range 6 {
		q.Tap(0, uint32(i), []byte{byte(i), 1, 2})
	}
	q.Tap(0, 9, make([]byte, stream.MaxPayload+1))
	if q.Drops() != 3 {
		t.Fatalf("Drops = %d, want 3", q.Drops())
	}
	select {
	case <-q.Ready():
	default:
		t.Fatal("Ready not signalled")
	}
	buf := make([]byte, stream.MaxPayload)
	for i := range 4 {
		pt, ts, n, ok := q.Pop(buf)
		if !ok || pt != 0 || ts != uint32(i) || n != 3 || buf[0] != byte(i) {
			t.Fatalf("Pop %d = %d %d %d %v", i, pt, ts, n, ok)
		}
	}
	if _, _, _, ok := q.Pop(buf); ok {
		t.Fatal("Pop on an empty queue succeeded")
	}
}

func TestQueueConcurrent(t *testing.T) {
	t.Parallel()
	q := stream.NewQueue(8)
	const total = 5000
	var markerDrops uint64
	go func() {
		p := make([]byte, 160)
		for i := range total {
			p[0] = byte(i)
			q.Tap(8, uint32(i), p)
		}
		for { // the end marker, retried while the ring is full
			before := q.Drops()
			q.Tap(99, 0, nil)
			if q.Drops() == before {
				return
			}
			markerDrops++
			runtime.Gosched()
		}
	}()
	buf := make([]byte, stream.MaxPayload)
	last, got := -1, 0
	for {
		<-q.Ready()
		for {
			pt, ts, n, ok := q.Pop(buf)
			if !ok {
				break
			}
			if pt == 99 {
				if uint64(got)+q.Drops()-markerDrops != total {
					t.Fatalf("received %d + dropped %d != %d", got, q.Drops(), total)
				}
				return
			}
			if int(ts) <= last || n != 160 || buf[0] != byte(ts) {
				t.Fatalf("packet ts %d after %d, n %d, byte %d", ts, last, n, buf[0])
			}
			last = int(ts)
			got++
		}
	}
}

func TestTapMux(t *testing.T) {
	t.Parallel()
	var m stream.TapMux
	m.Tap(0, 0, nil) // no consumers: nothing happens
	var a, b int
	removeA := m.Add(func(uint8, uint32, []byte) { a++ })
	m.Add(func(uint8, uint32, []byte) { b++ })
	m.Tap(0, 0, nil)
	removeA()
	removeA()
	m.Tap(0, 0, nil)
	if a != 1 || b != 2 || m.Len() != 1 {
		t.Fatalf("a=%d b=%d len=%d", a, b, m.Len())
	}
}

func TestInbound(t *testing.T) {
	t.Parallel()
	type event struct {
		pt   uint8
		ts   uint32
		code byte
	}
	var events []event
	in, err := stream.NewInbound(4, 40*time.Millisecond, func(pt uint8, ts uint32, payload []byte) {
		events = append(events, event{pt, ts, payload[0]})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.NewInbound(4, time.Second, nil); err == nil {
		t.Error("a 1 s jitter depth was accepted")
	}
	var ulaw [stream.FrameSamples]byte
	g711.EncodeUlaw(ulaw[:], frame(1000))
	dst := make([]int16, stream.FrameSamples)
	read := func() int16 {
		t.Helper()
		if n, err := in.ReadFrame(dst); n != len(dst) || err != nil {
			t.Fatalf("ReadFrame = %d, %v", n, err)
		}
		return dst[0]
	}
	if v := read(); v != 0 {
		t.Fatalf("before any packet: %d, want silence", v)
	}
	in.Tap(stream.PayloadPCMU, 8000, ulaw[:])
	in.Tap(101, 8000, []byte{5, 0x80, 0, 160}) // an RFC 4733 event: to the EventFunc
	// 40 ms of depth: two silent frames, then the audio.
	got := []int16{read(), read(), read()}
	if got[0] != 0 || got[1] != 0 || got[2] < 900 || got[2] > 1100 {
		t.Fatalf("frames %v, want 0 0 ~1000", got)
	}
	if len(events) != 1 || events[0] != (event{101, 8000, 5}) {
		t.Fatalf("events %v", events)
	}
	for range 5 { // more than the 4 slots between two reads
		in.Tap(stream.PayloadPCMU, 8160, ulaw[:])
	}
	if v := read(); v < 900 || v > 1100 {
		t.Fatalf("next frame %d, want ~1000", v)
	}
	if in.Drops() != 1 {
		t.Errorf("drops %d, want 1", in.Drops())
	}
	if s := in.Stats(); s.Lost != 0 || s.Resyncs != 0 {
		t.Errorf("stats %+v, want no loss", s)
	}
	// Without an EventFunc, events are dropped quietly.
	quiet, _ := stream.NewInbound(4, 0, nil)
	quiet.Tap(101, 0, []byte{5, 0x80, 0, 160})
	quiet.ReadFrame(dst)
}

func TestInboundAllocations(t *testing.T) {
	events := 0
	in, err := stream.NewInbound(16, 0, func(uint8, uint32, []byte) { events++ })
	if err != nil {
		t.Fatal(err)
	}
	var m stream.TapMux
	m.Add(in.Tap)
	payload := make([]byte, stream.FrameSamples)
	event := []byte{1, 0, 0, 160}
	buf := make([]byte, stream.MaxPayload)
	pcm := make([]int16, stream.FrameSamples)
	ts := uint32(0)
	allocs := testing.AllocsPerRun(1000, func() {
		m.Tap(stream.PayloadPCMU, ts, payload)
		m.Tap(101, ts, event)
		ts += stream.FrameSamples
		in.ReadFrame(pcm)
		stream.Encode(stream.PayloadPCMA, buf, pcm)
	})
	if allocs != 0 {
		t.Fatalf("tap → queue → decode → jitter → encode allocates %v per frame", allocs)
	}
	if events == 0 {
		t.Fatal("no event reached the EventFunc")
	}
}

func TestDTMFTonesDetected(t *testing.T) {
	t.Parallel()
	src, err := stream.DTMFTones("159#", dtmf.DefaultGeneratorConfig())
	if err != nil {
		t.Fatal(err)
	}
	det, _ := dtmf.NewDetector(dtmf.DefaultConfig())
	var got []byte
	var ev []dtmf.Event
	buf := make([]int16, stream.FrameSamples)
	for {
		n, err := src.ReadFrame(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		for _, e := range det.Detect(ev[:0], buf[:n]) {
			if e.Kind == dtmf.KeyDown {
				got = append(got, e.Digit)
			}
		}
	}
	if string(got) != "159#" {
		t.Fatalf("detected %q, want 159#", got)
	}
	if _, err := stream.DTMFTones("1x", dtmf.DefaultGeneratorConfig()); err == nil {
		t.Error("bad digit accepted")
	}
}

func BenchmarkJitterFrame(b *testing.B) {
	j, _ := stream.NewJitterBuffer(0)
	f := frame(5)
	dst := make([]int16, stream.FrameSamples)
	ts := uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		j.Put(ts, f)
		ts += stream.FrameSamples
		j.ReadFrame(dst)
	}
}
