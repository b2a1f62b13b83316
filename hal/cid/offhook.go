package cid

import (
	"errors"
	"fmt"
	"math"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/tone"
)

// Off-hook (type 2, call-waiting) caller ID, Telcordia GR-30 / SR-TSV-002476
// and ETSI EN 300 659-2: while the phone is in a call, the exchange mutes
// the far party and sends the CPE alerting signal (CAS, the off-hook DT-AS,
// 2130 + 2750 Hz); a capable phone acknowledges with DTMF D (A for ADSI
// sets) within 160 ms; then the data follows in the region's FSK modem
// (Bell 202 or V.23) as MDMF, without channel seizure and with a shorter
// mark run.

// CASSpec is the off-hook alert, 2130 + 2750 Hz for 80 ms.
const CASSpec = "!2130+2750/80"

// Off-hook framing: no channel seizure, 80 mark bits (GR-30; EN 300 659-2
// allows 80 ± 25).
const offHookMarkBits = 80

// ErrNoOffHook: the plan cannot send caller ID to an off-hook phone
// (DTMF caller ID has no type-2 variant).
var ErrNoOffHook = errors.New("cid: no off-hook caller ID for DTMF plans")

// RenderCAS returns the CAS alert at level dBm0 per component.
func RenderCAS(level float64) ([]int16, error) {
	return renderAlert("CAS", CASSpec, tone.SampleRate*80/1000, level)
}

// RenderOffHook returns the data audio of an off-hook caller-ID exchange
// for c: the plan's modem and level, MDMF, no seizure.
func (p Plan) RenderOffHook(c hal.CallerID) ([]int16, error) {
	if p.Signalling != FSK {
		return nil, fmt.Errorf("plan %q: %w", p.Name, ErrNoOffHook)
	}
	b := p.Burst
	b.SeizureBits, b.MarkBits = 0, offHookMarkBits
	return b.Render(Encode(c, MDMF)), nil
}

// renderAlert renders a one-shot dual tone of n samples.
func renderAlert(name, spec string, n int, level float64) ([]int16, error) {
	t, err := tone.Parse(spec, level)
	if err != nil {
		return nil, fmt.Errorf("cid: %s: %w", name, err)
	}
	g, err := tone.NewGenerator(t)
	if err != nil {
		return nil, fmt.Errorf("cid: %s: %w", name, err)
	}
	out := make([]int16, n)
	g.Fill(out)
	return out, nil
}

// AlertDetector finds the 2130 + 2750 Hz alert (CAS, DT-AS) in 20 ms
// frames, as a type-2 capable phone listens for it during a call: both
// components must carry most of a frame's energy for two frames in a row.
// Not safe for concurrent use; it does not allocate.
type AlertDetector struct {
	low, high float64 // Goertzel coefficients
	run       int
}

// Alert detector thresholds: a frame is an alert frame when each component
// holds at least minShare of its power, both together minBoth, and the
// frame is above minAlertPower (about -45 dBm0).
const (
	minShare      = 0.2
	minBoth       = 0.7
	minAlertPower = 20.0
	alertFrames   = 2
)

// NewAlertDetector returns a detector for 20 ms frames.
func NewAlertDetector() *AlertDetector {
	coef := func(f float64) float64 { return 2 * math.Cos(2*math.Pi*f/hal.SampleRate) }
	return &AlertDetector{low: coef(2130), high: coef(2750)}
}

// Reset forgets the frames seen.
func (d *AlertDetector) Reset() { d.run = 0 }

// Frame takes one frame; it reports true once per alert, on the frame that
// confirms it.
func (d *AlertDetector) Frame(f *hal.Frame) bool {
	var total float64
	for _, x := range f {
		total += float64(x) * float64(x)
	}
	total /= hal.FrameSamples
	lo, hi := goertzelPower(d.low, f), goertzelPower(d.high, f)
	if total < minAlertPower || lo < minShare*total || hi < minShare*total || lo+hi < minBoth*total {
		d.run = 0
		return false
	}
	d.run++
	return d.run == alertFrames
}

// goertzelPower is the mean-square power of f at the filter's frequency.
func goertzelPower(coef float64, f *hal.Frame) float64 {
	var s1, s2 float64
	for _, x := range f {
		s0 := float64(x) + coef*s1 - s2
		s2, s1 = s1, s0
	}
	return 2 * (s1*s1 + s2*s2 - coef*s1*s2) / (hal.FrameSamples * hal.FrameSamples)
}
