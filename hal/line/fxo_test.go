package line

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/media/tone"
)

// ringBurst chatters the ring-detect bit at 20 Hz for d.
func ringBurst(p *FXO, clock interface{ Advance(time.Duration) }, d time.Duration) {
	for t := time.Duration(0); t < d; t += 25 * ms {
		p.RawRing(t%(50*ms) == 0)
		clock.Advance(25 * ms)
	}
	p.RawRing(false)
}

func TestFXORingDetectAndCallerID(t *testing.T) {
	_, cfg := regionConfig(t, "us")
	p, _, clock := newTestFXO(t, cfg)
	caller := hal.CallerID{Number: "3612345678", Name: "CO LINE", Time: epoch}
	burst := cid.PlanBell202.Burst.Render(cid.Encode(caller, cid.MDMF))

	ringBurst(p, clock, 2*time.Second)
	runFrames(clock, p, 500*ms, nil)
	runFrames(clock, p, 3500*ms, fromSamples(burst)) // caller ID in the pause
	ringBurst(p, clock, 2*time.Second)
	clock.Advance(time.Minute)

	evs := drain(p.Events())
	if got, want := types(evs), []hal.EventType{hal.RingStart, hal.CallerIDReceived, hal.RingStop}; !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if got := *evs[1].CallerID; got != caller {
		t.Errorf("caller ID %+v, want %+v", got, caller)
	}
	if at := evs[2].At.Sub(epoch); at != 7975*ms+cfg.RingOffDebounce+cfg.RingStopTimeout {
		t.Errorf("ring stop at %v", at)
	}
	if n := p.RingCount(); n != 2 {
		t.Errorf("RingCount %d, want 2", n)
	}
}

func TestFXODTMFCallerID(t *testing.T) {
	_, cfg := regionConfig(t, "nl")
	p, _, clock := newTestFXO(t, cfg)
	audio, err := cid.RenderDTMF(cid.DTMFAC, hal.CallerID{Number: "0201234567"})
	if err != nil {
		t.Fatal(err)
	}
	runFrames(clock, p, 3*time.Second, fromSamples(audio))
	evs := drain(p.Events())
	if len(evs) != 1 || evs[0].Type != hal.CallerIDReceived || evs[0].CallerID.Number != "0201234567" {
		t.Errorf("events %+v", evs)
	}
}

func TestFXOAnswerEndsRinging(t *testing.T) {
	p, drv, clock := newTestFXO(t, DefaultConfig())
	ringBurst(p, clock, time.Second)
	if err := p.Seize(); err != nil {
		t.Fatal(err)
	}
	ringBurst(p, clock, time.Second) // the CO stops ringing a little late
	clock.Advance(time.Minute)
	if got, want := types(drain(p.Events())), []hal.EventType{hal.RingStart, hal.RingStop}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if got := drv.changes(); len(got) != 2 || !got[1].on {
		t.Errorf("hook changes %+v, want on hook then off hook", got)
	}
}

func TestFXOLineSupervision(t *testing.T) {
	tests := []struct {
		name      string
		polarity  bool // DisconnectOnPolarity
		seize     bool
		volts     []int // one reading per 100 ms
		want      []hal.EventType
		wantCause []hal.DisconnectCause
	}{
		{"idle battery glitch", false, false, []int{48, 1, 48, 48}, nil, nil},
		{"idle battery lost and back", false, false, []int{48, 0, 0, 0, 48, 48},
			[]hal.EventType{hal.BatteryLost, hal.BatteryRestored}, nil},
		{"seized battery drop", false, true, []int{8, 8, 0, 0, 0},
			[]hal.EventType{hal.BatteryLost, hal.Disconnect}, []hal.DisconnectCause{hal.CauseBattery}},
		{"reversal answer", false, true, []int{8, -8, -8, -8},
			[]hal.EventType{hal.PolarityReversal}, nil},
		{"reversal disconnect", true, true, []int{8, -8, -8, -8},
			[]hal.EventType{hal.PolarityReversal, hal.Disconnect}, []hal.DisconnectCause{hal.CausePolarity}},
		{"reversal on hook", true, false, []int{-48, 48, 48},
			[]hal.EventType{hal.PolarityReversal}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.DisconnectOnPolarity = tt.polarity
			p, _, clock := newTestFXO(t, cfg)
			if tt.seize {
				if err := p.Seize(); err != nil {
					t.Fatal(err)
				}
			}
			for _, v := range tt.volts {
				p.RawLine(v)
				clock.Advance(50 * ms) // glitches shorter than the 64 ms debounce
				if v == 1 {
					p.RawLine(48)
				}
				clock.Advance(50 * ms)
			}
			evs := drain(p.Events())
			if got := types(evs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events %v, want %v", got, tt.want)
			}
			var causes []hal.DisconnectCause
			for _, ev := range evs {
				if ev.Type == hal.Disconnect {
					causes = append(causes, ev.Cause)
				}
			}
			if !reflect.DeepEqual(causes, tt.wantCause) {
				t.Errorf("causes %v, want %v", causes, tt.wantCause)
			}
		})
	}
}

