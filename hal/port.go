package hal

import (
	"context"
	"errors"
	"time"
)

// Kind says which side of an analog line a port is.
type Kind string

const (
	// KindFXS is a station port: it feeds battery and rings a phone.
	KindFXS Kind = "fxs"
	// KindFXO is an office port: it behaves like a phone towards a CO line.
	KindFXO Kind = "fxo"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool { return k == KindFXS || k == KindFXO }

// Errors ports return; implementations wrap them with the port name, so test
// with errors.Is.
var (
	// ErrClosed: the port (or its board) has been closed.
	ErrClosed = errors.New("port closed")
	// ErrOffHook: the command needs an on-hook phone, e.g. Ring.
	ErrOffHook = errors.New("phone is off hook")
	// ErrOnHook: the command needs a seized line, e.g. Flash or DialPulse.
	ErrOnHook = errors.New("line is on hook")
	// ErrBusy: the port is already doing something that excludes the
	// command, e.g. DialPulse while a flash is in progress.
	ErrBusy = errors.New("port busy")
)

// Port is one analog line. Commands are idempotent and return quickly; the
// timing behind them (cadences, debounce) belongs to the implementation.
type Port interface {
	// Name is the port's board-unique name, e.g. "fxs0".
	Name() string
	Kind() Kind
	// Events delivers what happened on the line. The channel is buffered;
	// an implementation never blocks on a slow reader (it drops and counts
	// instead). It is closed by Close.
	Events() <-chan Event
	// Close puts the line in a safe state and closes Events. Closing again
	// is a no-op.
	Close() error
}

// FXS is a station port with a phone on it.
type FXS interface {
	Port
	// Ring starts ringing with the given cadence, sending callerID (nil for
	// none) as the port's region prescribes. It returns once ringing has
	// started; the phone going off hook (ring trip) or StopRing ends it.
	// Ringing a ringing port restarts it with the new cadence.
	Ring(ctx context.Context, cadence Cadence, callerID *CallerID) error
	// StopRing ends ringing; it is a no-op when the port is not ringing.
	StopRing() error
	// OffHook reports the current (debounced) hook state.
	OffHook() bool
	// SetLinefeed drives the line directly; normal code uses Ring,
	// ReversePolarity and Disconnect instead.
	SetLinefeed(Linefeed) error
	// ReversePolarity switches the idle/talk feed to reversed (true) or
	// forward (false) polarity, e.g. as answer supervision.
	ReversePolarity(reversed bool) error
	// Disconnect removes battery for d (an open-loop disconnect signal
	// telling the phone the far end hung up) and then restores the feed.
	Disconnect(d time.Duration) error
}

// FXO is an office port on a CO line.
type FXO interface {
	Port
	// Seize takes the line off hook; a no-op when already seized.
	Seize() error
	// Release puts the line back on hook; a no-op when already released.
	Release() error
	// Flash goes on hook for d and back (a hook flash towards the CO). The
	// line must be seized.
	Flash(d time.Duration) error
	// DialPulse dials digits ('0'-'9') by loop disconnect on a seized line.
	// It returns at once; the pulses play out on the port's clock. DTMF
	// dialling goes through the audio stream instead.
	DialPulse(digits string) error
}

// Board is one set of ports that is opened and closed together.
type Board interface {
	// Name is the board profile name, e.g. "sim".
	Name() string
	// Ports lists the ports in profile order.
	Ports() []Port
	// Port finds a port by name.
	Port(name string) (Port, bool)
	// Close closes every port; closing again is a no-op.
	Close() error
}
