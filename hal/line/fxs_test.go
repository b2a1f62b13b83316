package line

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/media/dtmf"
)

const ms = time.Millisecond

// edge is a raw hook level from a time on.
type edge struct {
	at  time.Duration
	off bool
}

// pulses returns the edges of dialling digit n starting at t (60 ms
// break, 40 ms make), and the time after the last make.
func pulses(t time.Duration, n int) ([]edge, time.Duration) {
	var out []edge
	for range n {
		out = append(out, edge{t, false}, edge{t + 60*ms, true})
		t += 100 * ms
	}
	return out, t
}

func seq(parts ...[]edge) []edge {
	var out []edge
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

type wantEvent struct {
	typ    hal.EventType
	at     time.Duration
	digit  byte
	source hal.DigitSource
	dur    time.Duration
}

func TestFXSHookClassification(t *testing.T) {
	three, after3 := pulses(1000*ms, 3)
	zero, after0 := pulses(after3+500*ms, 10)
	hangDuringDigit, _ := pulses(1000*ms, 2)
	tests := []struct {
		name  string
		edges []edge
		want  []wantEvent
	}{
		{"off hook", []edge{{100 * ms, true}}, []wantEvent{{typ: hal.OffHook, at: 100 * ms}}},
		{"bounce ignored", []edge{{100 * ms, true}, {105 * ms, false}, {108 * ms, true}, {500 * ms, false}, {505 * ms, true}},
			[]wantEvent{{typ: hal.OffHook, at: 108 * ms}}},
		{"hang up", []edge{{0, true}, {1000 * ms, false}}, []wantEvent{{typ: hal.OffHook}, {typ: hal.OnHook, at: 1000 * ms}}},
		{"flash", []edge{{0, true}, {1000 * ms, false}, {1300 * ms, true}},
			[]wantEvent{{typ: hal.OffHook}, {typ: hal.Flash, at: 1300 * ms, dur: 300 * ms}}},
		{"flash at the window edges", []edge{{0, true}, {1000 * ms, false}, {1100 * ms, true}, {2000 * ms, false}, {2700 * ms, true}},
			[]wantEvent{{typ: hal.OffHook}, {typ: hal.Flash, at: 1100 * ms, dur: 100 * ms}, {typ: hal.Flash, at: 2700 * ms, dur: 700 * ms}}},
		{"break between pulse and flash ignored", []edge{{0, true}, {1000 * ms, false}, {1095 * ms, true}}, []wantEvent{{typ: hal.OffHook}}},
		{"too long for a flash", []edge{{0, true}, {1000 * ms, false}, {1710 * ms, true}},
			[]wantEvent{{typ: hal.OffHook}, {typ: hal.OnHook, at: 1000 * ms}, {typ: hal.OffHook, at: 1710 * ms}}},
		{"pulse digits 3 and 0", seq([]edge{{0, true}}, three, zero),
			[]wantEvent{{typ: hal.OffHook}, {typ: hal.Digit, digit: '3', source: hal.SourcePulse, at: after3 - 40*ms + 200*ms},
				{typ: hal.Digit, digit: '0', source: hal.SourcePulse, at: after0 - 40*ms + 200*ms}}},
		{"pulse then flash", seq([]edge{{0, true}}, three, []edge{{after3 + 100*ms, false}, {after3 + 400*ms, true}}),
			[]wantEvent{{typ: hal.OffHook}, {typ: hal.Digit, digit: '3', source: hal.SourcePulse, at: after3 + 100*ms},
				{typ: hal.Flash, at: after3 + 400*ms, dur: 300 * ms}}},
		{"hang up mid digit", seq([]edge{{0, true}}, hangDuringDigit, []edge{{1200 * ms, false}}),
			[]wantEvent{{typ: hal.OffHook}, {typ: hal.OnHook, at: 1200 * ms}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, _, clock := newTestFXS(t, DefaultConfig())
			for _, e := range tt.edges {
				clock.Advance(epoch.Add(e.at).Sub(clock.Now()))
				p.RawHook(e.off)
			}
			clock.Advance(5 * time.Second)
			var got []wantEvent
			for _, ev := range drain(p.Events()) {
				got = append(got, wantEvent{typ: ev.Type, at: ev.At.Sub(epoch), digit: ev.Digit, source: ev.Source, dur: ev.Duration})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFXSFlashWindowConfigurable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FlashMin, cfg.FlashMax = 300*ms, 1000*ms
	p, _, clock := newTestFXS(t, cfg)
	p.RawHook(true)
	clock.Advance(time.Second)
	p.RawHook(false) // 200 ms: now below the window
	clock.Advance(200 * ms)
	p.RawHook(true)
	clock.Advance(time.Second)
	p.RawHook(false) // 900 ms: a flash now
	clock.Advance(900 * ms)
	p.RawHook(true)
	clock.Advance(time.Second)
	got := types(drain(p.Events()))
	if want := []hal.EventType{hal.OffHook, hal.Flash}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	bad := DefaultConfig()
	bad.FlashMin = 50 * ms // overlaps the pulse window
	if _, err := NewFXS("x", &fakeFXS{clock: clock}, clock, bad); err == nil {
		t.Error("NewFXS accepted a flash window overlapping the pulse window")
	}
}

// linefeeds returns the linefeed changes (time, state) after the first.
func linefeeds(drv *fakeFXS) []change { return drv.changes()[1:] }

func TestFXSRingBell202CallerID(t *testing.T) {
	r, cfg := regionConfig(t, "us")
	p, drv, clock := newTestFXS(t, cfg)
	caller := hal.CallerID{Number: "2125551234", Name: "DOE JOHN", Time: epoch}
	if err := p.Ring(context.Background(), r.Ring, &caller); err != nil {
		t.Fatal(err)
	}
	tx := runFrames(clock, p, 12*time.Second, nil)

	want := []change{
		{at: 0, lf: hal.LinefeedRinging}, {at: 2000 * ms, lf: hal.LinefeedForwardOHT},
		{at: 6000 * ms, lf: hal.LinefeedRinging}, {at: 8000 * ms, lf: hal.LinefeedForwardOHT},
		{at: 12000 * ms, lf: hal.LinefeedRinging},
	}
	if got := linefeeds(drv); !reflect.DeepEqual(got, want) {
		t.Errorf("linefeeds\n got %+v\nwant %+v", got, want)
	}
	// The data starts 500 ms after the first burst and is the only audio.
	first := firstSound(tx)
	if at := samplesDuration(first); at < 2500*ms || at > 2520*ms {
		t.Errorf("caller ID starts at %v, want 2.5 s", at)
	}
	got := decodeFSK(t, cid.Bell202, tx)
	if got != caller {
		t.Errorf("phone decoded %+v, want %+v", got, caller)
	}
	if ringing, _ := p.Ringing(); !ringing {
		t.Error("not ringing after two cycles")
	}

	// Ring trip in the pause: ringing stops, the feed goes active.
	clock.Advance(3 * time.Second)
	p.RawHook(true)
	clock.Advance(20 * ms)
	if ringing, _ := p.Ringing(); ringing {
		t.Error("still ringing after ring trip")
	}
	if lf := p.Linefeed(); lf != hal.LinefeedForwardActive {
		t.Errorf("linefeed after ring trip %v", lf)
	}
	if got := types(drain(p.Events())); !reflect.DeepEqual(got, []hal.EventType{hal.OffHook}) {
		t.Errorf("events %v, want [off-hook]", got)
	}
	if err := p.Ring(context.Background(), r.Ring, nil); !errors.Is(err, hal.ErrOffHook) {
		t.Errorf("Ring while off hook = %v", err)
	}
}

func TestFXSRingTripDuringBurst(t *testing.T) {
	p, drv, clock := newTestFXS(t, DefaultConfig())
	r, _ := region.Lookup("de")
	if err := p.Ring(context.Background(), r.Ring, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(500 * ms)
	p.RawHook(true)
	clock.Advance(100 * ms)
	want := []change{{at: 0, lf: hal.LinefeedRinging}, {at: 515 * ms, lf: hal.LinefeedForwardActive}}
	if got := linefeeds(drv); !reflect.DeepEqual(got, want) {
		t.Errorf("linefeeds %+v, want %+v", got, want)
	}
	clock.Advance(10 * time.Second) // no stray cadence timers
	if got := linefeeds(drv); len(got) != 2 {
		t.Errorf("linefeed changed after ring trip: %+v", got)
	}
}

func TestFXSRingETSIBeforeRingDTAS(t *testing.T) {
	r, cfg := regionConfig(t, "uk")
	p, drv, clock := newTestFXS(t, cfg)
	caller := hal.CallerID{Number: "02079460000", Name: "BT TEST", Time: epoch}
	if err := p.Ring(context.Background(), r.Ring, &caller); err != nil {
		t.Fatal(err)
	}
	tx := runFrames(clock, p, 4*time.Second, nil)
	lfs := linefeeds(drv)
	if lfs[0] != (change{at: 0, lf: hal.LinefeedReverseOHT}) {
		t.Errorf("first linefeed %+v, want reverse OHT at 0", lfs[0])
	}
	// DT-AS at 300 ms: 2130 and 2750 Hz.
	alert := tx[300*8 : 400*8]
	if share := tonesShare(alert, 2130, 2750); share < 0.8 {
		t.Errorf("DT-AS window holds %.2f of its energy at 2130+2750 Hz", share)
	}
	if got := decodeFSK(t, cid.V23, tx); got != caller {
		t.Errorf("phone decoded %+v, want %+v", got, caller)
	}
	// Forward OHT, then the first burst, after the data and trailer.
	msg := cid.Encode(caller, cid.MDMF)
	dataEnd := 300*ms + 100*ms + 150*ms + samplesDuration(cfg.CallerID.Burst.Bits(len(msg))*hal.SampleRate/cid.Baud)
	if lfs[1].lf != hal.LinefeedForwardOHT || lfs[2].lf != hal.LinefeedRinging || lfs[2].at != dataEnd+400*ms {
		t.Errorf("linefeeds %+v; want forward OHT then ringing at %v", lfs, dataEnd+400*ms)
	}
}

func TestFXSRingDTMFCallerID(t *testing.T) {
	r, cfg := regionConfig(t, "nl")
	p, _, clock := newTestFXS(t, cfg)
	if err := p.Ring(context.Background(), r.Ring, &hal.CallerID{Number: "0201234567"}); err != nil {
		t.Fatal(err)
	}
	tx := runFrames(clock, p, 3*time.Second, nil)
	det, _ := dtmf.NewDetector(dtmf.DefaultConfig())
	var digits []byte
	for _, ev := range det.Detect(nil, tx) {
		if ev.Kind == dtmf.KeyDown {
			digits = append(digits, ev.Digit)
		}
	}
	if string(digits) != "A0201234567C" {
		t.Errorf("phone heard %q, want A0201234567C", digits)
	}
}

func TestFXSStopRingAndCommands(t *testing.T) {
	p, drv, clock := newTestFXS(t, DefaultConfig())
	us, _ := region.Lookup("us")
	if err := p.Ring(context.Background(), us.Ring, &hal.CallerID{Number: "1"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2600 * ms) // inside the caller-ID burst
	if err := p.StopRing(); err != nil {
		t.Fatal(err)
	}
	var f hal.Frame
	p.TxFrame(&f)
	if f != (hal.Frame{}) {
		t.Error("caller-ID audio continued after StopRing")
	}
	if err := p.ReversePolarity(true); err != nil {
		t.Fatal(err)
	}
	if err := p.Disconnect(800 * ms); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if err := p.SetLinefeed(hal.LinefeedTipOpen); err != nil {
		t.Fatal(err)
	}
	want := []hal.Linefeed{hal.LinefeedRinging, hal.LinefeedForwardOHT, hal.LinefeedForwardActive,
		hal.LinefeedReverseActive, hal.LinefeedOpen, hal.LinefeedReverseActive, hal.LinefeedTipOpen}
	var got []hal.Linefeed
	for _, c := range linefeeds(drv) {
		got = append(got, c.lf)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("linefeeds %v, want %v", got, want)
	}
	if err := p.SetLinefeed(9); err == nil {
		t.Error("SetLinefeed(9) accepted")
	}
	if err := p.Ring(context.Background(), hal.Cadence{}, nil); err == nil {
		t.Error("Ring with an empty cadence accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Ring(ctx, us.Ring, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Ring with a cancelled context = %v", err)
	}
}

func TestFXSDriverErrorIsAFault(t *testing.T) {
	p, drv, _ := newTestFXS(t, DefaultConfig())
	drv.fail = errChip
	us, _ := region.Lookup("us")
	if err := p.Ring(context.Background(), us.Ring, nil); !errors.Is(err, errChip) {
		t.Fatalf("Ring = %v, want the chip error", err)
	}
	evs := drain(p.Events())
	if len(evs) != 1 || evs[0].Type != hal.Fault || !errors.Is(evs[0].Err, errChip) {
		t.Errorf("events %+v, want one fault", evs)
	}
	if ringing, _ := p.Ringing(); ringing {
		t.Error("ringing after a failed Ring")
	}
}

func TestFXSDTMFDigitsAndAudio(t *testing.T) {
	p, _, clock := newTestFXS(t, DefaultConfig())
	p.RawHook(true)
	clock.Advance(50 * ms)
	gen, _ := dtmf.NewGenerator(dtmf.DefaultGeneratorConfig())
	gen.Play("1#9")
	audio := make([]int16, 8000)
	gen.Fill(audio)
	// The reader takes frames as they come.
	ctx := context.Background()
	var frames int
	rx := fromSamples(audio)
	for range 50 {
		var in, out hal.Frame
		rx(&in)
		p.RxFrame(&in)
		var got hal.Frame
		if err := p.Audio().ReadFrame(ctx, &got); err != nil || got != in {
			t.Fatalf("ReadFrame = %v, frame equal %v", err, got == in)
		}
		frames++
		p.TxFrame(&out)
		clock.Advance(hal.FrameDuration)
	}
	var digits []byte
	for _, ev := range drain(p.Events()) {
		if ev.Type == hal.Digit {
			if ev.Source != hal.SourceDTMF {
				t.Errorf("digit source %v", ev.Source)
			}
			digits = append(digits, ev.Digit)
		}
	}
	if string(digits) != "1#9" {
		t.Errorf("digits %q, want 1#9", digits)
	}
	if s := p.Stats(); s.Underruns != 50 {
		t.Errorf("underruns %d, want 50 (nothing was written)", s.Underruns)
	}
}

func TestFXSAudioQueues(t *testing.T) {
	p, _, clock := newTestFXS(t, DefaultConfig())
	p.RawHook(true)
	clock.Advance(50 * ms)
	a := p.Audio()
	for i := range 6 { // queue holds 4: the first two are dropped
		var f hal.Frame
		f[0] = int16(i + 1)
		if err := a.WriteFrame(&f); err != nil {
			t.Fatal(err)
		}
	}
	var got []int16
	for range 5 {
		var f hal.Frame
		p.TxFrame(&f)
		got = append(got, f[0])
	}
	if want := []int16{3, 4, 5, 6, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	for i := range 6 {
		var f hal.Frame
		f[0] = int16(i)
		p.RxFrame(&f)
	}
	if s := p.Stats(); s.Overruns != 2 || s.Underruns != 1 {
		t.Errorf("stats %+v, want 2 overruns 1 underrun", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var f hal.Frame
	if err := a.ReadFrame(ctx, &f); err != nil || f[0] != 2 {
		t.Errorf("ReadFrame = %v, %d; want the oldest kept frame 2", err, f[0])
	}
	for range 3 {
		a.ReadFrame(ctx, &f)
	}
	cancel()
	if err := a.ReadFrame(ctx, &f); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadFrame on cancelled ctx = %v", err)
	}
	p.Close()
	if err := a.ReadFrame(context.Background(), &f); !errors.Is(err, hal.ErrClosed) {
		t.Errorf("ReadFrame after Close = %v", err)
	}
	if err := a.WriteFrame(&f); !errors.Is(err, hal.ErrClosed) {
		t.Errorf("WriteFrame after Close = %v", err)
	}
}

func TestFXSClose(t *testing.T) {
	p, drv, clock := newTestFXS(t, DefaultConfig())
	us, _ := region.Lookup("us")
	p.Ring(context.Background(), us.Ring, nil)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	lfs := linefeeds(drv)
	if last := lfs[len(lfs)-1].lf; last != hal.LinefeedOpen {
		t.Errorf("linefeed after Close %v, want open", last)
	}
	if clock.Pending() != 0 {
		t.Errorf("%d timers left after Close", clock.Pending())
	}
	for name, err := range map[string]error{
		"Ring":     p.Ring(context.Background(), us.Ring, nil),
		"StopRing": p.StopRing(),
		"Reverse":  p.ReversePolarity(true),
	} {
		if !errors.Is(err, hal.ErrClosed) {
			t.Errorf("%s after Close = %v", name, err)
		}
	}
	if _, open := <-p.Events(); open {
		t.Error("events channel open after Close")
	}
}

// firstSound is the index of the first non-zero sample, or len(x).
func firstSound(x []int16) int {
	for i, s := range x {
		if s != 0 {
			return i
		}
	}
	return len(x)
}

func decodeFSK(t *testing.T, m cid.Modem, audio []int16) hal.CallerID {
	t.Helper()
	d := cid.NewDemodulator(m, -40)
	msg, ok := d.Feed(audio)
	if !ok {
		t.Fatal("no caller-ID message in the audio")
	}
	c, err := cid.Decode(msg, epoch)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
