//go:build linux && (amd64 || arm || arm64 || riscv64 || loong64)

package relay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// reactorSupported reports whether IOReactor works on this platform.
const reactorSupported = true

// reactorEvents is how many ready sockets one epoll_wait returns at most.
const reactorEvents = 128

// A reactor takes new sockets while it holds fewer than
// socketsPerReactor and was busy handling packets less than spillBusy of
// the time (sampled at most every busySample); only then does the next
// reactor start. Few reactors mean bigger batches per wake-up, hence less
// CPU per packet; more reactors mean more cores.
const (
	socketsPerReactor = 512
	spillBusy         = 0.5
	busySample        = 100 * time.Millisecond
)

// reactorGroup is a pool's set of reactors: size shards, each running a
// reactor while it has sockets registered, so that an idle pool holds no
// goroutine and no epoll descriptor.
type reactorGroup struct {
	mu     sync.Mutex
	shards []*reactor // nil while the shard has no socket
	counts []int      // sockets registered per shard
}

func newReactorGroup(size int) *reactorGroup {
	if size <= 0 {
		size = defaultReactors(runtime.GOMAXPROCS(0))
	}
	return &reactorGroup{shards: make([]*reactor, size), counts: make([]int, size)}
}

// defaultReactors is one reactor per core, started as the load needs
// them (see pick). On the 2-core development VM one reactor cost 5-10%
// less CPU per packet than two at 250-500 streams, but, being one
// goroutine, it cannot use more than one core: at 1000 streams it fell
// behind and lost a third of the packets where two lost none.
func defaultReactors(procs int) int { return max(1, procs) }

// reactorLink is an endpoint's side of the reactor: its RTP socket's
// descriptor and family (for the peer's reactor building the destination
// address) and, while registered, its reactor and slot.
type reactorLink struct {
	fd     int
	family int
	r      *reactor
	shard  int
	slot   int32
}

// init records the RTP socket's descriptor and address family.
func (l *reactorLink) init(raw syscall.RawConn) {
	l.fd, l.family = -1, unix.AF_INET6
	if raw == nil {
		return
	}
	raw.Control(func(fd uintptr) {
		l.fd = int(fd)
		if f, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN); err == nil {
			l.family = f
		}
	})
}

// reactor is one reactor goroutine and its epoll set. The goroutine parks
// in Go's netpoller on the epoll descriptor itself (nested epoll), so it
// costs no thread while idle and is scheduled like any goroutine; when
// woken it takes every ready socket with epoll_wait(0), reads one datagram
// from each and handles it, and parks again only when epoll_wait finds
// nothing. The sockets are level-triggered: a socket with more datagrams
// queued is simply reported again by the next epoll_wait.
type reactor struct {
	epfd int
	file *os.File // epfd, registered with Go's netpoller
	raw  syscall.RawConn
	done chan struct{}

	// busyNs is the time the goroutine spent handling batches; the
	// group samples it (fields below, guarded by the group's mutex).
	busyNs      atomic.Int64
	sampledAt   time.Time
	sampledBusy int64
	busy        float64

	// mu is held by the goroutine while it handles one epoll_wait batch,
	// and by register/deregister: once deregister returns, the goroutine
	// no longer uses the endpoint (a stale event finds its slot empty or
	// reused under another generation).
	mu    sync.Mutex
	slots []reactorSlot
	free  []int32

	// Owned by the goroutine.
	events  []unix.EpollEvent
	buf     [maxPacketSize]byte
	from    unix.RawSockaddrAny
	to4     unix.RawSockaddrInet4
	to6     unix.RawSockaddrInet6
	toPtr   unsafe.Pointer
	toLen   uint32
	out     []byte
	sendErr syscall.Errno
	waitFn  func(fd uintptr) bool // r.wait, bound once
	sendFn  func(fd uintptr) bool // r.sendTo, bound once
}

type reactorSlot struct {
	ep  *Endpoint
	gen uint32
}

func newReactor() (*reactor, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("relay: reactor epoll_create: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("relay: reactor epoll descriptor: %w", err)
	}
	// A non-blocking descriptor makes os.NewFile register it with the
	// netpoller; SetReadDeadline fails if that did not work.
	f := os.NewFile(uintptr(epfd), "relay-reactor")
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		f.Close()
		return nil, fmt.Errorf("relay: reactor epoll descriptor is not pollable: %w", err)
	}
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("relay: reactor epoll descriptor: %w", err)
	}
	r := &reactor{epfd: epfd, file: f, raw: raw, done: make(chan struct{}), events: make([]unix.EpollEvent, reactorEvents), sampledAt: time.Now()}
	r.waitFn, r.sendFn = r.wait, r.sendTo
	go r.loop()
	return r, nil
}

