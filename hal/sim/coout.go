package sim

import (
	"fmt"
	"time"

	"github.com/gatepbx/gatepbx/media/tone"
)

// Calls the exchange makes through a CO line: the CO answers a seizure of
// an idle line with dial tone, stops it at the first digit (DTMF or
// pulse) and collects the number; Answer connects a far party that talks
// (a steady test tone), FarHangup leaves busy tone on the line as a real
// exchange does when the called party hangs up.

// newCallBreak: a seizure after the line was on hook longer than this is a
// new call (shorter breaks are dial pulses or a hook flash).
const newCallBreak = time.Second

// farTalk is what the virtual far party says: a steady 1004 Hz test tone
// at −13 dBm0, speech-like in level, no DTMF pair and no call-progress
// cadence.
const farTalk = "1004"

const farTalkLevel = -13

// coOut is the state of a call out through the line.
type coOut struct {
	noDialTone bool // SetDialTone(false): a dead exchange, survives calls

	active   bool   // seized for a call out and not yet released
	dialling bool   // dial tone until the first digit
	number   []byte // digits dialled since the seizure
	answered bool
	farGone  bool
}

// seizedOutLocked starts a call out: dial tone.
func (c *CO) seizedOutLocked() {
	c.out = coOut{active: true, dialling: true, number: c.out.number[:0], noDialTone: c.out.noDialTone}
	c.digits = c.digits[:0]
	c.gen = nil
	if !c.out.noDialTone {
		c.gen = c.generatorLocked(tone.Dial)
	}
}

// SetDialTone sets whether the exchange answers a seizure with dial tone
// (the default); off, the line stays silent, as a faulty exchange would.
func (c *CO) SetDialTone(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out.noDialTone = !on
}

// dialledLocked takes one digit of a call out.
func (c *CO) dialledLocked(d byte) {
	if !c.out.active || c.out.answered {
		return
	}
	if c.out.dialling {
		c.out.dialling = false
		c.gen = nil
	}
	if len(c.out.number) < 64 {
		c.out.number = append(c.out.number, d)
	}
}

func (c *CO) generatorLocked(k tone.Kind) *tone.Generator {
	t, err := tone.Lookup(c.tones, k)
	if err != nil {
		return nil
	}
	g, err := tone.NewGenerator(t)
	if err != nil {
		return nil
	}
	return g
}

// Dialled returns the number dialled on the current (or last) call out,
// and whether the exchange holds the line for it now.
func (c *CO) Dialled() (number string, seized bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.out.number), c.seized && c.out.active
}

// Answer makes the far party of the call out answer and talk (a steady
// test tone to the exchange).
func (c *CO) Answer() error {
	t, err := tone.Parse(farTalk, farTalkLevel)
	if err != nil {
		return fmt.Errorf("sim: %s answer: %w", c.name, err)
	}
	g, err := tone.NewGenerator(t)
	if err != nil {
		return fmt.Errorf("sim: %s answer: %w", c.name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.seized || !c.out.active {
		return fmt.Errorf("sim: %s answer: %w", c.name, ErrOnHook)
	}
	c.out.dialling, c.out.answered, c.gen = false, true, g
	return nil
}

// FarHangup makes the far party of the call out hang up: busy tone on the
// line until the exchange releases it.
func (c *CO) FarHangup() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.seized || !c.out.active {
		return fmt.Errorf("sim: %s hangup: %w", c.name, ErrOnHook)
	}
	c.out.farGone, c.out.dialling = true, false
	c.gen = c.generatorLocked(tone.Busy)
	return nil
}
