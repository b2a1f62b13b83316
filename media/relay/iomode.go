package relay

import "fmt"

// IOMode selects how a pool's endpoints read their RTP sockets (see the
// package doc, "Reading the sockets").
type IOMode int

const (
	// IODefault is IOReactor where it is supported (Linux on amd64, arm,
	// arm64, riscv64, loong64), else IOGoroutines.
	IODefault IOMode = iota
	// IOReactor shares a few reactor goroutines, each with its own epoll
	// set, between all the pool's RTP sockets.
	IOReactor
	// IOGoroutines gives each endpoint its own RTP reader goroutine
	// blocked in ReadFromUDPAddrPort on Go's netpoller.
	IOGoroutines
)

// String returns the mode's configuration name.
func (m IOMode) String() string {
	switch m {
	case IOReactor:
		return "reactor"
	case IOGoroutines:
		return "goroutines"
	}
	return "default"
}

// ParseIOMode reads a mode's configuration name: "reactor", "goroutines",
// or "" / "default".
func ParseIOMode(s string) (IOMode, error) {
	switch s {
	case "", "default":
		return IODefault, nil
	case "reactor":
		return IOReactor, nil
	case "goroutines":
		return IOGoroutines, nil
	}
	return IODefault, fmt.Errorf("relay: I/O mode %q: want reactor or goroutines", s)
}