func toneAudio(t *testing.T, region string, kind tone.Kind, d time.Duration) []int16 {
	t.Helper()
	tn, err := tone.Lookup(region, kind)
	if err != nil {
		t.Fatal(err)
	}
	g, err := tone.NewGenerator(tn)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, int(d/time.Millisecond)*8)
	g.Fill(out)
	return out
}

func TestFXOBusyToneDisconnect(t *testing.T) {
	tests := []struct {
		region string
		kind   tone.Kind
		want   bool
	}{
		{"us", tone.Busy, true},
		{"us", tone.Congestion, true},
		{"hu", tone.Busy, true},
		{"de", tone.Busy, true},
		{"uk", tone.Busy, true},
		{"uk", tone.Congestion, true},
		{"us", tone.Dial, false},
		{"us", tone.Ringback, false},
		{"hu", tone.Ringback, false},
		{"de", tone.Dial, false},
	}
	for _, tt := range tests {
		t.Run(tt.region+"-"+tt.kind.String(), func(t *testing.T) {
			t.Parallel()
			r, _ := region.Lookup(tt.region)
			cfg, err := RegionConfig(r)
			if err != nil {
				t.Fatal(err)
			}
			p, _, clock := newTestFXO(t, cfg)
			if err := p.Seize(); err != nil {
				t.Fatal(err)
			}
			audio := append(make([]int16, 1234), toneAudio(t, tt.region, tt.kind, 10*time.Second)...)
			runFrames(clock, p, 10*time.Second, fromSamples(audio))
			var got []hal.Event
			for _, ev := range drain(p.Events()) {
				if ev.Type == hal.Disconnect {
					got = append(got, ev)
				}
			}
			if tt.want != (len(got) == 1) || len(got) > 1 {
				t.Fatalf("disconnects %+v, want one: %v", got, tt.want)
			}
			if tt.want && (got[0].Cause != hal.CauseBusyTone || got[0].At.Sub(epoch) > 6*time.Second) {
				t.Errorf("disconnect %+v: want busy tone within 6 s", got[0])
			}
		})
	}
}

func TestFXOFlashAndPulseDialling(t *testing.T) {
	p, drv, clock := newTestFXO(t, DefaultConfig())
	if err := p.Flash(500 * ms); !errors.Is(err, hal.ErrOnHook) {
		t.Errorf("Flash on hook = %v", err)
	}
	if err := p.Seize(); err != nil {
		t.Fatal(err)
	}
	if err := p.Flash(600 * ms); err != nil {
		t.Fatal(err)
	}
	if err := p.DialPulse("1"); !errors.Is(err, hal.ErrBusy) {
		t.Errorf("DialPulse during flash = %v", err)
	}
	clock.Advance(time.Second)
	if err := p.DialPulse("20"); err != nil {
		t.Fatal(err)
	}
	if err := p.DialPulse("1a"); err == nil {
		t.Error("DialPulse(1a) accepted")
	}
	clock.Advance(5 * time.Second)
	got := drv.changes()
	// on hook (construction), seize, flash break and make.
	want := []change{{at: 0, on: false}, {at: 0, on: true}, {at: 0, on: false}, {at: 600 * ms, on: true}}
	if !reflect.DeepEqual(got[:4], want) {
		t.Errorf("flash changes %+v, want %+v", got[:4], want)
	}
	breaks := 0
	for _, c := range got[4:] {
		if !c.on {
			breaks++
		}
	}
	if breaks != 12 {
		t.Errorf("%d pulse breaks for \"20\", want 12", breaks)
	}
	// Second digit starts after the inter-digit pause.
	second := got[4+4] // 2 breaks and makes of the first digit
	if want := time.Second + 2*100*ms - 40*ms + 700*ms; second.at != want || second.on {
		t.Errorf("second digit starts %+v, want a break at %v", second, want)
	}
	if err := p.Release(); err != nil {
		t.Fatal(err)
	}
	if p.Seized() {
		t.Error("seized after Release")
	}
}

func TestFXOAudioOnlyWhileSeized(t *testing.T) {
	p, _, _ := newTestFXO(t, DefaultConfig())
	var f hal.Frame
	f[0] = 7
	p.Audio().WriteFrame(&f)
	var out hal.Frame
	p.TxFrame(&out)
	if out != (hal.Frame{}) {
		t.Error("audio sent on hook")
	}
	p.Seize()
	p.Audio().WriteFrame(&f)
	p.TxFrame(&out)
	if out[0] != 7 {
		t.Error("audio not sent while seized")
	}
	p.Close()
	if err := p.Seize(); !errors.Is(err, hal.ErrClosed) {
		t.Errorf("Seize after Close = %v", err)
	}
}
