// Package proslictest is a stateful fake Si3210/Si3215 for driver and
// board tests: a register file with indirect registers, reset defaults,
// self-completing calibration, write-1-to-clear interrupt status and a
// hook bit, behind chiptest.Port.
package proslictest

import (
	"sync"

	"periph.io/x/conn/v3/gpio"

	"github.com/gatepbx/gatepbx/hal/chip/chiptest"
)

// Register numbers the model gives behaviour to (Si321x datasheet).
const (
	RegID         = 0
	RegLoopback   = 8
	RegHybrid     = 11
	RegPowerDown  = 14
	RegIRQStatus1 = 18
	RegIRQStatus2 = 19
	RegIRQStatus3 = 20
	RegIndDataLo  = 28
	RegIndDataHi  = 29
	RegIndAddr    = 30
	RegLinefeed   = 64
	RegLoopStatus = 68
	RegVBATSense  = 82
	RegCalibrate1 = 96
)

// Chip models one ProSLIC. Set Absent before use to model an empty socket.
type Chip struct {
	Absent bool

	// ResetWatcher follows the reset line (its Sleep is the driver's wait
	// in tests; ResetPulses counts the resets).
	chiptest.ResetWatcher

	mu sync.Mutex

	code, rev byte
	regs      [128]byte
	ind       [256]uint16
	calReads  int

	haveAddr bool
	addr     byte
	read     bool
}

// NewChip returns a chip whose reset line is reset, reporting part code
// (bits 5:4 of register 0: 0 for Si3210, 3 for Si3215) and revision rev.
func NewChip(reset gpio.PinIn, code, rev byte) *Chip {
	return &Chip{ResetWatcher: chiptest.NewResetWatcher(reset), code: code, rev: rev}
}

func (f *Chip) defaults() {
	f.regs = [128]byte{}
	f.ind = [256]uint16{}
	f.regs[RegID] = f.code<<4 | f.rev
	f.regs[RegLoopback] = 0x02
	f.regs[RegHybrid] = 0x33
	f.regs[RegPowerDown] = 0x10
}

// Transfer implements chiptest.Model: an address byte (bit 7: read), then
// a data byte.
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
	if !f.haveAddr {
		f.haveAddr, f.addr, f.read = true, w&0x7f, w&0x80 != 0
		return 0
	}
	f.haveAddr = false
	if f.read {
		return f.readReg(f.addr)
	}
	f.writeReg(f.addr, w)
	return 0
}

func (f *Chip) readReg(r byte) byte {
	switch r {
	case RegCalibrate1:
		if f.calReads > 0 {
			f.calReads--
			if f.calReads == 0 {
				f.regs[r] = 0
			}
		}
	case RegVBATSense:
		if f.regs[RegPowerDown] == 0 {
			return 0xc8
		}
		return 0
	}
	return f.regs[r]
}

func (f *Chip) writeReg(r, v byte) {
	switch r {
	case RegIRQStatus1, RegIRQStatus2, RegIRQStatus3:
		f.regs[r] &^= v
		return
	case RegIndAddr:
		f.ind[v] = uint16(f.regs[RegIndDataLo]) | uint16(f.regs[RegIndDataHi])<<8
	case RegCalibrate1:
		f.calReads = 3
	case RegLoopStatus, RegID:
		return // read only
	}
	f.regs[r] = v
}

// SetHook closes or opens the loop and raises the loop-closure interrupt.
func (f *Chip) SetHook(off bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off {
		f.regs[RegLoopStatus] |= 0x01
	} else {
		f.regs[RegLoopStatus] &^= 0x03 // loop open: neither closure nor ring trip
	}
	f.regs[RegIRQStatus3] |= 0x02
}

// Reg reads a register without side effects.
func (f *Chip) Reg(r byte) byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.regs[r]
}

// Indirect reads an indirect register.
func (f *Chip) Indirect(r byte) uint16 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ind[r]
}

// SetReg sets a register, e.g. a power alarm in RegIRQStatus2.
func (f *Chip) SetReg(r, v byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regs[r] = v
}
