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
	// Fault: the port hardware reported a fault (power alarm, chip error);
	// Event.Err says what.
	Fault
	// CallerIDReceived: caller ID decoded on an FXO line; Event.CallerID
	// holds it.
	CallerIDReceived
	// Disconnect: FXO disconnect supervision decided the far end hung up
	// (battery drop, polarity reversal or busy tone while seized);
	// Event.Cause says which.
	Disconnect
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
	CallerIDReceived: "caller-id",
	Disconnect:       "disconnect",
}

// String returns the event type's name, e.g. "off-hook".
func (t EventType) String() string {
	if t > 0 && int(t) < len(eventTypeNames) {
		return eventTypeNames[t]
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// DigitSource says how a Digit was dialled.
type DigitSource uint8

// Digit sources; the zero value means unknown (a simulated phone's Dial).
const (
	SourceDTMF  DigitSource = iota + 1 // tone dialling, detected in the audio
	SourcePulse                        // loop-disconnect (rotary) dialling
)

// String returns "dtmf", "pulse" or "unknown".
func (s DigitSource) String() string {
	switch s {
	case SourceDTMF:
		return "dtmf"
	case SourcePulse:
		return "pulse"
	}
	return "unknown"
}

// DisconnectCause says what revealed a far-end hang-up on an FXO line.
type DisconnectCause uint8

// Disconnect causes.
const (
	CauseBattery  DisconnectCause = iota + 1 // loop current / battery dropped
	CausePolarity                            // line polarity reversed
	CauseBusyTone                            // busy or congestion tone heard
)

// String returns "battery", "polarity", "busy-tone" or "unknown".
func (c DisconnectCause) String() string {
	switch c {
	case CauseBattery:
		return "battery"
	case CausePolarity:
		return "polarity"
	case CauseBusyTone:
		return "busy-tone"
	}
	return "unknown"
}

// Event is one thing that happened on a port. It stays comparable with ==
// (CallerID is a pointer, Err an interface).
type Event struct {
	Port  string // the port's Name
	Type  EventType
	Digit byte // for Digit events: '0'-'9', '*', '#', 'A'-'D'
	At    time.Time

	Source   DigitSource     // Digit: how it was dialled
	Duration time.Duration   // Flash: how long the hook was down
	CallerID *CallerID       // CallerIDReceived
	Cause    DisconnectCause // Disconnect
	Err      error           // Fault
}

// ValidDigit reports whether b is a DTMF digit: '0'-'9', '*', '#', 'A'-'D'.
func ValidDigit(b byte) bool {
	return b >= '0' && b <= '9' || b == '*' || b == '#' || b >= 'A' && b <= 'D'
}
