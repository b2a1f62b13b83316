package pcm

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/chip"
)

func sine(freq, amp float64) hal.Frame {
	var f hal.Frame
	for i := range f {
		f[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/hal.SampleRate))
	}
	return f
}

func maxDiff(a, b *hal.Frame) int {
	worst := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		worst = max(worst, d)
	}
	return worst
}

func TestLayoutRoundTrip(t *testing.T) {
	tests := []struct {
		format  chip.Format
		slots   int
		idle    byte
		maxErr  int
		bytesPS int
	}{
		{chip.ULaw, 4, 0xff, 1100, 1},
		{chip.ALaw, 3, 0xd5, 1100, 1},
		{chip.Linear, 2, 0x00, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.format.String(), func(t *testing.T) {
			l := Layout{Slots: tt.slots, Format: tt.format}
			if got, want := l.BlockBytes(), 160*tt.slots*tt.bytesPS; got != want {
				t.Fatalf("BlockBytes %d, want %d", got, want)
			}
			block := make([]byte, l.BlockBytes())
			l.Idle(block)
			for _, b := range block {
				if b != tt.idle {
					t.Fatalf("idle byte 0x%02x, want 0x%02x", b, tt.idle)
				}
			}
			var silent hal.Frame
			l.Extract(block, 0, &silent)
			if silent != (hal.Frame{}) && maxDiff(&silent, &hal.Frame{}) > 8 {
				t.Errorf("idle code decodes to %v", silent[:4])
			}
			in := sine(1000, 12000)
			l.Insert(block, 1, &in)
			var out hal.Frame
			l.Extract(block, 1, &out)
			if d := maxDiff(&in, &out); d > tt.maxErr {
				t.Errorf("slot 1 round trip error %d > %d", d, tt.maxErr)
			}
			// Other slots are untouched.
			var other hal.Frame
			l.Extract(block, 0, &other)
			if other != silent {
				t.Error("Insert into slot 1 changed slot 0")
			}
		})
	}
	if (Layout{Slots: 0, Format: chip.ULaw}).Validate() == nil || (Layout{Slots: 2}).Validate() == nil {
		t.Error("invalid layouts validated")
	}
}

func TestLinearIsLittleEndianInterleaved(t *testing.T) {
	l := Layout{Slots: 2, Format: chip.Linear}
	block := make([]byte, l.BlockBytes())
	var f hal.Frame
	f[0], f[1] = 0x1234, -2
	l.Insert(block, 1, &f)
	if got := block[:8]; !reflect.DeepEqual(got, []byte{0, 0, 0x34, 0x12, 0, 0, 0xfe, 0xff}) {
		t.Errorf("block starts % x", got)
	}
}

// loopPort echoes what it receives, one frame later, and counts calls.
type loopPort struct {
	last       hal.Frame
	rx, tx     int
	constValue int16
}

func (p *loopPort) RxFrame(f *hal.Frame) { p.last = *f; p.rx++ }
func (p *loopPort) TxFrame(f *hal.Frame) {
	p.tx++
	if p.constValue != 0 {
		for i := range f {
			f[i] = p.constValue
		}
		return
	}
	*f = p.last
}

// fakeDevice supplies captured blocks and records played ones.
type fakeDevice struct {
	layout  Layout
	capture []hal.Frame // per block, put in slot 0
	written [][]byte
	xrunAt  map[int]error // block index -> read error
	failAt  int
	reads   int
}

func (d *fakeDevice) ReadBlock(buf []byte) error {
	i := d.reads
	d.reads++
	if d.failAt > 0 && i == d.failAt {
		return errors.New("device gone")
	}
	if err := d.xrunAt[i]; err != nil {
		return err
	}
	d.layout.Idle(buf)
	if i < len(d.capture) {
		d.layout.Insert(buf, 0, &d.capture[i])
	}
	return nil
}

func (d *fakeDevice) WriteBlock(buf []byte) error {
	d.written = append(d.written, append([]byte(nil), buf...))
	return nil
}

func (d *fakeDevice) Close() error { return nil }

func TestPumpSlotMappingAndXruns(t *testing.T) {
	l := Layout{Slots: 4, Format: chip.ULaw}
	tone := sine(440, 8000)
	dev := &fakeDevice{layout: l, capture: []hal.Frame{tone, tone, tone}, xrunAt: map[int]error{1: ErrXrun}}
	echo := &loopPort{}
	fixed := &loopPort{constValue: 1000}
	p, err := NewPump(dev, l, []Channel{{Slot: 0, Port: echo}, {Slot: 2, Port: fixed}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := p.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s != (Stats{Blocks: 3, ReadXruns: 1}) {
		t.Errorf("stats %+v", s)
	}
	if echo.rx != 3 || echo.tx != 3 {
		t.Errorf("port called rx %d tx %d times", echo.rx, echo.tx)
	}
	var got hal.Frame
	l.Extract(dev.written[0], 0, &got)
	if maxDiff(&got, &tone) > 600 {
		t.Error("slot 0 did not carry the echoed tone")
	}
	l.Extract(dev.written[1], 0, &got)
	if got != (hal.Frame{}) && maxDiff(&got, &hal.Frame{}) > 8 {
		t.Error("an xrun block did not give the port silence")
	}
	l.Extract(dev.written[2], 2, &got)
	if got[0] < 950 || got[0] > 1050 {
		t.Errorf("slot 2 carries %d, want about 1000", got[0])
	}
	if dev.written[2][1] != idleULaw || dev.written[2][3] != idleULaw {
		t.Error("unused slots are not idle")
	}

	dev.failAt = 4
	dev.reads = 4
	if err := p.Run(context.Background()); err == nil {
		t.Error("Run did not return the device error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx); err != nil {
		t.Errorf("Run on a cancelled context = %v", err)
	}
}

func TestNewPumpRejectsBadMaps(t *testing.T) {
	l := Layout{Slots: 2, Format: chip.ALaw}
	for _, chans := range [][]Channel{
		{{Slot: 2, Port: &loopPort{}}},
		{{Slot: 0, Port: &loopPort{}}, {Slot: 0, Port: &loopPort{}}},
	} {
		if _, err := NewPump(&fakeDevice{}, l, chans); err == nil {
			t.Errorf("NewPump accepted %+v", chans)
		}
	}
}

func BenchmarkPumpStep(b *testing.B) {
	l := Layout{Slots: 4, Format: chip.ULaw}
	dev := &nullDevice{}
	chans := []Channel{{0, &loopPort{}}, {1, &loopPort{}}, {2, &loopPort{}}}
	p, err := NewPump(dev, l, chans)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Step()
	}
}

type nullDevice struct{}

func (nullDevice) ReadBlock([]byte) error  { return nil }
func (nullDevice) WriteBlock([]byte) error { return nil }
func (nullDevice) Close() error            { return nil }
