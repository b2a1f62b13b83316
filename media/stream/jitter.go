package stream

import (
	"fmt"
	"time"
)

const (
	// jitterCap is the ring size in samples (512 ms): the furthest ahead
	// of the play-out point a packet may land.
	jitterCap  = 4096
	jitterMask = jitterCap - 1
	// DefaultJitterDepth is the play-out delay used when none is given.
	DefaultJitterDepth = 60 * time.Millisecond
	// resyncLate is how many consecutive late packets make the buffer
	// start over at the stream's current position.
	resyncLate = 5
	// driftWindow is how many reads the fill level is watched over before
	// a frame is skipped because the sender runs fast.
	driftWindow = 50
)

// JitterStats counts what a JitterBuffer did.
type JitterStats struct {
	Late      uint64 // packets that arrived after their play-out time (dropped)
	Lost      uint64 // frames read with no audio at all once audio flowed (concealed)
	Concealed uint64 // of those, frames filled by repeating the previous one
	Resyncs   uint64 // times the buffer started over (stream jump, drift)
	Skipped   uint64 // frames dropped because the buffer ran too full
}

// JitterBuffer turns inbound audio, possibly late, reordered, duplicated or
// lost, into a steady stream of frames at a fixed delay. It is keyed by
// RTP timestamp (what a relay tap provides), so packets of any length and
// in any order land at their place: audio is played out depth after the
// first packet's timestamp. A frame with no audio is concealed by
// repeating the previous frame at half level once, then by silence. A
// packet far outside the window (a new source, a long stall) or a run of
// late packets restarts the buffer at the stream's position; a buffer that
// stays more than two frames fuller than depth for a second (a sender
// clock running fast) skips one frame.
//
// Put and ReadFrame belong to one goroutine; neither allocates.
type JitterBuffer struct {
	depth   uint32
	ring    [jitterCap]int16
	have    [jitterCap]bool
	primed  bool
	playout uint32 // timestamp of the next sample to read
	newest  uint32 // timestamp just past the newest sample written
	last    [FrameSamples]int16
	prev    bool // the previous frame read held audio
	flowing bool // audio was read since the last (re)start
	conceal int  // frames concealed in a row
	lateRun int
	minFill int32
	reads   int
	stats   JitterStats
}

// NewJitterBuffer returns a buffer with the given play-out delay (20 ms to
// 200 ms; 0 means DefaultJitterDepth).
func NewJitterBuffer(depth time.Duration) (*JitterBuffer, error) {
	if depth == 0 {
		depth = DefaultJitterDepth
	}
	if depth < FrameDuration || depth > 200*time.Millisecond {
		return nil, fmt.Errorf("stream: jitter depth %v outside 20ms-200ms", depth)
	}
	return &JitterBuffer{depth: uint32(depth / (time.Second / SampleRate))}, nil
}

// Stats returns the counters.
func (j *JitterBuffer) Stats() JitterStats { return j.stats }

// restart empties the buffer and plays ts out after depth.
func (j *JitterBuffer) restart(ts uint32) {
	clear(j.have[:])
	j.playout = ts - j.depth
	j.newest = ts
	j.lateRun, j.reads, j.minFill = 0, 0, 0
	j.flowing, j.prev = false, false
}

// Put stores samples whose first sample has RTP timestamp ts.
func (j *JitterBuffer) Put(ts uint32, samples []int16) {
	if len(samples) == 0 {
		return
	}
	if len(samples) > jitterCap/2 {
		samples = samples[:jitterCap/2]
	}
	if !j.primed {
		j.primed = true
		j.restart(ts)
	}
	off := int32(ts - j.playout)
	switch {
	case off < 0 && off > -SampleRate:
		j.stats.Late++
		if j.lateRun++; j.lateRun < resyncLate {
			return
		}
		j.stats.Resyncs++
		j.restart(ts)
	case off < 0 || int(off)+len(samples) > jitterCap:
		j.stats.Resyncs++
		j.restart(ts)
	default:
		j.lateRun = 0
	}
	for i, s := range samples {
		k := (ts + uint32(i)) & jitterMask
		j.ring[k] = s
		j.have[k] = true
	}
	if end := ts + uint32(len(samples)); int32(end-j.newest) > 0 {
		j.newest = end
	}
}

// ReadFrame fills dst (at most half the ring) with the next len(dst)
// samples of play-out, concealing what is missing. It always returns
// len(dst), nil: a jitter buffer never ends. Before the first Put it
// returns silence.
func (j *JitterBuffer) ReadFrame(dst []int16) (int, error) {
	if len(dst) > jitterCap/2 {
		dst = dst[:jitterCap/2]
	}
	if !j.primed {
		clear(dst)
		return len(dst), nil
	}
	j.watchDrift()
	got := 0
	for i := range dst {
		k := (j.playout + uint32(i)) & jitterMask
		if j.have[k] {
			dst[i] = j.ring[k]
			j.have[k] = false
			got++
		} else {
			dst[i] = 0
		}
	}
	j.playout += uint32(len(dst))
	if got > 0 {
		j.prev, j.conceal, j.flowing = true, 0, true
		if len(dst) == FrameSamples {
			copy(j.last[:], dst)
		}
		return len(dst), nil
	}
	if !j.flowing {
		return len(dst), nil // before the first audio: plain silence
	}
	j.stats.Lost++
	if j.prev && j.conceal == 0 && len(dst) == FrameSamples {
		for i, s := range j.last {
			dst[i] = s / 2
		}
		j.stats.Concealed++
	}
	j.conceal++
	j.prev = false
	return len(dst), nil
}

// watchDrift skips a frame when the buffer held more than depth plus two
// frames for a whole window of reads.
func (j *JitterBuffer) watchDrift() {
	fill := int32(j.newest - j.playout)
	if j.reads == 0 || fill < j.minFill {
		j.minFill = fill
	}
	if j.reads++; j.reads < driftWindow {
		return
	}
	if j.minFill > int32(j.depth)+2*FrameSamples {
		for i := range uint32(FrameSamples) {
			j.have[(j.playout+i)&jitterMask] = false
		}
		j.playout += FrameSamples
		j.stats.Skipped++
	}
	j.reads = 0
}
