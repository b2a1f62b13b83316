package record_test

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	mp3 "github.com/hajimehoshi/go-mp3"

	"github.com/gatepbx/gatepbx/media/g711"
	"github.com/gatepbx/gatepbx/media/record"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/stream/streamtest"
	"github.com/gatepbx/gatepbx/media/wav"
)

const F = stream.FrameSamples

// tonePacket returns frame k of a sine as a PCMU payload.
func tonePacket(freq float64, k int) []byte {
	pcm := make([]int16, F)
	for i := range pcm {
		pcm[i] = int16(4000 * math.Sin(2*math.Pi*freq*float64(k*F+i)/stream.SampleRate))
	}
	out := make([]byte, F)
	g711.EncodeUlaw(out, pcm)
	return out
}

// power is the Goertzel power of freq in s, normalised by length.
func power(s []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / stream.SampleRate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range s {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return (s1*s1 + s2*s2 - c*s1*s2) / float64(len(s)*len(s))
}

// started runs rec in the background in virtual time.
type started struct {
	clock *streamtest.Clock
	rec   *record.Recorder
	done  chan result
}

type result struct {
	res record.Result
	err error
}

func start(t *testing.T, cfg record.Config) *started {
	t.Helper()
	clock := streamtest.New()
	cfg.Clock = clock
	if cfg.Root == "" {
		cfg.Root = t.TempDir()
	}
	rec, err := record.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &started{clock: clock, rec: rec, done: make(chan result, 1)}
	go func() {
		res, err := rec.Run(context.Background())
		s.done <- result{res, err}
	}()
	deadline := time.Now().Add(streamtest.WaitLimit)
	for clock.Tickers() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("recorder never started its ticker")
		}
		time.Sleep(100 * time.Microsecond)
	}
	return s
}

// tick advances one frame; the recorder has handled the previous tick.
func (s *started) tick() { s.clock.Advance(stream.FrameDuration) }

func (s *started) wait(t *testing.T) record.Result {
	t.Helper()
	select {
	case r := <-s.done:
		if r.err != nil {
			t.Fatalf("Run: %v", r.err)
		}
		return r.res
	case <-time.After(streamtest.WaitLimit):
		t.Fatal("recorder did not stop")
	}
	return record.Result{}
}

// untilDone ticks until the recorder stops on its own.
func (s *started) untilDone(t *testing.T, limit int) record.Result {
	t.Helper()
	for range limit {
		select {
		case r := <-s.done:
			s.done <- r
			return s.wait(t)
		default:
		}
		s.tick()
	}
	return s.wait(t)
}

