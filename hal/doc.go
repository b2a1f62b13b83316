// Package hal defines the analog telephony hardware abstraction: the Port,
// FXS and FXO interfaces the call core drives, the Events ports report,
// the 20 ms / 8 kHz AudioStream, and the value types they exchange
// (Cadence, CallerID, Linefeed). It holds interfaces and values only.
//
// Below it: hal/line is the chip-independent line engine every port runs
// on (hook classification, ring cadences, caller ID, FXO supervision);
// hal/proslic and hal/daa drive the FXS and FXO chips; hal/pcm moves the
// audio between a PCM highway and the ports; hal/sim is the simulated
// board (virtual phones and CO lines on the real engine); hal/cid and
// hal/region hold caller-ID signal processing and per-country data.
// Package boards turns a board profile into one of them.
package hal
