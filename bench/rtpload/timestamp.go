//go:build linux

package main

import (
	"fmt"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The generator measures a packet's added latency from the moment it
// stamps the packet, just before its send call, to the kernel's receive
// timestamp (SO_TIMESTAMPNS), taken when the forwarder's send delivers the
// packet on loopback, rather than to when the generator's receiver
// goroutine gets round to reading it. On a loaded machine that goroutine
// may run milliseconds late, and that delay belongs to the generator, not
// to the forwarder.

// oobSize holds one SCM_TIMESTAMPNS control message.
var oobSize = unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{})))

// enableRxTimestamps asks the kernel to timestamp every datagram c
// receives.
func enableRxTimestamps(c *net.UDPConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("rtpload: generator socket: %w", err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return fmt.Errorf("rtpload: generator socket: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("rtpload: SO_TIMESTAMPNS: %w", serr)
	}
	return nil
}

// rxTimestamp finds the receive time (Unix ns) in a datagram's control
// messages.
func rxTimestamp(oob []byte) (int64, bool) {
	if len(oob) == 0 {
		return 0, false
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
			ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			return ts.Nano(), true
		}
	}
	return 0, false
}