func readWAV(t *testing.T, path string) []int16 {
	t.Helper()
	r, err := wav.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []int16
	buf := make([]int16, F)
	for {
		n, err := r.ReadFrame(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecordOneLegStopsOnInactivity(t *testing.T) {
	t.Parallel()
	s := start(t, record.Config{Name: "calls/one", SilenceTimeout: 200 * time.Millisecond})
	for k := range 25 {
		s.rec.Tap(0)(stream.PayloadPCMU, uint32(5000+k*F), tonePacket(1000, k))
		s.tick()
	}
	res := s.untilDone(t, 100)
	// 3 frames of jitter delay, 25 of tone, one concealed, 10 silent.
	if res.Reason != record.Inactivity || res.Duration != 39*stream.FrameDuration {
		t.Fatalf("result %+v, want inactivity after 39 frames", res)
	}
	if filepath.Base(res.Path) != "one.wav" || res.Name != filepath.Join("calls", "one.wav") {
		t.Fatalf("path %s name %s", res.Path, res.Name)
	}
	s16 := readWAV(t, res.Path)
	if len(s16) != 39*F {
		t.Fatalf("%d samples in the file", len(s16))
	}
	if p := power(s16[:3*F], 1000); p > 1 {
		t.Errorf("jitter delay not silent: %v", p)
	}
	if p := power(s16[3*F:28*F], 1000); p < 1e5 {
		t.Errorf("tone missing: %v", p)
	}
	for i, v := range s16[30*F:] {
		if v != 0 {
			t.Fatalf("sample %d after the end = %d, want silence", 30*F+i, v)
		}
	}
}

func TestRecordTwoLegsMixedByArrival(t *testing.T) {
	t.Parallel()
	s := start(t, record.Config{Name: "both.wav", Legs: 2, MaxDuration: 40 * stream.FrameDuration})
	for k := range 40 {
		s.rec.Tap(0)(stream.PayloadPCMU, uint32(k*F), tonePacket(1000, k))
		if k >= 10 {
			// The other direction starts 200 ms later, with its own
			// unrelated timestamps.
			s.rec.Tap(1)(stream.PayloadPCMU, uint32(900000+(k-10)*F), tonePacket(300, k))
		}
		s.tick()
	}
	res := s.untilDone(t, 10)
	if res.Reason != record.MaxDuration || res.Duration != 40*stream.FrameDuration {
		t.Fatalf("result %+v", res)
	}
	pcm := readWAV(t, res.Path)
	// Leg 0 plays from frame 3 and leg 1 from frame 13 (each a jitter
	// depth after its first packet; a tick may drain a packet the test
	// queued just after it, one frame early).
	only, both := pcm[4*F:12*F], pcm[14*F:38*F]
	if power(only, 1000) < 1e5 || power(only, 300) > 1e3 {
		t.Errorf("before the second leg: 1000 Hz %v, 300 Hz %v", power(only, 1000), power(only, 300))
	}
	if power(both, 1000) < 1e5 || power(both, 300) < 1e5 {
		t.Errorf("mixed: 1000 Hz %v, 300 Hz %v", power(both, 1000), power(both, 300))
	}
}

func TestRecordStops(t *testing.T) {
	t.Parallel()
	t.Run("finish key", func(t *testing.T) {
		t.Parallel()
		s := start(t, record.Config{Name: "k", FinishKeys: "#*"})
		s.tick()
		s.rec.Key('5')
		s.tick()
		s.rec.Key('#')
		res := s.wait(t)
		if res.Reason != record.FinishKey || res.Key != '#' || res.Duration != 2*stream.FrameDuration {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("stop", func(t *testing.T) {
		t.Parallel()
		s := start(t, record.Config{Name: "s"})
		s.tick()
		s.rec.Stop()
		s.rec.Stop()
		if res := s.wait(t); res.Reason != record.Stopped {
			t.Fatalf("result %+v", res)
		}
		if _, err := os.Stat(s.rec.Path()); err != nil {
			t.Fatalf("file not kept: %v", err)
		}
	})
	t.Run("max duration", func(t *testing.T) {
		t.Parallel()
		s := start(t, record.Config{Name: "m", MaxDuration: 100 * time.Millisecond})
		res := s.untilDone(t, 20)
		if res.Reason != record.MaxDuration || res.Duration != 100*time.Millisecond {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("context", func(t *testing.T) {
		t.Parallel()
		rec, err := record.New(record.Config{Root: t.TempDir(), Name: "c", Clock: streamtest.New()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if res, err := rec.Run(ctx); err != nil || res.Reason != record.Stopped {
			t.Fatalf("Run with a cancelled context: %+v, %v", res, err)
		}
	})
	t.Run("drops counted", func(t *testing.T) {
		t.Parallel()
		s := start(t, record.Config{Name: "d", QueueSlots: 2})
		for k := range 5 {
			s.rec.Tap(0)(stream.PayloadPCMU, uint32(k*F), tonePacket(500, k))
		}
		s.tick()
		s.rec.Stop()
		if res := s.wait(t); res.Drops != 3 {
			t.Fatalf("drops %d, want 3", res.Drops)
		}
	})
}

func TestRecordRejectsBadConfig(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, c := range []record.Config{
		{Root: root, Name: "../x"},
		{Root: root, Name: "/abs/x"},
		{Root: root, Name: "a/../../x"},
		{Root: root, Name: ""},
		{Name: "x"},
		{Root: root, Name: "x", Legs: 3},
		{Root: root, Name: "x", FinishKeys: "#x"},
		{Root: root, Name: "x", SilenceLevel: 5},
		{Root: root, Name: "x", Format: 9},
		{Root: root, Name: "x", Encoding: wav.EncodingPCM8},
	} {
		if _, err := record.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	// A directory symlinked out of the root is refused at Run.
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(root, "evil"))
	rec, err := record.New(record.Config{Root: root, Name: "evil/x", Clock: streamtest.New()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Run(context.Background()); err == nil {
		t.Fatal("recording through a symlink out of the root accepted")
	}
	if _, err := record.New(record.Config{Root: root, Name: "x", Format: record.MP3, LAME: filepath.Join(root, "no-lame")}); !errors.Is(err, record.ErrNoMP3Encoder) {
		t.Fatalf("missing lame: %v, want ErrNoMP3Encoder", err)
	}
	if f, err := record.ParseFormat("MP3"); err != nil || f != record.MP3 {
		t.Fatalf("ParseFormat: %v %v", f, err)
	}
}

func TestRecordMP3(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("lame"); err != nil {
		t.Skip("lame not installed")
	}
	s := start(t, record.Config{Name: "talk", Format: record.MP3, MaxDuration: time.Second})
	for k := range 50 {
		s.rec.Tap(0)(stream.PayloadPCMU, uint32(k*F), tonePacket(800, k))
		s.tick()
	}
	res := s.untilDone(t, 10)
	if filepath.Ext(res.Path) != ".mp3" {
		t.Fatalf("path %s", res.Path)
	}
	f, err := os.Open(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := mp3.NewDecoder(f)
	if err != nil {
		t.Fatalf("recorded MP3 does not decode: %v", err)
	}
	pcm, err := io.ReadAll(d)
	if err != nil || d.SampleRate() != 16000 || len(pcm) < 16000*4*8/10 {
		t.Fatalf("MP3: %d bytes at %d Hz, %v", len(pcm), d.SampleRate(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(res.Path))
	if len(entries) != 1 {
		t.Fatalf("leftover files: %v", entries)
	}
}

// TestRecordFromRelayEndpoint records what a pacer sends through two real
// relay endpoints over loopback, in real time.
func TestRecordFromRelayEndpoint(t *testing.T) {
	t.Parallel()
	sender, receiver := streamtest.NewEndpoint(t), streamtest.NewEndpoint(t)
	sender.SetRemote(receiver.LocalAddr())
	rec, err := record.New(record.Config{Root: t.TempDir(), Name: "net"})
	if err != nil {
		t.Fatal(err)
	}
	receiver.SetAudioTap(rec.Tap(0))
	done := make(chan result, 1)
	go func() {
		res, err := rec.Run(context.Background())
		done <- result{res, err}
	}()
	p, err := stream.NewPacer(sender, stream.PacerConfig{PayloadType: stream.PayloadPCMA})
	if err != nil {
		t.Fatal(err)
	}
	tone := make([]int16, 50*F)
	for i := range tone {
		tone[i] = int16(5000 * math.Sin(2*math.Pi*440*float64(i)/stream.SampleRate))
	}
	if err := p.Play(context.Background(), &slice{tone}); err != nil {
		t.Fatal(err)
	}
	// Let the tail play out of the jitter buffer: wait for the packets to
	// arrive, then for a few more frames to be recorded.
	for receiver.Stats().RxPackets < 50 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	rec.Stop()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	pcm := readWAV(t, r.res.Path)
	loud := 0
	for k := 0; k+F <= len(pcm); k += F {
		if power(pcm[k:k+F], 440) > 1e5 {
			loud++
		}
	}
	if loud < 40 {
		t.Fatalf("only %d frames of the 50 sent hold the tone (drops %d, jitter %+v)", loud, r.res.Drops, r.res.Jitter[0])
	}
}

type slice struct{ s []int16 }

func (s *slice) ReadFrame(dst []int16) (int, error) {
	if len(s.s) == 0 {
		return 0, io.EOF
	}
	n := copy(dst, s.s)
	s.s = s.s[n:]
	return n, nil
}
