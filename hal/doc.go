// Package hal defines the analog telephony hardware abstraction: the Port,
// FXS and FXO interfaces the call core drives, the Events ports report, and
// the value types they exchange (Cadence, CallerID). It holds interfaces and
// values only; implementations live below it (hal/sim for the simulated
// board, chip drivers and the line engine later) and package boards turns a
// board profile into one of them.
package hal
