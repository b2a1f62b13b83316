package cid

import (
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/hal"
)

// Signalling is how caller ID is carried.
type Signalling uint8

// Signalling kinds.
const (
	FSK  Signalling = iota + 1 // a data message on an FSK modem
	DTMF                       // DTMF digits
)

// Placement is where in the ring cycle caller ID goes.
type Placement uint8

// Placements.
const (
	AfterFirstRing Placement = iota + 1 // in the pause after the first burst
	BeforeRing                          // before the first burst, after an alert
)

// Alert is what precedes caller ID sent before ringing.
type Alert uint8

// Alerts (ETSI EN 300 659-1).
const (
	AlertNone     Alert = iota // nothing (after-first-ring placement)
	AlertReversal              // line polarity reversal only
	AlertDTAS                  // polarity reversal, then the DT-AS dual tone
)

// Plan is a region's caller-ID practice as data.
type Plan struct {
	Name       string
	Signalling Signalling
	Burst      Burst      // FSK: modem and framing
	Format     Format     // FSK: MDMF or SDMF
	DTMF       DTMFFormat // DTMF: the variant
	Placement  Placement
	Alert      Alert
	// Delay is, after the first ring, from its end to the data; before
	// ringing, from the polarity reversal to the alert (or to the data
	// when there is no tone alert).
	Delay time.Duration
	// AlertToData is from the end of the DT-AS to the data.
	AlertToData time.Duration
	// Trailer is the least silence from the end of the data to the next
	// ring burst.
	Trailer time.Duration
	// AlertLevel is the DT-AS level, dBm0 per component.
	AlertLevel float64
}

// The plans regions choose from (hal-notes 2.5). Timings marked [verify]
// in the notes are to be checked against EN 300 659-1 and BT SIN 227.
var (
	// PlanBell202: Telcordia GR-30, MDMF 500 ms after the first ring.
	PlanBell202 = Plan{
		Name: "bell202", Signalling: FSK, Format: MDMF, Placement: AfterFirstRing,
		Burst: Burst{Modem: Bell202, SeizureBits: 300, MarkBits: 180, Level: -13.5},
		Delay: 500 * time.Millisecond, Trailer: 200 * time.Millisecond,
	}
	// PlanETSIAfterRing: EN 300 659-1 V.23 MDMF after the first ring.
	PlanETSIAfterRing = Plan{
		Name: "etsi-fsk", Signalling: FSK, Format: MDMF, Placement: AfterFirstRing,
		Burst: Burst{Modem: V23, SeizureBits: 300, MarkBits: 180, Level: -13.5},
		Delay: 500 * time.Millisecond, Trailer: 200 * time.Millisecond,
	}
	// PlanETSIDTAS: V.23 MDMF before ringing after a line reversal and the
	// DT-AS (UK practice: reversal, 300 ms, DT-AS, 150 ms, data, 400 ms,
	// ring; BT sends no channel seizure [verify]).
	PlanETSIDTAS = Plan{
		Name: "etsi-fsk-dtas", Signalling: FSK, Format: MDMF, Placement: BeforeRing, Alert: AlertDTAS,
		Burst: Burst{Modem: V23, SeizureBits: 96, MarkBits: 55, Level: -13.5},
		Delay: 300 * time.Millisecond, AlertToData: 150 * time.Millisecond, Trailer: 400 * time.Millisecond,
		AlertLevel: -20,
	}
	// PlanDTMF: DTMF A<number>C before ringing after a line reversal.
	PlanDTMF = Plan{
		Name: "dtmf", Signalling: DTMF, DTMF: DTMFAC, Placement: BeforeRing, Alert: AlertReversal,
		Delay: 300 * time.Millisecond, Trailer: 300 * time.Millisecond,
	}
)

// Validate reports why p cannot be used, or nil.
func (p Plan) Validate() error {
	switch {
	case p.Signalling != FSK && p.Signalling != DTMF:
		return fmt.Errorf("cid: plan %q: unknown signalling %d", p.Name, p.Signalling)
	case p.Placement != AfterFirstRing && p.Placement != BeforeRing:
		return fmt.Errorf("cid: plan %q: unknown placement %d", p.Name, p.Placement)
	case p.Placement == AfterFirstRing && p.Alert != AlertNone:
		return fmt.Errorf("cid: plan %q: an alert only precedes caller ID before ringing", p.Name)
	case p.Signalling == FSK && (p.Burst.Modem.Mark == 0 || p.Burst.MarkBits < huntMarks):
		return fmt.Errorf("cid: plan %q: FSK needs a modem and at least %d mark bits", p.Name, huntMarks)
	case p.Signalling == DTMF && p.DTMF.End == 0:
		return fmt.Errorf("cid: plan %q: DTMF format without an end digit", p.Name)
	case p.Delay < 0 || p.AlertToData < 0 || p.Trailer < 0:
		return fmt.Errorf("cid: plan %q: negative interval", p.Name)
	}
	return nil
}

// Render returns the caller-ID audio (data only, no alert) for c.
func (p Plan) Render(c hal.CallerID) ([]int16, error) {
	if p.Signalling == DTMF {
		return RenderDTMF(p.DTMF, c)
	}
	return p.Burst.Render(Encode(c, p.Format)), nil
}
