//go:build !(linux && (amd64 || arm || arm64 || riscv64 || loong64))

package relay

import (
	"errors"
	"syscall"
)

// reactorSupported reports whether IOReactor works on this platform: it
// needs epoll and raw recvfrom/sendto system calls.
const reactorSupported = false

type reactorGroup struct{}

func newReactorGroup(int) *reactorGroup { return &reactorGroup{} }

type reactorLink struct{}

func (*reactorLink) init(syscall.RawConn) {}

func (*reactorGroup) register(*Endpoint) error {
	return errors.New("relay: the reactor is not supported on this platform")
}

func (*reactorGroup) deregister(*Endpoint) {}

func defaultReactors(int) int { return 0 }

const socketsPerReactor = 1
