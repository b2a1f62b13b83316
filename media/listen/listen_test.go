package listen_test

import (
	"context"
	"encoding/binary"
	"sort"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/listen"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/stream/streamtest"
)

const eventPT = 101

// collector keeps the packets a Pacer writes.
type collector struct{ packets [][]byte }

func (c *collector) WritePacket(b []byte) error {
	c.packets = append(c.packets, append([]byte(nil), b...))
	return nil
}

// generate returns the packets of digits as RFC 4733 events, in-band
// tones, or both merged in timestamp order as a phone sends them.
func generate(t *testing.T, digits string, events, tones bool) [][]byte {
	t.Helper()
	var all [][]byte
	if events {
		c := &collector{}
		p, _ := stream.NewPacer(c, stream.PacerConfig{PayloadType: stream.PayloadPCMU, EventPayloadType: eventPT, SSRC: 42, Clock: &streamtest.Instant{}})
		if err := p.SendDTMF(context.Background(), digits, stream.DTMFOptions{}); err != nil {
			t.Fatal(err)
		}
		all = append(all, c.packets...)
	}
	if tones {
		c := &collector{}
		p, _ := stream.NewPacer(c, stream.PacerConfig{PayloadType: stream.PayloadPCMA, SSRC: 42, Clock: &streamtest.Instant{}})
		src, err := stream.DTMFTones(digits, dtmf.DefaultGeneratorConfig())
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Play(context.Background(), src); err != nil {
			t.Fatal(err)
		}
		all = append(all, c.packets...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		return binary.BigEndian.Uint32(all[i][4:]) < binary.BigEndian.Uint32(all[j][4:])
	})
	for i, b := range all {
		binary.BigEndian.PutUint16(b[2:], uint16(i))
	}
	return all
}

func TestListenerThroughRelayEndpoint(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name           string
		digits         string
		events, tones  bool
		wantEvents     uint64
		wantTones      uint64
		wantDuplicates uint64
	}{
		{"RFC 4733 only", "123#", true, false, 4, 0, 0},
		{"in-band only", "456*A", false, true, 0, 5, 0},
		{"both, each key once", "7890", true, true, 4, 4, 4},
		{"both, repeated key", "1155", true, true, 4, 4, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ep := streamtest.NewEndpoint(t)
			phone := streamtest.NewPhone(t)
			l, err := listen.New(listen.Config{})
			if err != nil {
				t.Fatal(err)
			}
			ep.SetDTMFListener(eventPT, l.Event)
			var mux stream.TapMux
			ep.SetAudioTap(mux.Tap)
			mux.Add(l.Tap)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- l.Run(ctx) }()
			defer func() { cancel(); <-done }()

			packets := generate(t, c.digits, c.events, c.tones)
			var audio uint64
			for i, b := range packets {
				if b[1]&0x7f != eventPT {
					audio++
				}
				phone.Send(ep.LocalAddr(), b)
				if i%16 == 15 {
					// Keep within the listener's ring: wait until it
					// has examined what was sent.
					waitFor(t, func() bool { return l.Stats().Packets >= audio })
				}
			}
			var got []byte
			for range c.digits {
				select {
				case k := <-l.Digits():
					got = append(got, k)
				case <-time.After(streamtest.WaitLimit):
					t.Fatalf("got %q, want %q (stats %+v)", got, c.digits, l.Stats())
				}
			}
			if string(got) != c.digits {
				t.Fatalf("got %q, want %q", got, c.digits)
			}
			waitFor(t, func() bool {
				s := l.Stats()
				return s.Packets >= audio && s.Events >= c.wantEvents
			})
			s := l.Stats()
			if s.Events != c.wantEvents || s.Tones != c.wantTones || s.Duplicates != c.wantDuplicates || s.Dropped != 0 {
				t.Fatalf("stats %+v, want %d events, %d tones, %d duplicates", s, c.wantEvents, c.wantTones, c.wantDuplicates)
			}
			select {
			case k := <-l.Digits():
				t.Fatalf("extra key %q", k)
			default:
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(streamtest.WaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestListenerInBandOffAndRunTwice(t *testing.T) {
	t.Parallel()
	l, _ := listen.New(listen.Config{InBandOff: true})
	l.Tap(stream.PayloadPCMU, 0, make([]byte, 160))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	l.Event(5, false, 0)
	l.Event(5, true, 800)
	l.Signal('x') // not a key: ignored
	l.Signal('d')
	for _, want := range []byte("5D") {
		if k := <-l.Digits(); k != want {
			t.Fatalf("key %q, want %q", k, want)
		}
	}
	waitFor(t, func() bool { return l.Stats().Delivered == 2 })
	if err := l.Run(ctx); err == nil {
		t.Error("second concurrent Run accepted")
	}
	cancel()
	<-done
	if s := l.Stats(); s.Packets != 0 {
		t.Fatalf("in-band off examined %d packets", s.Packets)
	}
	if _, err := listen.New(listen.Config{Detector: dtmf.Config{MinLevel: 5}}); err == nil {
		t.Error("bad detector config accepted")
	}
}

func TestListenerDoesNotAllocatePerPacket(t *testing.T) {
	l, _ := listen.New(listen.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	payload := make([]byte, stream.FrameSamples)
	for i := range payload {
		payload[i] = 0xFF
	}
	ts := uint32(0)
	a := testing.AllocsPerRun(500, func() {
		l.Tap(stream.PayloadPCMU, ts, payload)
		l.Event(3, false, 0)
		ts += stream.FrameSamples
	})
	if a != 0 {
		t.Fatalf("tap and event callbacks allocate %v", a)
	}
}
