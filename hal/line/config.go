package line

import (
	"errors"
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/hal/cid"
	"github.com/gatepbx/gatepbx/hal/region"
	"github.com/gatepbx/gatepbx/media/tone"
)

// Config is a port's timing and region behaviour.
type Config struct {
	// Debounce: a raw hook or ring-detect level must hold this long.
	Debounce time.Duration
	// FlashMin, FlashMax: a break in this window is a hook flash; longer
	// is a hang-up.
	FlashMin, FlashMax time.Duration
	// PulseBreakMin, PulseBreakMax: a break in this window is one dial
	// pulse (rotary dials: about 60 ms at 10 pps).
	PulseBreakMin, PulseBreakMax time.Duration
	// PulseDigitGap: a make this long after pulses ends the digit.
	PulseDigitGap time.Duration
	// CallerID is how an FXS port sends, and an FXO port expects, caller
	// ID.
	CallerID cid.Plan

	// RingOffDebounce: an FXO ring burst ends when the ring-detect bits
	// stay clear this long (they chatter at the ring frequency).
	RingOffDebounce time.Duration
	// RingStopTimeout: ringing has ended when no burst starts this long
	// after the last one ended (longer than any cadence pause).
	RingStopTimeout time.Duration
	// BatteryThreshold (volts): an FXO line below it has no battery.
	BatteryThreshold int
	// LineDebounce: battery and polarity changes must hold this long.
	LineDebounce time.Duration
	// DisconnectOnPolarity: a polarity reversal on a seized line means
	// the far end hung up (some carriers); off by default because others
	// use it for answer.
	DisconnectOnPolarity bool
	// BusyTones are the cadences whose detection on a seized line means
	// disconnect (the region's busy and congestion tones).
	BusyTones []tone.Tone
	// BusyCount: consecutive matching on/off segments that confirm a busy
	// tone.
	BusyCount int
	// PulseBreak, PulseMake, PulseInterDigit time outgoing pulse dialling.
	PulseBreak, PulseMake, PulseInterDigit time.Duration

	// EventBuffer is the events channel capacity; AudioFrames the depth of
	// each audio queue (20 ms frames).
	EventBuffer, AudioFrames int
}

// DefaultConfig returns the timings of hal-notes 2.3 and 2.6 with US caller
// ID and no busy tones (RegionConfig fills those from a region).
func DefaultConfig() Config {
	return Config{
		Debounce:         15 * time.Millisecond,
		FlashMin:         100 * time.Millisecond,
		FlashMax:         700 * time.Millisecond,
		PulseBreakMin:    20 * time.Millisecond,
		PulseBreakMax:    90 * time.Millisecond,
		PulseDigitGap:    200 * time.Millisecond,
		CallerID:         cid.PlanBell202,
		RingOffDebounce:  200 * time.Millisecond,
		RingStopTimeout:  6500 * time.Millisecond,
		BatteryThreshold: 3,
		LineDebounce:     64 * time.Millisecond,
		BusyCount:        4,
		PulseBreak:       60 * time.Millisecond,
		PulseMake:        40 * time.Millisecond,
		PulseInterDigit:  700 * time.Millisecond,
		EventBuffer:      64,
		AudioFrames:      4,
	}
}

// RegionConfig is DefaultConfig with r's flash window, caller-ID plan and
// busy/congestion tones, and a ring-stop timeout 2 s past r's longest
// cadence pause.
func RegionConfig(r region.Region) (Config, error) {
	c := DefaultConfig()
	c.FlashMin, c.FlashMax = r.FlashMin, r.FlashMax
	c.CallerID = r.CallerID
	var longest time.Duration
	for _, off := range r.Ring.Off {
		longest = max(longest, off)
	}
	c.RingStopTimeout = max(c.RingStopTimeout, longest+2*time.Second)
	for _, k := range []tone.Kind{tone.Busy, tone.Congestion} {
		t, err := tone.Lookup(r.Tones, k)
		if err != nil {
			return Config{}, fmt.Errorf("line: region %s: %w", r.Code, err)
		}
		c.BusyTones = append(c.BusyTones, t)
	}
	return c, c.Validate()
}

// Validate reports why c is unusable, or nil.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.Debounce > 0 && c.Debounce < c.PulseBreakMin, "debounce %v must be positive and below the shortest pulse %v", c.Debounce, c.PulseBreakMin)
	check(c.PulseBreakMin < c.PulseBreakMax, "pulse window %v-%v is empty", c.PulseBreakMin, c.PulseBreakMax)
	check(c.PulseBreakMax < c.FlashMin, "pulse window ends at %v, after the flash window starts at %v", c.PulseBreakMax, c.FlashMin)
	check(c.FlashMin < c.FlashMax, "flash window %v-%v is empty", c.FlashMin, c.FlashMax)
	check(c.PulseDigitGap > c.Debounce, "pulse digit gap %v must exceed the debounce", c.PulseDigitGap)
	check(c.RingOffDebounce > 0 && c.RingStopTimeout > c.RingOffDebounce, "ring-off debounce %v and ring-stop timeout %v", c.RingOffDebounce, c.RingStopTimeout)
	check(c.LineDebounce > 0 && c.BatteryThreshold >= 0, "line debounce %v, battery threshold %d V", c.LineDebounce, c.BatteryThreshold)
	check(c.BusyCount >= 2, "busy count %d must be at least 2", c.BusyCount)
	check(c.PulseBreak > 0 && c.PulseMake > 0 && c.PulseInterDigit > 0, "pulse dialling timings must be positive")
	check(c.EventBuffer > 0 && c.AudioFrames > 0, "event buffer %d and audio frames %d must be positive", c.EventBuffer, c.AudioFrames)
	if err := c.CallerID.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("line: config: %w", errors.Join(errs...))
	}
	return nil
}
