package analog_test

import (
	"context"
	"log/slog"
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/analog"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/pbx"
	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/hal/sim"
	"github.com/gatepbx/gatepbx/hal/vclock"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// The adapter is tested on the simulated board in virtual time, through
// the real call core and real relay endpoints: analog phone to analog
// phone, and PSTN (virtual CO) to analog phone. SIP phones are the
// end-to-end tests' job (firmware/app).

// pbxClock runs the core's timers on the board's virtual clock.
type pbxClock struct{ c *vclock.Manual }

func (p pbxClock) Now() time.Time { return p.c.Now() }
func (p pbxClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	p.c.AfterFunc(d, func() { ch <- p.c.Now() })
	return ch
}

// originator adapts the adapter to the core, as firmware/app does.
type originator struct{ a *analog.Adapter }

func (o originator) Originate(ctx context.Context, number string, from ua.Party, formats []sdp.Format) (pbx.CalleeLeg, error) {
	return o.a.Originate(ctx, number, from, formats)
}

type rig struct {
	t      *testing.T
	clock  *vclock.Manual
	board  *sim.Board
	core   *pbx.Core
	pool   *relay.PortPool
	ad     *analog.Adapter
	region region.Region
}

var exts = []config.Extension{
	{Number: "201", Kind: config.KindAnalog, DisplayName: "Desk", Port: "fxs0"},
	{Number: "202", Kind: config.KindAnalog, DisplayName: "Lab", Port: "fxs1"},
	{Number: "203", Kind: config.KindAnalog, DisplayName: "Store", Port: "fxs2"},
	{Number: "900", Kind: config.KindAnalog, Port: "fxo0"},
}

func newRig(t *testing.T, ringTimeout time.Duration) *rig { return newRegionRig(t, ringTimeout, "us") }

// newRegionRig is a board of the region with fxs0, fxs1, fxs2, fxo0 and
// fxo1 (a pulse-dialling line); tweaks change the adapter's options.
func newRegionRig(t *testing.T, ringTimeout time.Duration, code string, tweaks ...func(*analog.Options)) *rig {
	t.Helper()
	clock := vclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	reg, err := region.Lookup(code)
	if err != nil {
		t.Fatal(err)
	}
	board, err := sim.New("test", []sim.PortSpec{{Name: "fxs0", Kind: hal.KindFXS}, {Name: "fxs1", Kind: hal.KindFXS}, {Name: "fxs2", Kind: hal.KindFXS}, {Name: "fxo0", Kind: hal.KindFXO},
		{Name: "fxo1", Kind: hal.KindFXO, PulseDial: true}}, clock, reg)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 44000, Max: 44998})
	if err != nil {
		t.Fatal(err)
	}
	core := pbx.New(pbx.Options{Clock: pbxClock{clock}, Directory: pbx.NewDirectory(exts), RingTimeout: ringTimeout, Logger: testLogger(t)})
	o := analog.Options{
		Board: board, Ports: pool, Region: reg, Clock: clock,
		Extensions: func() []config.Extension { return exts },
		Incoming:   func(l *analog.Leg) { core.Incoming(l) },
		Operator:   func(string) string { return "201" },
		PulseDial:  board.PulseDial,
		Logger:     testLogger(t),
	}
	for _, tweak := range tweaks {
		tweak(&o)
	}
	ad, err := analog.New(o)
	if err != nil {
		t.Fatal(err)
	}
	core.SetKindOriginator(config.KindAnalog, originator{ad})
	ctx, cancel := context.WithCancel(context.Background())
	ad.Start(ctx)
	r := &rig{t: t, clock: clock, board: board, core: core, pool: pool, ad: ad, region: reg}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		if err := core.Shutdown(sctx); err != nil {
			t.Error(err)
		}
		cancel()
		board.Close()
		ad.Wait()
		if n := pool.InUse(); n != 0 {
			t.Errorf("%d RTP endpoints left allocated", n)
		}
	})
	return r
}

// until advances virtual time a frame at a time, letting the real
// goroutines (events, audio pumps, relay) run between frames, until cond
// holds.
func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	for i := 0; i < 6000; i++ {
		if cond() {
			return
		}
		r.clock.Advance(hal.FrameDuration)
		time.Sleep(200 * time.Microsecond)
	}
	r.t.Fatalf("never happened: %s", what)
}

