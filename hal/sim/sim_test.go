package sim

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/haltest"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/tone"
)

const ms = time.Millisecond

var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestBoard(t *testing.T, code string) (*Board, *ManualClock) {
	t.Helper()
	reg, err := region.Lookup(code)
	if err != nil {
		t.Fatal(err)
	}
	clock := NewManualClock(epoch)
	b, err := New("sim", []PortSpec{{Name: "fxs0", Kind: hal.KindFXS}, {Name: "fxo0", Kind: hal.KindFXO}}, clock, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, clock
}

var (
	pending = haltest.Drain
	types   = haltest.Types
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// play sends the region's tone of kind down port for d, frame by frame.
func play(t *testing.T, clock *ManualClock, port hal.AudioPort, reg string, kind tone.Kind, d time.Duration) {
	t.Helper()
	tn, err := tone.Lookup(reg, kind)
	must(t, err)
	g, err := tone.NewGenerator(tn)
	must(t, err)
	for elapsed := time.Duration(0); elapsed < d; elapsed += hal.FrameDuration {
		var f hal.Frame
		g.Fill(f[:])
		must(t, port.Audio().WriteFrame(&f))
		clock.Advance(hal.FrameDuration)
	}
}

func TestPhoneHearsTones(t *testing.T) {
	for _, code := range []string{"us", "hu", "uk"} {
		t.Run(code, func(t *testing.T) {
			b, clock := newTestBoard(t, code)
			phone, _ := b.Phone("fxs0")
			port := phone.Port()
			must(t, phone.OffHook())
			clock.Advance(100 * ms)
			if got := types(pending(port.Events())); !reflect.DeepEqual(got, []hal.EventType{hal.OffHook}) {
				t.Fatalf("events %v", got)
			}
			clock.Advance(2 * time.Second) // silence: nothing heard
			if k := phone.Heard(); k != 0 {
				t.Errorf("heard %v in silence", k)
			}
			for _, k := range []tone.Kind{tone.Dial, tone.Busy, tone.Ringback} {
				phone.ClearHeard()
				play(t, clock, port, b.Region().Tones, k, 12*time.Second)
				if got := phone.Heard(); got != k {
					t.Errorf("played %v, phone heard %v", k, got)
				}
			}
		})
	}
}

func TestPhoneDials(t *testing.T) {
	b, clock := newTestBoard(t, "de")
	phone, _ := b.Phone("fxs0")
	port := phone.Port()
	must(t, phone.OffHook())
	clock.Advance(100 * ms)
	pending(port.Events())

	must(t, phone.DialDTMF("1*9#"))
	clock.Advance(time.Second)
	must(t, phone.DialPulse("40"))
	clock.Advance(3 * time.Second)
	must(t, phone.Flash(300*ms))
	clock.Advance(time.Second)

	type got struct {
		typ    hal.EventType
		digit  byte
		source hal.DigitSource
	}
	var evs []got
	for _, ev := range pending(port.Events()) {
		evs = append(evs, got{ev.Type, ev.Digit, ev.Source})
	}
	want := []got{
		{hal.Digit, '1', hal.SourceDTMF}, {hal.Digit, '*', hal.SourceDTMF}, {hal.Digit, '9', hal.SourceDTMF}, {hal.Digit, '#', hal.SourceDTMF},
		{hal.Digit, '4', hal.SourcePulse}, {hal.Digit, '0', hal.SourcePulse}, {typ: hal.Flash},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Errorf("events\n got %+v\nwant %+v", evs, want)
	}
	must(t, phone.OnHook())
	clock.Advance(time.Second)
	if got := types(pending(port.Events())); !reflect.DeepEqual(got, []hal.EventType{hal.OnHook}) {
		t.Errorf("events after hanging up %v", got)
	}
	if err := phone.DialDTMF("1"); err == nil {
		t.Error("DialDTMF on hook accepted")
	}
}

func TestPhoneRingsWithCallerID(t *testing.T) {
	for _, code := range []string{"us", "uk", "de", "nl"} {
		t.Run(code, func(t *testing.T) {
			b, clock := newTestBoard(t, code)
			phone, _ := b.Phone("fxs0")
			port := phone.Port()
			caller := hal.CallerID{Number: "3612345678", Name: "Teszt Elek", Time: epoch.Truncate(time.Minute)}
			if code == "nl" {
				caller = hal.CallerID{Number: "3612345678"} // DTMF carries the number only
			}
			must(t, port.Ring(context.Background(), b.Region().Ring, &caller))
			clock.Advance(2*b.Region().Ring.Period() + 3*time.Second)
			if got := phone.LastCallerID(); got == nil || *got != caller {
				t.Fatalf("phone shows %+v, want %+v", got, caller)
			}
			if n := phone.RingCount(); n < 2 {
				t.Errorf("%d ring bursts", n)
			}
			// Answer: ring trip.
			must(t, phone.OffHook())
			clock.Advance(100 * ms)
			if phone.BellOn() {
				t.Error("still ringing after answer")
			}
			if ringing, _ := port.Ringing(); ringing {
				t.Error("port still ringing after ring trip")
			}
			if got := types(pending(port.Events())); !reflect.DeepEqual(got, []hal.EventType{hal.OffHook}) {
				t.Errorf("events %v", got)
			}
		})
	}
}

func TestCORingsInWithCallerID(t *testing.T) {
	for _, code := range []string{"us", "uk", "hu", "nl"} {
		t.Run(code, func(t *testing.T) {
			b, clock := newTestBoard(t, code)
			co, _ := b.CO("fxo0")
			port := co.Port()
			caller := hal.CallerID{Number: "3612345678", Name: "CO", Time: epoch.Truncate(time.Minute)}
			if code == "nl" {
				caller = hal.CallerID{Number: "3612345678"}
			}
			must(t, co.Ring(b.Region().Ring, &caller))
			clock.Advance(b.Region().Ring.Period() + 2*time.Second)
			evs := pending(port.Events())
			var gotCID *hal.CallerID
			var sawRing bool
			for _, ev := range evs {
				switch ev.Type {
				case hal.CallerIDReceived:
					gotCID = ev.CallerID
				case hal.RingStart:
					sawRing = true
				}
			}
			if !sawRing || gotCID == nil || *gotCID != caller {
				t.Fatalf("events %v, caller ID %+v; want ring-start and %+v", types(evs), gotCID, caller)
			}
			must(t, port.Seize())
			clock.Advance(time.Second)
			if !co.Seized() || co.Ringing() {
				t.Errorf("seized %v ringing %v after answer", co.Seized(), co.Ringing())
			}
			if got := types(pending(port.Events())); !reflect.DeepEqual(got, []hal.EventType{hal.RingStop}) {
				t.Errorf("events after answer %v", got)
			}
		})
	}
}

func TestCODisconnectSupervision(t *testing.T) {
	b, clock := newTestBoard(t, "de")
	co, _ := b.CO("fxo0")
	port := co.Port()
	must(t, port.Seize())
	clock.Advance(time.Second)
	must(t, co.PlayTone(tone.Busy))
	clock.Advance(6 * time.Second)
	evs := pending(port.Events())
	if len(evs) != 1 || evs[0].Type != hal.Disconnect || evs[0].Cause != hal.CauseBusyTone {
		t.Fatalf("events %+v, want a busy-tone disconnect", evs)
	}
	must(t, co.PlayTone(0))
	co.DropBattery()
	clock.Advance(time.Second)
	evs = pending(port.Events())
	if got := types(evs); !reflect.DeepEqual(got, []hal.EventType{hal.BatteryLost, hal.Disconnect}) || evs[1].Cause != hal.CauseBattery {
		t.Errorf("events %+v", evs)
	}
	co.RestoreBattery()
	co.ReversePolarity()
	clock.Advance(time.Second)
	if got := types(pending(port.Events())); !reflect.DeepEqual(got, []hal.EventType{hal.BatteryRestored, hal.PolarityReversal}) {
		t.Errorf("events %v", got)
	}
}

func TestCOHearsDialling(t *testing.T) {
	b, clock := newTestBoard(t, "hu")
	co, _ := b.CO("fxo0")
	port := co.Port()
	must(t, port.Seize())
	clock.Advance(500 * ms)
	must(t, port.DialPulse("42"))
	clock.Advance(3 * time.Second)
	if got := co.Digits(); got != "42" {
		t.Errorf("CO heard pulses %q, want 42", got)
	}
	g, err := dtmf.NewGenerator(dtmf.DefaultGeneratorConfig())
	must(t, err)
	must(t, g.Play("701"))
	for range 60 {
		var f hal.Frame
		g.Fill(f[:])
		must(t, port.Audio().WriteFrame(&f))
		clock.Advance(hal.FrameDuration)
	}
	if got := co.Digits(); got != "701" {
		t.Errorf("CO heard DTMF %q, want 701", got)
	}
	must(t, port.Release())
	clock.Advance(time.Second)
	if co.Seized() {
		t.Error("still seized after Release")
	}
}

func TestAudioBothWays(t *testing.T) {
	b, clock := newTestBoard(t, "us")
	phone, _ := b.Phone("fxs0")
	co, _ := b.CO("fxo0")
	fxs, fxo := phone.Port(), co.Port()
	co.SetDialTone(false) // the CO says what it is told, from the start
	must(t, phone.OffHook())
	must(t, fxo.Seize())
	clock.Advance(100 * ms)
	if l := phone.Level(); l != silenceDBm0 {
		t.Errorf("phone hears %.1f dBm0 before any audio", l)
	}
	tn, _ := tone.Parse("1000", -10)
	g, _ := tone.NewGenerator(tn)
	say := make([]int16, 8000)
	g.Fill(say)
	phone.Say(say)
	co.Say(say)
	// Bridge the two ports the way a call would: each reads one side and
	// writes the other, frame by frame.
	ctx := context.Background()
	for range 50 {
		clock.Advance(hal.FrameDuration)
		var f hal.Frame
		for len(fxs.Events()) > 0 {
			<-fxs.Events()
		}
		if err := fxs.Audio().ReadFrame(ctx, &f); err == nil {
			must(t, fxo.Audio().WriteFrame(&f))
		}
		if err := fxo.Audio().ReadFrame(ctx, &f); err == nil {
			must(t, fxs.Audio().WriteFrame(&f))
		}
	}
	for name, l := range map[string]float64{"phone": phone.Level(), "CO": co.Level()} {
		if l < -12 || l > -8 {
			t.Errorf("%s hears %.1f dBm0, want about -10", name, l)
		}
	}
}
