package stream_test

import (
	"context"
	"errors"
	"github.com/gatepbx/gatepbx/media/stream"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/g711"
	"github.com/gatepbx/gatepbx/media/stream/streamtest"
)

// playVirtual runs p.Play(src) on clock, advancing one frame per packet
// until Play returns, and returns Play's error.
func playVirtual(t *testing.T, clock *streamtest.Clock, w *recordingWriter, run func() error) error {
	t.Helper()
	done := make(chan error, 1)
	before := clock.Tickers()
	go func() { done <- run() }()
	for {
		select {
		case err := <-done:
			return err
		case <-w.sent:
			// The packet for this slot went out; let the next slot come
			// once the pacer is waiting on its ticker.
			waitTickers(t, clock, before+1, done)
			clock.Advance(stream.FrameDuration)
		}
	}
}

// waitTickers waits until the code under test has its ticker running (or
// has finished, reported through done, which is then put back).
func waitTickers(t *testing.T, clock *streamtest.Clock, n int, done chan error) {
	t.Helper()
	deadline := time.Now().Add(streamtest.WaitLimit)
	for clock.Tickers() < n {
		select {
		case err := <-done:
			done <- err
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("pacer never started its ticker")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// advanceUntilDone advances clock one frame at a time, whenever the code
// under test waits on a ticker, until it reports on done.
func advanceUntilDone(t *testing.T, clock *streamtest.Clock, done chan error) error {
	t.Helper()
	deadline := time.Now().Add(streamtest.WaitLimit)
	for {
		select {
		case err := <-done:
			return err
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out in virtual time")
		}
		if clock.Tickers() == 0 {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		clock.Advance(stream.FrameDuration)
	}
}

func TestPacerPlaysEvenlyInVirtualTime(t *testing.T) {
	for _, c := range []struct {
		name   string
		pt     uint8
		decode func([]int16, []byte) int
	}{
		{"PCMU", stream.PayloadPCMU, g711.DecodeUlaw},
		{"PCMA", stream.PayloadPCMA, g711.DecodeAlaw},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clock, w, p := newVirtualPacer(t, stream.PacerConfig{PayloadType: c.pt, SSRC: 7})
			samples := sine(1000, 8000, 10*stream.FrameSamples+50) // a partial last frame
			if err := playVirtual(t, clock, w, func() error { return p.Play(context.Background(), &sliceSource{samples: samples}) }); err != nil {
				t.Fatalf("Play: %v", err)
			}
			// A second prompt 100 ms after the first ended.
			clock.Advance(100 * time.Millisecond)
			if err := playVirtual(t, clock, w, func() error {
				return p.Play(context.Background(), &sliceSource{samples: samples[:2*stream.FrameSamples]})
			}); err != nil {
				t.Fatalf("second Play: %v", err)
			}
			pk := w.all()
			if len(pk) != 11+2 {
				t.Fatalf("sent %d packets, want 13", len(pk))
			}
			var pcm [stream.FrameSamples]int16
			for i, q := range pk {
				if q.pt != c.pt || len(q.payload) != stream.FrameSamples {
					t.Fatalf("packet %d: pt %d len %d", i, q.pt, len(q.payload))
				}
				if want := i == 0 || i == 11; q.marker != want {
					t.Errorf("packet %d marker %v, want %v", i, q.marker, want)
				}
				if i > 0 && q.seq != pk[i-1].seq+1 {
					t.Errorf("packet %d seq %d after %d", i, q.seq, pk[i-1].seq)
				}
				if i == 0 || i == 11 {
					continue
				}
				if d := q.at.Sub(pk[i-1].at); d != stream.FrameDuration {
					t.Errorf("packet %d sent %v after the previous, want 20ms", i, d)
				}
				if d := q.ts - pk[i-1].ts; d != stream.FrameSamples {
					t.Errorf("packet %d timestamp step %d, want 160", i, d)
				}
			}
			// The idle gap shows in the timestamps, as in the clock.
			gap := pk[11].at.Sub(pk[10].at)
			if got, want := pk[11].ts-pk[10].ts, uint32(gap/stream.FrameDuration)*stream.FrameSamples; got != want {
				t.Errorf("timestamp across a %v gap moved %d, want %d", gap, got, want)
			}
			for i := range 10 {
				c.decode(pcm[:], pk[i].payload)
				for k, s := range pcm {
					want := samples[i*stream.FrameSamples+k]
					if d := int(s) - int(want); d > 300 || d < -300 {
						t.Fatalf("packet %d sample %d = %d, want about %d", i, k, s, want)
					}
				}
			}
			c.decode(pcm[:], pk[10].payload)
			for k := 50; k < stream.FrameSamples; k++ {
				if pcm[k] > 8 || pcm[k] < -8 { // A-law has no exact zero
					t.Fatalf("padding of the last frame is %d at %d, want silence", pcm[k], k)
				}
			}
		})
	}
}

// newVirtualPacer returns a pacer on a manual clock writing to a
// recordingWriter.
func newVirtualPacer(t *testing.T, cfg stream.PacerConfig) (*streamtest.Clock, *recordingWriter, *stream.Pacer) {
	t.Helper()
	clock := streamtest.New()
	w := newRecordingWriter(clock.Now)
	cfg.Clock = clock
	p, err := stream.NewPacer(w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return clock, w, p
}

func TestPacerBargeIn(t *testing.T) {
	t.Parallel()
	clock, w, p := newVirtualPacer(t, stream.PacerConfig{PayloadType: stream.PayloadPCMU})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Play(ctx, endless{1000}) }()
	for range 5 {
		<-w.sent
		waitTickers(t, clock, 1, done)
		clock.Advance(stream.FrameDuration)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Play after cancel = %v, want context.Canceled", err)
	}
	if err := p.Play(ctx, endless{0}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Play with a cancelled context = %v", err)
	}
}

func TestPacerCatchesUpAfterStall(t *testing.T) {
	t.Parallel()
	clock, w, p := newVirtualPacer(t, stream.PacerConfig{PayloadType: stream.PayloadPCMU})
	done := make(chan error, 1)
	go func() {
		done <- p.Play(context.Background(), &sliceSource{samples: make([]int16, 20*stream.FrameSamples)})
	}()
	<-w.sent
	waitTickers(t, clock, 1, done)
	// A stall loses a tick: the next one finds two frames due and the
	// pacer sends both.
	clock.Jump(2 * stream.FrameDuration)
	for range 2 {
		<-w.sent
	}
	if n := len(w.all()); n != 3 {
		t.Fatalf("after 40 ms, %d packets sent, want 3", n)
	}
	// A long stall: at most 3 frames go out, then the schedule
	// restarts from now.
	clock.Jump(10 * stream.FrameDuration)
	for range 3 {
		<-w.sent
	}
	if n := len(w.all()); n != 3+3 {
		t.Fatalf("after the long stall, %d packets sent, want %d", n, 3+3)
	}
	if err := advanceUntilDone(t, clock, done); err != nil {
		t.Fatal(err)
	}
	if got := p.Stats(); got.Packets != 20 || got.Rebased == 0 {
		t.Fatalf("stats %+v, want 20 packets and a rebase", got)
	}
}

func TestPacerOverRelayEndpoint(t *testing.T) {
	t.Parallel()
	ep := streamtest.NewEndpoint(t)
	phone := streamtest.NewPhone(t)
	ep.SetRemote(phone.Addr)
	p, err := stream.NewPacer(ep, stream.PacerConfig{PayloadType: stream.PayloadPCMA, SSRC: 1})
	if err != nil {
		t.Fatal(err)
	}
	samples := sine(440, 6000, 8*stream.FrameSamples)
	if err := p.Play(context.Background(), &sliceSource{samples: samples}); err != nil {
		t.Fatalf("Play: %v", err)
	}
	var pcm [stream.FrameSamples]int16
	for i := range 8 {
		q := phone.Recv()
		if q.PT != stream.PayloadPCMA || q.SSRC != ep.SSRC() || q.Marker != (i == 0) {
			t.Fatalf("packet %d: %+v", i, q)
		}
		g711.DecodeAlaw(pcm[:], q.Payload)
		for k := range pcm {
			if d := int(pcm[k]) - int(samples[i*stream.FrameSamples+k]); d > 200 || d < -200 {
				t.Fatalf("packet %d sample %d = %d, want about %d", i, k, pcm[k], samples[i*stream.FrameSamples+k])
			}
		}
	}
	if s := p.Stats(); s.Packets != 8 || s.WriteErrors != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPacerStopsOnClosedEndpoint(t *testing.T) {
	t.Parallel()
	ep := streamtest.NewEndpoint(t)
	ep.SetRemote(streamtest.NewPhone(t).Addr)
	ep.Close()
	p, err := stream.NewPacer(ep, stream.PacerConfig{PayloadType: stream.PayloadPCMU})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Play(context.Background(), endless{}); err == nil {
		t.Fatal("Play on a closed endpoint returned nil")
	}
}

func TestPacerSendDTMF(t *testing.T) {
	t.Parallel()
	clock, w, p := newVirtualPacer(t, stream.PacerConfig{PayloadType: stream.PayloadPCMU, EventPayloadType: 101})
	done := make(chan error, 1)
	go func() { done <- p.SendDTMF(context.Background(), "1#", stream.DTMFOptions{}) }()
	// 100 ms tone + 100 ms gap per digit = 10 slots each; packets go out
	// in slots 0-4 (tone, the last one the first end) and 5-6 (repeats).
	if err := advanceUntilDone(t, clock, done); err != nil {
		t.Fatal(err)
	}
	pk := w.all()
	if len(pk) != 14 {
		t.Fatalf("sent %d packets, want 14", len(pk))
	}
	type want struct {
		event  byte
		end    bool
		dur    uint16
		marker bool
	}
	var wants []want
	for _, ev := range []byte{1, 11} {
		for k := 1; k <= 5; k++ {
			wants = append(wants, want{ev, k == 5, uint16(k * 160), k == 1})
		}
		wants = append(wants, want{ev, true, 800, false}, want{ev, true, 800, false})
	}
	for i, q := range pk {
		w := wants[i]
		got := want{q.payload[0], q.payload[1]&0x80 != 0, uint16(q.payload[2])<<8 | uint16(q.payload[3]), q.marker}
		if q.pt != 101 || got != w || q.payload[1]&0x3f != 10 {
			t.Errorf("packet %d = pt %d %+v vol %d, want %+v", i, q.pt, got, q.payload[1]&0x3f, w)
		}
		if i > 0 && q.seq != pk[i-1].seq+1 {
			t.Errorf("packet %d seq not continuous", i)
		}
		if wantTS := pk[(i/7)*7].ts; q.ts != wantTS {
			t.Errorf("packet %d ts %d, want the event's %d", i, q.ts, wantTS)
		}
	}
	if d := pk[7].ts - pk[0].ts; d != 10*stream.FrameSamples {
		t.Errorf("second event starts %d samples after the first, want 1600", d)
	}
}

func TestPacerRejectsBadInput(t *testing.T) {
	t.Parallel()
	w := &countingWriter{}
	if _, err := stream.NewPacer(w, stream.PacerConfig{PayloadType: 18}); err == nil {
		t.Error("payload type 18 accepted")
	}
	if _, err := stream.NewPacer(w, stream.PacerConfig{EventPayloadType: 50}); err == nil {
		t.Error("event payload type 50 accepted")
	}
	p, _ := stream.NewPacer(w, stream.PacerConfig{})
	if err := p.SendDTMF(context.Background(), "1", stream.DTMFOptions{}); err == nil {
		t.Error("SendDTMF without event payload type accepted")
	}
	p, _ = stream.NewPacer(w, stream.PacerConfig{EventPayloadType: 101})
	for _, c := range []struct {
		digits string
		opts   stream.DTMFOptions
	}{
		{"1x", stream.DTMFOptions{}},
		{"1", stream.DTMFOptions{Duration: 10 * time.Millisecond}},
		{"1", stream.DTMFOptions{Gap: 20 * time.Millisecond}},
		{"1", stream.DTMFOptions{Volume: 64}},
	} {
		if err := p.SendDTMF(context.Background(), c.digits, c.opts); err == nil {
			t.Errorf("SendDTMF(%q, %+v) accepted", c.digits, c.opts)
		}
	}
	if w.n != 0 {
		t.Errorf("%d packets sent for rejected input", w.n)
	}
}

func TestEventCodes(t *testing.T) {
	t.Parallel()
	for i, d := range []byte("0123456789*#ABCD") {
		c, ok := stream.EventCode(d)
		if !ok || int(c) != i {
			t.Errorf("stream.EventCode(%q) = %d, %v", d, c, ok)
		}
		if back, ok := stream.EventDigit(c); !ok || back != d {
			t.Errorf("stream.EventDigit(%d) = %q", c, back)
		}
	}
	if c, ok := stream.EventCode('b'); !ok || c != 13 {
		t.Errorf("stream.EventCode('b') = %d, %v", c, ok)
	}
	for _, d := range []byte("xE ") {
		if _, ok := stream.EventCode(d); ok {
			t.Errorf("stream.EventCode(%q) accepted", d)
		}
	}
	if _, ok := stream.EventDigit(16); ok {
		t.Error("stream.EventDigit(16) accepted")
	}
}

func TestPacerAllocations(t *testing.T) {
	w := &countingWriter{}
	p, err := stream.NewPacer(w, stream.PacerConfig{PayloadType: stream.PayloadPCMU, EventPayloadType: 101, Clock: &streamtest.Instant{}})
	if err != nil {
		t.Fatal(err)
	}
	src := &sliceSource{}
	play := func(frames int) float64 {
		buf := make([]int16, frames*stream.FrameSamples)
		return testing.AllocsPerRun(20, func() {
			src.samples, src.pos = buf, 0
			if err := p.Play(context.Background(), src); err != nil {
				t.Fatal(err)
			}
		})
	}
	short, long := play(2), play(500)
	if long > short {
		t.Errorf("Play of 500 frames allocates %v, of 2 frames %v: per-frame allocation", long, short)
	}
	dtmf := func(digits string) float64 {
		return testing.AllocsPerRun(20, func() {
			if err := p.SendDTMF(context.Background(), digits, stream.DTMFOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a, b := dtmf("1"), dtmf("1234567890"); b > a+1 {
		t.Errorf("SendDTMF of 10 digits allocates %v, of 1 digit %v", b, a)
	}
}

func BenchmarkPacerFrame(b *testing.B) {
	w := &countingWriter{}
	p, _ := stream.NewPacer(w, stream.PacerConfig{PayloadType: stream.PayloadPCMA, Clock: &streamtest.Instant{}})
	src := &sliceSource{samples: make([]int16, b.N*stream.FrameSamples)}
	b.ReportAllocs()
	b.ResetTimer()
	if err := p.Play(context.Background(), src); err != nil {
		b.Fatal(err)
	}
}
