//go:build !linux

package main

import "net"

// Without SO_TIMESTAMPNS (Linux only) the latency runs to when the
// generator's receiver goroutine reads the packet (see timestamp.go).

// oobSize is 0: no control messages are asked for.
const oobSize = 0

func enableRxTimestamps(*net.UDPConn) error { return nil }

func rxTimestamp([]byte) (int64, bool) { return 0, false }