// register adds e's RTP socket to the least loaded reactor, starting it if
// needed.
func (g *reactorGroup) register(e *Endpoint) error {
	if e.link.fd < 0 {
		return errors.New("relay: RTP socket has no descriptor")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	shard := g.pick(time.Now())
	r := g.shards[shard]
	if r == nil {
		var err error
		if r, err = newReactor(); err != nil {
			return err
		}
		g.shards[shard] = r
	}
	slot, err := r.add(e)
	if err != nil {
		if g.counts[shard] == 0 {
			g.shards[shard] = nil
			r.stop()
		}
		return err
	}
	g.counts[shard]++
	e.link.r, e.link.shard, e.link.slot = r, shard, slot
	return nil
}

// pick chooses the shard for a new socket: the first with room (see
// socketsPerReactor), else the one with the fewest sockets.
func (g *reactorGroup) pick(now time.Time) int {
	for i, r := range g.shards {
		if g.counts[i] < socketsPerReactor && (r == nil || r.load(now) < spillBusy) {
			return i
		}
	}
	shard := 0
	for i, n := range g.counts {
		if n < g.counts[shard] {
			shard = i
		}
	}
	return shard
}

// load is the fraction of time the reactor spent handling packets since
// the previous sample. The caller holds the group's mutex.
func (r *reactor) load(now time.Time) float64 {
	if d := now.Sub(r.sampledAt); d >= busySample {
		b := r.busyNs.Load()
		r.busy = float64(b-r.sampledBusy) / float64(d)
		r.sampledAt, r.sampledBusy = now, b
	}
	return r.busy
}

// deregister takes e's socket out of its reactor. On return the reactor
// no longer reads e's socket nor touches e's buffers, so the socket may be
// closed. The last socket out stops the reactor and waits for it.
func (g *reactorGroup) deregister(e *Endpoint) {
	g.mu.Lock()
	r := e.link.r
	if r == nil {
		g.mu.Unlock()
		return
	}
	r.remove(e)
	e.link.r = nil
	g.counts[e.link.shard]--
	idle := g.counts[e.link.shard] == 0
	if idle {
		g.shards[e.link.shard] = nil
	}
	g.mu.Unlock()
	if idle {
		r.stop()
	}
}

// add registers e's socket, level-triggered, under a fresh slot.
func (r *reactor) add(e *Endpoint) (int32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var slot int32
	if n := len(r.free); n > 0 {
		slot, r.free = r.free[n-1], r.free[:n-1]
	} else {
		slot = int32(len(r.slots))
		r.slots = append(r.slots, reactorSlot{})
	}
	s := &r.slots[slot]
	s.ep = e
	s.gen++
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	ev.Fd, ev.Pad = slot, int32(s.gen)
	if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, e.link.fd, &ev); err != nil {
		s.ep = nil
		r.free = append(r.free, slot)
		return 0, fmt.Errorf("relay: reactor add RTP port %d: %w", e.port, err)
	}
	return slot, nil
}

// remove deregisters e's socket; it waits for a batch in progress.
func (r *reactor) remove(e *Endpoint) {
	r.mu.Lock()
	defer r.mu.Unlock()
	unix.EpollCtl(r.epfd, unix.EPOLL_CTL_DEL, e.link.fd, nil)
	r.slots[e.link.slot].ep = nil
	r.free = append(r.free, e.link.slot)
}

// stop closes the epoll descriptor, which wakes the parked goroutine with
// an error, and waits for it to end.
func (r *reactor) stop() {
	r.file.Close()
	<-r.done
}

func (r *reactor) loop() {
	defer close(r.done)
	// wait never returns true: Read returns only when the descriptor is
	// closed.
	for r.raw.Read(r.waitFn) == nil {
	}
}

// wait handles ready sockets until none is left, then returns false to
// park the goroutine until the epoll descriptor is readable again.
func (r *reactor) wait(uintptr) bool {
	for {
		n := r.poll()
		if n <= 0 {
			return false
		}
		start := time.Now()
		r.handle(r.events[:n])
		r.busyNs.Add(int64(time.Since(start)))
	}
}

// poll is epoll_wait with a zero timeout, made as a raw system call:
// unix.EpollWait goes through the scheduler's entersyscall, and that wakes
// the runtime's sysmon thread whenever every P was idle, which at tens of
// thousands of wake-ups per second cost about a tenth of the relay's CPU.
// A zero timeout never blocks, so the raw call is safe.
func (r *reactor) poll() int {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(r.epfd), uintptr(unsafe.Pointer(&r.events[0])), uintptr(len(r.events)), 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return 0
		}
		return int(n)
	}
}

