// Package line is the chip-independent line engine (hal-notes 3.1): it
// turns raw line signals from a chip driver into hal events, and hal
// commands into linefeed and hook changes, with all the timing in between
// on an injected hal.Clock.
//
// An FXS port debounces raw hook edges and classifies each break by its
// length (pulse digit, hook flash, hang-up), detects DTMF in the phone's
// audio, plays ring cadences with ring trip, and places caller ID (FSK or
// DTMF; after the first ring, or before ringing behind a polarity reversal
// and the DT-AS alert) as its region's cid.Plan says.
//
// An FXO port turns chattering ring-detect bits into RingStart/RingStop,
// decodes caller ID from the on-hook audio, supervises a seized line for
// disconnect (battery drop, polarity reversal, busy or congestion tone
// cadence) and performs seize, release, flash and pulse dialling.
//
// The driver side is push-based: the chip driver calls RawHook, RawRing or
// RawLine when it sees a change, and the board's PCM pump calls TxFrame and
// RxFrame once per 20 ms frame. So a test drives a port in virtual time by
// advancing a manual clock and calling the frame hooks: a full ring cycle
// with caller ID takes milliseconds.
package line
