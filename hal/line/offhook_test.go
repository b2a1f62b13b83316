package line

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
	"github.com/gatepbx/gatepbx/media/dtmf"
)

// type2Phone is an off-hook phone on the port's PCM side: it hears the
// port's frames and, when ack is set, answers a CAS with DTMF D, as a
// call-waiting caller-ID phone does.
type type2Phone struct {
	ack   bool
	cas   *cid.AlertDetector
	mouth *dtmf.Generator
	acked bool
	heard []int16
}

func newType2Phone(t *testing.T, ack bool) *type2Phone {
	g, err := dtmf.NewGenerator(dtmf.DefaultGeneratorConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &type2Phone{ack: ack, cas: cid.NewAlertDetector(), mouth: g}
}

// run exchanges frames with p for d of virtual time; voice is what the
// far party sends meanwhile (a constant level, to see muting).
func (ph *type2Phone) run(p *FXS, clock interface{ Advance(time.Duration) }, d time.Duration, voice int16) {
	far := p.Audio()
	for elapsed := time.Duration(0); elapsed < d; elapsed += hal.FrameDuration {
		var in, tx, v hal.Frame
		ph.mouth.Fill(in[:])
		for i := range v {
			v[i] = voice
		}
		far.WriteFrame(&v)
		p.RxFrame(&in)
		p.TxFrame(&tx)
		ph.heard = append(ph.heard, tx[:]...)
		if ph.cas.Frame(&tx) && ph.ack {
			ph.acked = true
			ph.mouth.Play("D")
		}
		clock.Advance(hal.FrameDuration)
	}
}

// TestFXSOffHookCallerID: call-waiting (type 2) caller ID in virtual time,
// Bell 202 (US) and V.23 (UK, DE): CAS, the phone's D acknowledgement
// (not reported as a digit), then the data, decoded by the phone; the far
// party is muted during the exchange and comes back after it.
func TestFXSOffHookCallerID(t *testing.T) {
	for _, tc := range []struct {
		region string
		modem  cid.Modem
	}{{"us", cid.Bell202}, {"uk", cid.V23}, {"de", cid.V23}, {"hu", cid.V23}} {
		t.Run(tc.region, func(t *testing.T) {
			_, cfg := regionConfig(t, tc.region)
			p, _, clock := newTestFXS(t, cfg)
			p.RawHook(true)
			clock.Advance(time.Second)
			drain(p.Events())
			caller := hal.CallerID{Number: "3612345678", Name: "WAITING CALLER", Time: epoch}
			if err := p.SendOffHookCallerID(caller); err != nil {
				t.Fatal(err)
			}
			if err := p.SendOffHookCallerID(caller); !errors.Is(err, hal.ErrBusy) {
				t.Errorf("second exchange = %v, want ErrBusy", err)
			}
			ph := newType2Phone(t, true)
			ph.run(p, clock, 2*time.Second, 1000)
			if !ph.acked {
				t.Fatal("the phone never heard the CAS")
			}
			if share := tonesShare(ph.heard[:80*8], 2130, 2750); share < 0.8 {
				t.Errorf("first 80 ms hold %.2f of their energy at 2130+2750 Hz", share)
			}
			if got := decodeFSK(t, tc.modem, ph.heard); got != caller {
				t.Errorf("phone decoded %+v, want %+v", got, caller)
			}
			for _, ev := range drain(p.Events()) {
				if ev.Type == hal.Digit {
					t.Errorf("the acknowledgement was reported as digit %c", ev.Digit)
				}
			}
			// After the exchange the far party is heard again.
			ph.heard = ph.heard[:0]
			ph.run(p, clock, 200*time.Millisecond, 1000)
			if last := ph.heard[len(ph.heard)-1]; last != 1000 {
				t.Errorf("far party not back after the exchange: sample %d", last)
			}
		})
	}
}

func TestFXSOffHookCallerIDRefusals(t *testing.T) {
	_, cfg := regionConfig(t, "us")
	p, _, clock := newTestFXS(t, cfg)
	caller := hal.CallerID{Number: "2125551234", Time: epoch}
	if err := p.SendOffHookCallerID(caller); !errors.Is(err, hal.ErrOnHook) {
		t.Errorf("on hook: %v, want ErrOnHook", err)
	}
	p.RawHook(true)
	clock.Advance(time.Second)

	// A phone without type 2 does not acknowledge: no data, the far party
	// comes back after the wait, and a later exchange may start.
	if err := p.SendOffHookCallerID(caller); err != nil {
		t.Fatal(err)
	}
	ph := newType2Phone(t, false)
	ph.run(p, clock, time.Second, 1000)
	if d := cid.NewDemodulator(cid.Bell202, -40); func() bool { _, ok := d.Feed(ph.heard); return ok }() {
		t.Error("data sent without an acknowledgement")
	}
	if last := ph.heard[len(ph.heard)-1]; last != 1000 {
		t.Errorf("far party not back after an unanswered CAS: sample %d", last)
	}
	if err := p.SendOffHookCallerID(caller); err != nil {
		t.Errorf("exchange after an unanswered one: %v", err)
	}
	// Hanging up ends an exchange.
	p.RawHook(false)
	clock.Advance(time.Second)
	if err := p.Ring(context.Background(), hal.Cadence{On: []time.Duration{time.Second}, Off: []time.Duration{time.Second}}, nil); err != nil {
		t.Errorf("ring after hanging up during an exchange: %v", err)
	}

	// DTMF caller-ID regions have no type 2.
	_, nl := regionConfig(t, "nl")
	q, _, qclock := newTestFXS(t, nl)
	q.RawHook(true)
	qclock.Advance(time.Second)
	if err := q.SendOffHookCallerID(caller); !errors.Is(err, cid.ErrNoOffHook) {
		t.Errorf("DTMF region: %v, want cid.ErrNoOffHook", err)
	}
}
