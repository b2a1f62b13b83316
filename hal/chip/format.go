package chip

import "fmt"

// Format is the sample format a chip puts on the PCM highway.
type Format uint8

// Highway formats.
const (
	ULaw   Format = iota + 1 // 8-bit µ-law
	ALaw                     // 8-bit A-law
	Linear                   // 16-bit linear
)

// ParseFormat reads a board profile's audio.format: MU_LAW, A_LAW or
// S16_LE.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "MU_LAW":
		return ULaw, nil
	case "A_LAW":
		return ALaw, nil
	case "S16_LE":
		return Linear, nil
	}
	return 0, fmt.Errorf("chip: unknown PCM format %q (MU_LAW, A_LAW, S16_LE)", s)
}

// SlotBits is the width of one time slot in PCLK cycles.
func (f Format) SlotBits() int {
	if f == Linear {
		return 16
	}
	return 8
}

// String returns the profile spelling.
func (f Format) String() string {
	switch f {
	case ULaw:
		return "MU_LAW"
	case ALaw:
		return "A_LAW"
	case Linear:
		return "S16_LE"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// maxStartCount is the largest PCM start count the chips' 10-bit
// registers hold.
const maxStartCount = 1023

// StartCount is where a time slot begins, in PCLK cycles after FSYNC: the
// value of the chips' PCM transmit and receive start-count registers.
func (f Format) StartCount(slot int) (int, error) {
	start := slot * f.SlotBits()
	if slot < 0 || start > maxStartCount {
		return 0, fmt.Errorf("chip: PCM slot %d out of range for %v", slot, f)
	}
	return start, nil
}
