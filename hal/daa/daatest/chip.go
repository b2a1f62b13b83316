// Package daatest is a stateful fake Si3050+Si3019 DAA for driver and
// board tests: a register file with reset defaults, a line-side link that
// comes up after the line side is powered, ring-detect bits and a line
// voltage, behind chiptest.Port.
package daatest

import (
	"sync"

	"periph.io/x/conn/v3/gpio"

	"github.com/gatepbx/gatepbx/hal/chip/chiptest"
)

// Register numbers the model gives behaviour to (Si3050 datasheet).
const (
	RegControl2   = 2
	RegIRQSource  = 4
	RegDAAControl = 5
	RegPowerLine  = 6
	RegRevision   = 11
	RegLineVolt   = 29
)

const (
	ctlRead  = 0x60
	ringBits = 0x60
)

// Chip models one DAA. Set Absent for an empty socket, NoLink for a line
// side that never answers, before use.
type Chip struct {
	Absent, NoLink bool

	// ResetWatcher follows the reset line (its Sleep is the driver's wait
	// in tests; ResetPulses counts the resets).
	chiptest.ResetWatcher

	mu sync.Mutex

	regs   [64]byte
	phase  int // 0 control, 1 address, 2 data
	read   bool
	addr   byte
	ring   bool
	volts  int8
	linkUp int // reads of the revision register until the link is up
}

// NewChip returns a DAA whose reset line is reset.
func NewChip(reset gpio.PinIn) *Chip { return &Chip{ResetWatcher: chiptest.NewResetWatcher(reset)} }

func (f *Chip) defaults() {
	f.regs = [64]byte{}
	f.regs[RegControl2] = 0x03
	f.regs[RegRevision] = 0x05
	f.regs[RegPowerLine] = 0x10
	f.linkUp = -1
}

// Transfer implements chiptest.Model: control byte, address, data.
func (f *Chip) Transfer(w byte) byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	held, released := f.Poll()
	if released {
		f.defaults()
	}
	if f.Absent || held {
		return 0xff
	}
	switch f.phase {
	case 0:
		f.read = w == ctlRead
		f.phase = 1
		return 0
	case 1:
		f.addr = w & 0x3f
		f.phase = 2
		return 0
	}
	f.phase = 0
	if f.read {
		return f.readReg(f.addr)
	}
	f.writeReg(f.addr, w)
	return 0
}

func (f *Chip) readReg(r byte) byte {
	switch r {
	case RegDAAControl:
		v := f.regs[r] &^ ringBits
		if f.ring {
			v |= ringBits
		}
		return v
	case RegLineVolt:
		return byte(f.volts)
	case RegRevision:
		if f.linkUp > 0 {
			f.linkUp--
			if f.linkUp == 0 {
				f.regs[r] |= 0x30
			}
		}
	}
	return f.regs[r]
}

func (f *Chip) writeReg(r, v byte) {
	switch r {
	case RegControl2, RegRevision:
		return // read only here
	case RegPowerLine:
		if v&0x10 == 0 && !f.NoLink {
			f.linkUp = 3
		}
	}
	f.regs[r] = v
}

// Reg reads a register without side effects.
func (f *Chip) Reg(r byte) byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.regs[r]
}

// SetLine sets the ring-detect state and line voltage and raises an
// interrupt.
func (f *Chip) SetLine(ring bool, volts int8) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ring, f.volts = ring, volts
	f.regs[RegIRQSource] |= 0x80
}
