package apiext

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/contactid"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// The Contact ID exchanges run on two agents whose bridge endpoints are
// bridged by the relay, as the core bridges a call: each side's frames
// go through its pacer, PCMU RTP, the relay, the other side's taps, queue
// and jitter buffer, in real time.

// alarmPair returns two legs (no core) whose audio meets.
func alarmPair(t *testing.T, o *Originator) (a, b *Leg) {
	t.Helper()
	base := 20000 + 2*rand.IntN(10000)
	ports, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: base, Max: base + 199, RTCPInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	leg := func() *Leg {
		m, err := newAgent(ports, []sdp.Format{sdp.PCMU, sdp.TelephoneEvent}, stream.SystemClock{}, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		m.bridge.SetCodec(relay.Codec{PT: sdp.PCMU.PT, Encoding: relay.PCMU, EventPT: sdp.TelephoneEvent.PT})
		t.Cleanup(m.close)
		return &Leg{o: o, log: o.log, media: m}
	}
	a, b = leg(), leg()
	relay.Bridge(a.media.bridge, b.media.bridge)
	return a, b
}

func quietOriginator(alarm AlarmTiming) *Originator {
	return New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Alarm: alarm})
}

var perimeter = contactid.Message{Account: "1234", Qualifier: contactid.NewEvent, Event: 131, Partition: 1, Zone: 15}

// exchangeTimeout bounds one exchange on a loaded machine.
const exchangeTimeout = 60 * time.Second

func TestAlarmExchangeOverRTP(t *testing.T) {
	t.Parallel()
	o := quietOriginator(AlarmTiming{})
	panel, station := alarmPair(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
	defer cancel()
	s, err := contactid.NewSender(contactid.DefaultSenderConfig(), perimeter)
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() { sent <- panel.Exchange(ctx, s.Process) }()
	got, err := station.ReceiveAlarm(ctx)
	if err != nil {
		t.Fatalf("ReceiveAlarm: %v", err)
	}
	if err := <-sent; err != nil || s.Delivered() != 1 {
		t.Fatalf("sender: %v, delivered %d after %d attempts", err, s.Delivered(), s.Attempts())
	}
	want := "1234 NewEvent 131 Perimeter 01 015"
	if len(got) != 1 || got[0].Account+" "+got[0].EventQualifier+" "+got[0].EventCode+" "+got[0].EventName+" "+got[0].Partition+" "+got[0].Zone != want {
		t.Fatalf("received %+v, want %s", got, want)
	}
}

// A panel whose checksum is wrong: the station rejects the report, sends
// no kissoff, and ReceiveAlarm fails with ErrNoMessage.
func TestAlarmChecksumErrorOverRTP(t *testing.T) {
	t.Parallel()
	rc := contactid.DefaultReceiverConfig()
	rc.FirstDigitTimeout, rc.Handshakes = time.Second, 1
	o := quietOriginator(AlarmTiming{Receiver: &rc})
	panel, station := alarmPair(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
	defer cancel()
	good, err := perimeter.Encode()
	if err != nil {
		t.Fatal(err)
	}
	bad := good[:15] + map[bool]string{true: "1", false: "2"}[good[15] != '1']
	gen, err := dtmf.NewGenerator(dtmf.GeneratorConfig{LowLevel: -8, HighLevel: -8, On: 55 * time.Millisecond, Off: 55 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	frame := 0
	panelCtx, stopPanel := context.WithCancel(ctx)
	defer stopPanel()
	sent := make(chan error, 1)
	go func() {
		// The digits start 1.2 s in, after the handshake (0.5 s + 0.3 s).
		sent <- panel.Exchange(panelCtx, func(_, out []int16) (bool, error) {
			frame++
			if frame == 60 {
				if err := gen.Play(bad); err != nil {
					return false, err
				}
			}
			if frame < 60 {
				clear(out)
				return false, nil
			}
			gen.Fill(out)
			return false, nil
		})
	}()
	got, err := station.ReceiveAlarm(ctx)
	if !errors.Is(err, contactid.ErrNoMessage) || len(got) != 0 {
		t.Fatalf("ReceiveAlarm: %+v %v, want ErrNoMessage", got, err)
	}
	stopPanel()
	if err := <-sent; !errors.Is(err, context.Canceled) {
		t.Fatalf("panel exchange: %v", err)
	}
}

// A station that sends the handshake and never a kissoff: the sender
// repeats the report Attempts times, then fails with ErrNoKissoff.
func TestAlarmNoKissoffOverRTP(t *testing.T) {
	t.Parallel()
	sc := contactid.DefaultSenderConfig()
	sc.Attempts = 2
	o := quietOriginator(AlarmTiming{Sender: &sc})
	panel, station := alarmPair(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
	defer cancel()
	hs, err := contactid.Handshake(-8)
	if err != nil {
		t.Fatal(err)
	}
	var gen tone.Generator
	if err := gen.Reset(hs); err != nil {
		t.Fatal(err)
	}
	frame := 0
	stationCtx, stopStation := context.WithCancel(ctx)
	defer stopStation()
	heard := make(chan error, 1)
	go func() {
		heard <- station.Exchange(stationCtx, func(_, out []int16) (bool, error) {
			// Half a second after the answer, as a receiver does.
			if frame++; frame <= 25 || gen.Done() {
				clear(out)
			} else {
				gen.Fill(out)
			}
			return false, nil
		})
	}()
	s, err := contactid.NewSender(sc, perimeter)
	if err != nil {
		t.Fatal(err)
	}
	if err := panel.Exchange(ctx, s.Process); !errors.Is(err, contactid.ErrNoKissoff) {
		t.Fatalf("sender: %v, want ErrNoKissoff", err)
	}
	if s.Attempts() != 2 || s.Delivered() != 0 {
		t.Fatalf("sender: %d attempts, %d delivered", s.Attempts(), s.Delivered())
	}
	stopStation()
	<-heard
}

// Exchange does not allocate per frame.
func TestExchangeFrameAllocations(t *testing.T) {
	x, err := newExchange(func(in, out []int16) (bool, error) { copy(out, in); return false, nil })
	if err != nil {
		t.Fatal(err)
	}
	var pkt [stream.FrameSamples]byte
	var pcm [stream.FrameSamples]int16
	ts := uint32(0)
	allocs := testing.AllocsPerRun(200, func() {
		x.inbound.Tap(sdp.PCMU.PT, ts, pkt[:])
		ts += stream.FrameSamples
		if _, err := x.ReadFrame(pcm[:]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame", allocs)
	}
}
