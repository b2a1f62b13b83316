package hal

import "strconv"

// Linefeed is the drive state of an FXS line. The values are the ProSLIC
// linefeed codes (Si321x register 64, Si3217x LINEFEED; hal-notes 1.3), so
// a driver writes them unchanged.
type Linefeed uint8

// The linefeed states.
const (
	LinefeedOpen          Linefeed = 0 // no battery: line disabled, disconnect signal
	LinefeedForwardActive Linefeed = 1 // idle and talk, normal polarity
	LinefeedForwardOHT    Linefeed = 2 // on-hook transmission: caller ID audio while on hook
	LinefeedTipOpen       Linefeed = 3 // ground start
	LinefeedRinging       Linefeed = 4 // ring burst
	LinefeedReverseActive Linefeed = 5 // reversed polarity (answer supervision, ETSI alert)
	LinefeedReverseOHT    Linefeed = 6 // reversed, on-hook transmission
	LinefeedRingOpen      Linefeed = 7
)

// linefeedReverse is the bit that flips forward and reverse states.
const linefeedReverse = 0x4

var linefeedNames = [...]string{"open", "forward-active", "forward-oht", "tip-open", "ringing", "reverse-active", "reverse-oht", "ring-open"}

// String returns the state's name, e.g. "forward-active".
func (l Linefeed) String() string {
	if int(l) < len(linefeedNames) {
		return linefeedNames[l]
	}
	return "Linefeed(" + strconv.Itoa(int(l)) + ")"
}

// Valid reports whether l is one of the eight linefeed states.
func (l Linefeed) Valid() bool { return l <= LinefeedRingOpen }

// Reversed returns the same state with the other polarity. Open, tip open,
// ringing and ring open have no polarity and are returned unchanged.
func (l Linefeed) Reversed() Linefeed {
	switch l {
	case LinefeedForwardActive, LinefeedForwardOHT, LinefeedReverseActive, LinefeedReverseOHT:
		return l ^ linefeedReverse
	}
	return l
}

// IsReverse reports whether l is one of the reversed-polarity states.
func (l Linefeed) IsReverse() bool {
	return l == LinefeedReverseActive || l == LinefeedReverseOHT
}