func (r *rig) phone(name string) *sim.Phone {
	p, ok := r.board.Phone(name)
	if !ok {
		r.t.Fatalf("no phone %s", name)
	}
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sine is 2 s of a 1 kHz tone at about -10 dBm0.
func sine() []int16 {
	s := make([]int16, 2*hal.SampleRate)
	for i := range s {
		s[i] = int16(7000 * math.Sin(2*math.Pi*1000*float64(i)/hal.SampleRate))
	}
	return s
}

// hears reports whether p hears audio louder than -30 dBm0.
func hears(level func() float64) func() bool {
	return func() bool { return level() > -30 }
}

func heard(p *sim.Phone, k tone.Kind) func() bool { return func() bool { return p.Heard() == k } }

func TestAnalogCallsAnalog(t *testing.T) {
	for _, tc := range []struct {
		name string
		dial func(p *sim.Phone) error
	}{
		{"dtmf with hash", func(p *sim.Phone) error { return p.DialDTMF("202#") }},
		{"dtmf inter-digit timeout", func(p *sim.Phone) error { return p.DialDTMF("202") }},
		{"pulse", func(p *sim.Phone) error { return p.DialPulse("202") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, time.Minute)
			a, b := r.phone("fxs0"), r.phone("fxs1")
			must(t, a.OffHook())
			r.until("dial tone", heard(a, tone.Dial))
			must(t, tc.dial(a))
			r.until("fxs1 rings", func() bool { return b.RingCount() > 0 })
			r.until("caller ID 201 on fxs1", func() bool { c := b.LastCallerID(); return c != nil && c.Number == "201" })
			if c := b.LastCallerID(); c.Name != "Desk" {
				t.Errorf("caller name %q, want Desk", c.Name)
			}
			r.until("ringback", heard(a, tone.Ringback))
			must(t, b.OffHook())
			r.until("fxs1 answered", func() bool { c := r.core.Calls(); return len(c) == 1 && c[0].State == pbx.StateInCall })
			a.Say(sine())
			r.until("fxs1 hears fxs0", hears(b.Level))
			r.until("ringback gone from fxs0", func() bool { return a.Level() < -60 })
			b.Say(sine())
			r.until("fxs0 hears fxs1", hears(a.Level))
			must(t, a.OnHook())
			r.until("busy tone after the far hang-up", heard(b, tone.Busy))
			must(t, b.OnHook())
			r.until("call over", func() bool { return r.core.ActiveCalls() == 0 })
		})
	}
}

func TestAnalogCallFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(r *rig)
		dial   string
		expect tone.Kind
	}{
		{"busy port", func(r *rig) { must(r.t, r.phone("fxs1").OffHook()) }, "202#", tone.Busy},
		{"unknown number", func(*rig) {}, "999#", tone.Congestion},
		{"fxo extension", func(*rig) {}, "900#", tone.Congestion},
		{"nothing dialled", func(*rig) {}, "", tone.Congestion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, time.Minute)
			tc.setup(r)
			a := r.phone("fxs0")
			must(t, a.OffHook())
			r.until("dial tone", heard(a, tone.Dial))
			if tc.dial != "" {
				must(t, a.DialDTMF(tc.dial))
			}
			r.until(tc.expect.String()+" tone", heard(a, tc.expect))
			must(t, a.OnHook())
			r.until("call over", func() bool { return r.core.ActiveCalls() == 0 })
		})
	}
}

func TestAnalogNoAnswer(t *testing.T) {
	t.Parallel()
	r := newRig(t, 20*time.Second)
	a, b := r.phone("fxs0"), r.phone("fxs1")
	must(t, a.OffHook())
	r.until("dial tone", heard(a, tone.Dial))
	must(t, a.DialDTMF("202#"))
	r.until("fxs1 rings", func() bool { return b.RingCount() > 0 })
	r.until("congestion after the ring timeout", heard(a, tone.Congestion))
	if ringing, _ := b.Port().Ringing(); ringing {
		t.Error("fxs1 still rings after the ring timeout")
	}
	n := b.RingCount()
	for range 400 { // 8 s: no more ring bursts
		r.clock.Advance(hal.FrameDuration)
	}
	if b.RingCount() != n {
		t.Errorf("fxs1 rang %d more times after the timeout", b.RingCount()-n)
	}
	must(t, a.OnHook())
	r.until("call over", func() bool { return r.core.ActiveCalls() == 0 })
}

// A PSTN call rings the operator (201 on fxs0) with the caller ID the line
// brought: after the first ring (US Bell 202, German ETSI) or before it
// (UK, behind the DT-AS alert).
func TestPSTNCallsOperator(t *testing.T) {
	for _, code := range []string{"us", "de", "uk"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			r := newRegionRig(t, time.Minute, code)
			co, ok := r.board.CO("fxo0")
			if !ok {
				t.Fatal("no CO on fxo0")
			}
			a := r.phone("fxs0")
			must(t, co.Ring(r.region.Ring, &hal.CallerID{Number: "3612345678", Name: "PSTN Caller", Time: r.clock.Now()}))
			r.until("operator rings", func() bool { return a.RingCount() > 0 })
			r.until("caller ID on the operator's phone", func() bool {
				c := a.LastCallerID()
				return c != nil && c.Number == "3612345678"
			})
			if calls := r.core.Calls(); len(calls) != 1 || calls[0].Caller != "3612345678" || calls[0].Callee != "201" {
				t.Fatalf("calls %+v, want one from 3612345678 to 201", calls)
			}
			must(t, a.OffHook())
			r.until("line seized", co.Seized)
			co.Say(sine())
			r.until("phone hears the PSTN", hears(a.Level))
			a.Say(sine())
			r.until("PSTN hears the phone", hears(co.Level))
			must(t, co.PlayTone(tone.Busy)) // the PSTN caller hung up
			r.until("line released", func() bool { return !co.Seized() })
			r.until("busy tone", heard(a, tone.Busy))
			must(t, a.OnHook())
			r.until("call over", func() bool { return r.core.ActiveCalls() == 0 })
		})
	}
}

