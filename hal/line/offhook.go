package line

import (
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/cid"
)

// Timings of the off-hook (type 2) caller-ID exchange (GR-30, EN 300
// 659-2): the phone must acknowledge within 160 ms of the end of the CAS
// (ackWait allows for detection on 20 ms frames); the data starts 50-500
// ms after the acknowledgement (ackToData after its start, past a 100 ms
// key); the line stays muted for dataTail after the data.
const (
	ackWait   = 400 * time.Millisecond
	ackToData = 150 * time.Millisecond
	dataTail  = 40 * time.Millisecond
	casLevel  = -20 // dBm0 per component
)

// offHook is one off-hook caller-ID exchange in progress; while it lasts
// the far party is muted both ways.
type offHook struct {
	data  []int16
	acked bool
	timer hal.Timer
}

// SendOffHookCallerID sends caller ID to the phone in a call (call-waiting
// caller ID): CAS, the phone's DTMF D (or A) acknowledgement, then the
// data in the port's caller-ID modem. A phone that does not acknowledge
// gets nothing more. It returns once the CAS has started; hal.ErrOnHook
// when the phone is on hook, hal.ErrBusy while another exchange runs, and
// an error wrapping cid.ErrNoOffHook for a DTMF caller-ID plan.
func (p *FXS) SendOffHookCallerID(c hal.CallerID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkOpenLocked("off-hook caller ID"); err != nil {
		return err
	}
	switch {
	case p.hook == hookOn:
		return fmt.Errorf("line: off-hook caller ID on %s: %w", p.name, hal.ErrOnHook)
	case p.offHook != nil:
		return fmt.Errorf("line: off-hook caller ID on %s: %w", p.name, hal.ErrBusy)
	}
	data, err := p.cfg.CallerID.RenderOffHook(c)
	if err != nil {
		return fmt.Errorf("line: off-hook caller ID on %s: %w", p.name, err)
	}
	alert, err := cid.RenderCAS(casLevel)
	if err != nil {
		return fmt.Errorf("line: off-hook caller ID on %s: %w", p.name, err)
	}
	o := &offHook{data: data}
	p.offHook, p.txAudio = o, alert
	o.timer = p.clock.AfterFunc(samplesDuration(len(alert))+ackWait, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.offHook == o && !o.acked { // not a type-2 phone
			p.endOffHookLocked()
		}
	})
	return nil
}

// ackLocked takes a key the phone sent during an exchange: true when it
// was the acknowledgement (the data follows, the key is not a digit).
func (p *FXS) ackLocked(d byte) bool {
	o := p.offHook
	if o == nil || o.acked || d != 'D' && d != 'A' {
		return false
	}
	stopTimer(&o.timer)
	o.acked = true
	o.timer = p.clock.AfterFunc(ackToData, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.offHook != o || p.closed {
			return
		}
		p.txAudio = o.data
		o.timer = p.clock.AfterFunc(samplesDuration(len(o.data))+dataTail, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.offHook == o {
				p.endOffHookLocked()
			}
		})
	})
	return true
}

// endOffHookLocked ends an exchange: the call's audio comes back.
func (p *FXS) endOffHookLocked() {
	if p.offHook == nil {
		return
	}
	stopTimer(&p.offHook.timer)
	p.offHook, p.txAudio = nil, nil
}
