package hal

import (
	"context"
	"time"
)

// Audio format of every port: 8 kHz, 16-bit linear, 20 ms frames.
// Companding to µ-law or A-law happens at the bus edge (hal/pcm), never in
// the call core.
const (
	SampleRate    = 8000
	FrameSamples  = 160
	FrameDuration = 20 * time.Millisecond
)

// Frame is 20 ms of 8 kHz linear audio.
type Frame [FrameSamples]int16

// AudioStream is a port's audio, paced by the board's PCM clock.
type AudioStream interface {
	// ReadFrame fills f with the next 20 ms received from the line,
	// blocking until it is there, ctx ends or the port closes (ErrClosed).
	ReadFrame(ctx context.Context, f *Frame) error
	// WriteFrame queues 20 ms for the line without blocking. When the queue
	// is full the oldest frame is dropped; when it runs empty the line gets
	// silence (an underrun, counted).
	WriteFrame(f *Frame) error
}

// AudioPort is a port with an audio stream. Hardware and line-engine ports
// implement it.
type AudioPort interface {
	Port
	Audio() AudioStream
}
