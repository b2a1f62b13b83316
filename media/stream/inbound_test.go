package stream_test

import (
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/gatepbx/gatepbx/media/dtmf"
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

func TestInboundAllocations(t *testing.T) {
	q := stream.NewQueue(16)
	j, _ := stream.NewJitterBuffer(0)
	var m stream.TapMux
	m.Add(q.Tap)
	payload := make([]byte, stream.FrameSamples)
	buf := make([]byte, stream.MaxPayload)
	pcm := make([]int16, stream.FrameSamples)
	ts := uint32(0)
	allocs := testing.AllocsPerRun(1000, func() {
		m.Tap(stream.PayloadPCMU, ts, payload)
		ts += stream.FrameSamples
		pt, pts, n, _ := q.Pop(buf)
		k, _ := stream.Decode(pt, pcm, buf[:n])
		j.Put(pts, pcm[:k])
		j.ReadFrame(pcm)
		stream.Encode(stream.PayloadPCMA, buf, pcm)
	})
	if allocs != 0 {
		t.Fatalf("tap → queue → decode → jitter → encode allocates %v per frame", allocs)
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
