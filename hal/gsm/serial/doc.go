// Package serial opens a serial port (a USB modem's /dev/ttyUSBn, a HAT's
// /dev/ttyAMA0, or a pseudo-terminal) in raw 8N1 mode at a given speed,
// with termios set through golang.org/x/sys/unix (no cgo). The returned
// *os.File is non-blocking underneath, so it is driven by the Go runtime
// poller and Close interrupts a pending Read.
package serial
