package hal

import (
	"strconv"
	"time"
)

// EventType says what happened on a port. The zero value is not a valid
// event type, so a zero Event is recognisable.
type EventType int

const (
	// OffHook: the phone on an FXS port went off hook (including ring trip).
	OffHook EventType = iota + 1
	// OnHook: the phone on an FXS port went back on hook.
	OnHook
	// Flash: a hook flash on an FXS port.
	Flash
	// Digit: a dialled digit; Event.Digit holds it.
	Digit
	// RingStart: ringing began on an FXO line.
	RingStart
	// RingStop: ringing on an FXO line ended.
	RingStop
	// PolarityReversal: the CO reversed line polarity (FXO).
	PolarityReversal
	// BatteryLost: the CO removed battery (FXO disconnect supervision).
	BatteryLost
	// BatteryRestored: battery came back on an FXO line.
	BatteryRestored
	// Fault: the port hardware reported a fault (power alarm, chip error).
	Fault
)

var eventTypeNames = [...]string{
	OffHook:          "off-hook",
	OnHook:           "on-hook",
	Flash:            "flash",
	Digit:            "digit",
	RingStart:        "ring-start",
	RingStop:         "ring-stop",
	PolarityReversal: "polarity-reversal",
	BatteryLost:      "battery-lost",
	BatteryRestored:  "battery-restored",
	Fault:            "fault",
}

// String returns the event type's name, e.g. "off-hook".
func (t EventType) String() string {
	if t > 0 && int(t) < len(eventTypeNames) {
		return eventTypeNames[t]
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// Event is one thing that happened on a port.
type Event struct {
	Port  string // the port's Name
	Type  EventType
	Digit byte // for Digit events: '0'-'9', '*', '#', 'A'-'D'
	At    time.Time
}

// ValidDigit reports whether b is a DTMF digit: '0'-'9', '*', '#', 'A'-'D'.
func ValidDigit(b byte) bool {
	return b >= '0' && b <= '9' || b == '*' || b == '#' || b >= 'A' && b <= 'D'
}
