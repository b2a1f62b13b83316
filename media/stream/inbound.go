package stream

import (
	"fmt"
	"time"
)

// EventFunc receives a queued packet that carries no linear audio (an
// RFC 4733 telephone event, comfort noise): its payload type, timestamp
// and payload, valid only during the call.
type EventFunc func(pt uint8, ts uint32, payload []byte)

// Inbound is the audio a leg receives, as steady 20 ms frames: packets
// from a relay tap wait in a Queue (Tap, on the endpoint's reader
// goroutine); each ReadFrame, on the consumer's goroutine, pops them,
// decodes the G.711 ones into a JitterBuffer, hands the others to the
// EventFunc, and plays one frame out. Nothing is allocated per frame.
type Inbound struct {
	queue   *Queue
	jitter  *JitterBuffer
	onEvent EventFunc
	payload [MaxPayload]byte
	pcm     [MaxPayload]int16
}

// NewInbound returns an Inbound with a queue of slots packets and a jitter
// buffer of the given depth (0: DefaultJitterDepth). onEvent may be nil:
// non-audio packets are then dropped.
func NewInbound(slots int, depth time.Duration, onEvent EventFunc) (*Inbound, error) {
	j, err := NewJitterBuffer(depth)
	if err != nil {
		return nil, fmt.Errorf("stream: inbound: %w", err)
	}
	return &Inbound{queue: NewQueue(slots), jitter: j, onEvent: onEvent}, nil
}

// Tap queues one received packet; it matches TapFunc and never blocks.
// Only one goroutine may call it.
func (in *Inbound) Tap(pt uint8, ts uint32, payload []byte) { in.queue.Tap(pt, ts, payload) }

// ReadFrame takes in what was queued and fills dst (one frame, at most
// half the jitter ring) with the next play-out; a gap reads as
// concealment or silence. It always returns len(dst), nil: Inbound is a
// Source that never ends.
func (in *Inbound) ReadFrame(dst []int16) (int, error) {
	for {
		pt, ts, n, ok := in.queue.Pop(in.payload[:])
		if !ok {
			break
		}
		if k, audio := Decode(pt, in.pcm[:], in.payload[:n]); audio {
			in.jitter.Put(ts, in.pcm[:k])
		} else if in.onEvent != nil {
			in.onEvent(pt, ts, in.payload[:n])
		}
	}
	return in.jitter.ReadFrame(dst)
}

// Drops returns how many packets the queue dropped (full, or too long).
func (in *Inbound) Drops() uint64 { return in.queue.Drops() }

// Stats returns the jitter buffer's counters.
func (in *Inbound) Stats() JitterStats { return in.jitter.Stats() }
