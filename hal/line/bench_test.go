package line

import (
	"context"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/hal/vclock"
	"github.com/gatepbx/gatepbx/media/g711"
)

// BenchmarkFXSCallFrame is the CPU one analog port in a call costs per
// 20 ms frame: µ-law in from the highway, the line engine with DTMF
// detection, the reader's queue, the writer's queue, µ-law out.
func BenchmarkFXSCallFrame(b *testing.B) {
	clock := vclock.New(epoch)
	p, err := NewFXS("fxs0", &fakeFXS{clock: clock}, clock, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	p.RawHook(true)
	clock.Advance(time.Second)
	var wire [hal.FrameSamples]byte
	for i := range wire {
		wire[i] = g711.Linear2Ulaw(int16(3000 * (i%16 - 8)))
	}
	ctx := context.Background()
	a := p.Audio()
	var in, out, got hal.Frame
	b.ReportAllocs()
	for b.Loop() {
		g711.DecodeUlaw(in[:], wire[:])
		p.RxFrame(&in)
		a.ReadFrame(ctx, &got)
		a.WriteFrame(&got)
		p.TxFrame(&out)
		g711.EncodeUlaw(wire[:], out[:])
	}
}

// BenchmarkFXORxFrameOnHook is an idle FXO line listening for caller ID.
func BenchmarkFXORxFrameOnHook(b *testing.B) {
	clock := vclock.New(epoch)
	p, err := NewFXO("fxo0", &fakeFXO{clock: clock}, clock, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var f hal.Frame
	for i := range f {
		f[i] = int16(1000 * (i%10 - 5))
	}
	b.ReportAllocs()
	for b.Loop() {
		p.RxFrame(&f)
	}
}

// BenchmarkRingCycleWithCallerID runs a full US ring cycle (2 s on, 4 s
// off) with Bell 202 caller ID in virtual time, with the phone's
// demodulator listening: the wall time per cycle is what the brief asks to
// be milliseconds.
func BenchmarkRingCycleWithCallerID(b *testing.B) {
	r, _ := region.Lookup("us")
	cfg, err := RegionConfig(r)
	if err != nil {
		b.Fatal(err)
	}
	caller := hal.CallerID{Number: "2125551234", Name: "DOE JOHN", Time: epoch}
	for b.Loop() {
		clock := vclock.New(epoch)
		p, err := NewFXS("fxs0", &fakeFXS{clock: clock}, clock, cfg)
		if err != nil {
			b.Fatal(err)
		}
		d := cid.NewDemodulator(cid.Bell202, -40)
		p.Ring(context.Background(), r.Ring, &caller)
		var tx hal.Frame
		found := false
		for range 300 { // 6 s
			p.TxFrame(&tx)
			if _, ok := d.Feed(tx[:]); ok {
				found = true
			}
			clock.Advance(hal.FrameDuration)
		}
		if !found {
			b.Fatal("no caller ID")
		}
		p.Close()
	}
}
