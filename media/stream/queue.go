package stream

import (
	"sync/atomic"
)

// MaxPayload is the largest payload a Queue slot holds: 60 ms of G.711.
// Longer payloads are dropped and counted.
const MaxPayload = 480

// queued is one Queue slot.
type queued struct {
	pt      uint8
	ts      uint32
	n       int
	payload [MaxPayload]byte
}

// Queue hands packets from a relay audio tap (the endpoint's reader
// goroutine) to one consumer goroutine. It is a bounded single-producer,
// single-consumer ring: Tap never blocks and never allocates; when the
// ring is full the packet is dropped and counted. Only one goroutine may
// call Tap (an endpoint's reader is one goroutine) and only one may call
// Pop.
type Queue struct {
	slots []queued
	mask  uint64
	head  atomic.Uint64 // next slot to fill; written by the producer
	tail  atomic.Uint64 // next slot to read; written by the consumer
	drops atomic.Uint64
	ready chan struct{}
}

// NewQueue returns a Queue of at least slots packets (rounded up to a power
// of two, at least 2).
func NewQueue(slots int) *Queue {
	n := 2
	for n < slots {
		n <<= 1
	}
	return &Queue{slots: make([]queued, n), mask: uint64(n - 1), ready: make(chan struct{}, 1)}
}

// Tap copies one packet into the ring; its signature matches
// relay.AudioTapFunc, so q.Tap can be installed as an endpoint's tap.
func (q *Queue) Tap(pt uint8, ts uint32, payload []byte) {
	head := q.head.Load()
	if len(payload) > MaxPayload || head-q.tail.Load() > q.mask {
		q.drops.Add(1)
		return
	}
	s := &q.slots[head&q.mask]
	s.pt, s.ts, s.n = pt, ts, copy(s.payload[:], payload)
	q.head.Store(head + 1)
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled (capacity one, coalesced) after Tap adds a packet.
// A consumer waits on it, then Pops until the ring is empty.
func (q *Queue) Ready() <-chan struct{} { return q.ready }

// Pop copies the oldest packet's payload into dst (truncated to len(dst))
// and returns its payload type, timestamp and copied length; ok is false
// when the ring is empty.
func (q *Queue) Pop(dst []byte) (pt uint8, ts uint32, n int, ok bool) {
	tail := q.tail.Load()
	if tail == q.head.Load() {
		return 0, 0, 0, false
	}
	s := &q.slots[tail&q.mask]
	pt, ts, n = s.pt, s.ts, copy(dst, s.payload[:s.n])
	q.tail.Store(tail + 1)
	return pt, ts, n, true
}

// Drops returns how many packets were dropped: ring full or payload
// longer than MaxPayload.
func (q *Queue) Drops() uint64 { return q.drops.Load() }