func TestPSTNGivesUp(t *testing.T) {
	t.Parallel()
	r := newRig(t, time.Minute)
	co, _ := r.board.CO("fxo0")
	a := r.phone("fxs0")
	must(t, co.Ring(r.region.Ring, nil))
	r.until("operator rings without caller ID", func() bool { return a.RingCount() > 0 })
	co.StopRing()
	r.until("call over", func() bool { return r.core.ActiveCalls() == 0 })
	r.until("operator stops ringing", func() bool { ringing, _ := a.Port().Ringing(); return !ringing })
}

// connected makes fxs0 (201) call fxs1 (202) and answer, and waits until
// the two hear each other.
func (r *rig) connected() (a, b *sim.Phone) {
	r.t.Helper()
	a, b = r.phone("fxs0"), r.phone("fxs1")
	must(r.t, a.OffHook())
	r.until("dial tone", heard(a, tone.Dial))
	must(r.t, a.DialDTMF("202#"))
	r.until("fxs1 rings", func() bool { return b.RingCount() > 0 })
	must(r.t, b.OffHook())
	r.until("answered", r.state(pbx.StateInCall))
	return a, b
}

// flash flashes p's hook and waits for the second dial tone.
func (r *rig) flash(p *sim.Phone) {
	r.t.Helper()
	p.ClearHeard()
	must(r.t, p.Flash(300*time.Millisecond))
	r.until("second dial tone", heard(p, tone.Dial))
}

// state reports whether the one call is in st.
func (r *rig) state(st pbx.State) func() bool {
	return func() bool { c := r.core.Calls(); return len(c) == 1 && c[0].State == st }
}

// talks waits until to hears what from says.
func (r *rig) talks(from, to *sim.Phone) {
	r.t.Helper()
	r.until("silence first", func() bool { return to.Level() < -60 })
	from.Say(sine())
	r.until("audio through", hears(to.Level))
}

// Hook flash in a call holds the far party and gives a second dial tone;
// flashing again (or dialling nothing) goes back to the call, dialling a
// number transfers the far party there (blind transfer by hanging up, as
// the core does it for a SIP REFER); a failed transfer comes back too.
func TestHookFlash(t *testing.T) {
	t.Run("flash and back", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		a, b := r.connected()
		r.flash(a)
		r.until("held", r.state(pbx.StateHold))
		must(t, a.Flash(300*time.Millisecond))
		r.until("back in the call", r.state(pbx.StateInCall))
		r.talks(a, b)
		r.talks(b, a)
	})
	t.Run("nothing dialled", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		a, b := r.connected()
		r.flash(a)
		r.until("held", r.state(pbx.StateHold))
		r.until("back in the call after the first-digit timeout", r.state(pbx.StateInCall))
		r.talks(b, a)
	})
	t.Run("transfer by hanging up while the target rings", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		a, b := r.connected()
		c := r.phone("fxs2")
		r.flash(a)
		must(t, a.DialDTMF("203#"))
		r.until("target rings", func() bool { return c.RingCount() > 0 })
		r.until("the transferor's caller ID on the target", func() bool { id := c.LastCallerID(); return id != nil && id.Number == "201" })
		r.until("ringback to the transferor", heard(a, tone.Ringback))
		must(t, a.OnHook())
		must(t, c.OffHook())
		r.joined(b, c)
		must(t, c.OnHook())
		r.until("busy tone", heard(b, tone.Busy))
		must(t, b.OnHook())
		r.until("call over", func() bool { return r.core.ActiveCalls() == 0 })
	})
	t.Run("transfer to an unknown number comes back", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, time.Minute)
		a, b := r.connected()
		r.flash(a)
		must(t, a.DialDTMF("999#"))
		r.until("back in the call", r.state(pbx.StateInCall))
		r.talks(a, b)
		r.talks(b, a)
	})
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// RFC 4733 keys the far end sends (here the core's SendDTMF) are played to
// the analog phone as tones.
func TestFarEndKeysPlayed(t *testing.T) {
	t.Parallel()
	r := newRig(t, time.Minute)
	_, b := r.connected()
	r.until("silence", func() bool { return b.Level() < -60 })
	id := r.core.Calls()[0].ID
	sent := make(chan error, 1)
	go func() { sent <- r.core.SendDTMF(context.Background(), id, "5", pbx.PartyCallee) }()
	r.until("fxs1 hears the key", hears(b.Level))
	r.until("sent", func() bool {
		select {
		case err := <-sent:
			must(t, err)
			return true
		default:
			return false
		}
	})
}
