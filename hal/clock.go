package hal

import "time"

// Clock is the time source for everything in the HAL whose behaviour depends
// on time: event timestamps, ring cadences, and (with the line engine)
// debounce and flash windows. Real boards run on SystemClock; tests run on
// a manual clock (vclock.Manual) so a six-second ring cycle takes no real
// time.
type Clock interface {
	Now() time.Time
	// AfterFunc arranges for f to be called once d has passed. f may run
	// on any goroutine, so it must take its own locks.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not happened yet, reporting whether
	// it did so.
	Stop() bool
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
