// Package vclock is a virtual hal.Clock for tests and the simulated board:
// time moves only when Advance is called, and timers that fall due run
// inside Advance, in order, so a six-second ring cycle takes no real time.
package vclock