// handle reads one datagram from each ready socket of a batch and relays
// it.
func (r *reactor) handle(events []unix.EpollEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range events {
		slot := events[i].Fd
		if slot < 0 || int(slot) >= len(r.slots) {
			continue
		}
		s := &r.slots[slot]
		if s.ep == nil || s.gen != uint32(events[i].Pad) {
			continue // deregistered after epoll_wait returned
		}
		r.readOne(s.ep)
	}
}

// readOne reads one datagram from e's socket into the reactor's buffer
// and relays it. An error (EAGAIN after a spurious wake-up, an ICMP error
// queued on the socket) is skipped: a level-triggered socket that still
// has data is reported again.
func (r *reactor) readOne(e *Endpoint) {
	fromLen := uint32(unsafe.Sizeof(r.from))
	n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(e.link.fd), uintptr(unsafe.Pointer(&r.buf[0])), uintptr(len(r.buf)),
		0, uintptr(unsafe.Pointer(&r.from)), uintptr(unsafe.Pointer(&fromLen)))
	if errno != 0 {
		return
	}
	src, ok := addrPortFromRaw(&r.from)
	if !ok {
		return
	}
	peer, dst, out, ok := e.prepare(r.buf[:n], src)
	if !ok {
		return
	}
	if !r.send(peer, out, dst) {
		e.stats.dropped.Add(1)
		return
	}
	peer.stats.txPackets.Add(1)
	peer.stats.txBytes.Add(uint64(len(out)))
}

// send writes out from peer's RTP socket to dst. It never waits: a full
// socket buffer drops the packet rather than stalling every socket of the
// reactor. The peer's socket is used under its own descriptor lock
// (RawConn.Write), so a peer closing at that moment is safe.
func (r *reactor) send(peer *Endpoint, out []byte, dst netip.AddrPort) bool {
	if len(out) == 0 || peer.rtpRaw == nil || !r.setDestination(peer.link.family, dst) {
		return false
	}
	r.out, r.sendErr = out, 0
	err := peer.rtpRaw.Write(r.sendFn)
	r.out = nil
	return err == nil && r.sendErr == 0
}

func (r *reactor) sendTo(fd uintptr) bool {
	for {
		_, _, r.sendErr = unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&r.out[0])), uintptr(len(r.out)),
			0, uintptr(r.toPtr), uintptr(r.toLen))
		if r.sendErr != unix.EINTR {
			return true
		}
	}
}

// setDestination builds dst as a socket address of the sending socket's
// family (IPv4-mapped for an IPv4 phone behind a dual-stack socket).
func (r *reactor) setDestination(family int, dst netip.AddrPort) bool {
	a := dst.Addr()
	switch {
	case family == unix.AF_INET && a.Is4():
		r.to4.Family = unix.AF_INET
		r.to4.Addr = a.As4()
		putPort((*[2]byte)(unsafe.Pointer(&r.to4.Port)), dst.Port())
		r.toPtr, r.toLen = unsafe.Pointer(&r.to4), unix.SizeofSockaddrInet4
	case family == unix.AF_INET6:
		r.to6.Family = unix.AF_INET6
		r.to6.Addr = a.As16()
		putPort((*[2]byte)(unsafe.Pointer(&r.to6.Port)), dst.Port())
		r.to6.Scope_id = zoneIndex(a.Zone())
		r.toPtr, r.toLen = unsafe.Pointer(&r.to6), unix.SizeofSockaddrInet6
	default:
		return false
	}
	return true
}

func putPort(b *[2]byte, port uint16) { binary.BigEndian.PutUint16(b[:], port) }

func getPort(b *[2]byte) uint16 { return binary.BigEndian.Uint16(b[:]) }

// addrPortFromRaw turns recvfrom's source address into an AddrPort
// without allocating (except for a link-local IPv6 source's zone).
func addrPortFromRaw(sa *unix.RawSockaddrAny) (netip.AddrPort, bool) {
	switch sa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(p.Addr), getPort((*[2]byte)(unsafe.Pointer(&p.Port)))), true
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		a := netip.AddrFrom16(p.Addr)
		if p.Scope_id != 0 {
			a = a.WithZone(strconv.FormatUint(uint64(p.Scope_id), 10))
		}
		return netip.AddrPortFrom(a, getPort((*[2]byte)(unsafe.Pointer(&p.Port)))), true
	}
	return netip.AddrPort{}, false
}

// zoneIndex is the interface index of an IPv6 zone: the number recvfrom
// gave (see addrPortFromRaw) or an interface name.
func zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}
