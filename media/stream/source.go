package stream

import (
	"fmt"
	"io"
	"time"

	"github.com/gatepbx/gatepbx/media/dtmf"
)

const (
	// SampleRate is the linear audio rate: 8 kHz.
	SampleRate = 8000
	// FrameSamples is one 20 ms frame at SampleRate.
	FrameSamples = 160
	// FrameDuration is the length of one frame.
	FrameDuration = 20 * time.Millisecond
)

// Source produces 8 kHz 16-bit mono linear audio. ReadFrame fills dst
// (normally FrameSamples long) and returns how many samples it wrote; it
// returns io.EOF, with n == 0 or with the final partial frame, at the end.
// *wav.Reader satisfies it.
type Source interface {
	ReadFrame(dst []int16) (int, error)
}

// toneFiller is what DTMFTones drives: dtmf.Generator.
type toneFiller interface {
	Fill(dst []int16) (done bool)
	Done() bool
}

// fillSource adapts a generator that zero-fills after its end to a
// Source that ends with io.EOF.
type fillSource struct{ g toneFiller }

func (s fillSource) ReadFrame(dst []int16) (int, error) {
	if s.g.Done() {
		return 0, io.EOF
	}
	s.g.Fill(dst)
	return len(dst), nil
}

// DTMFTones returns a Source playing digits as in-band DTMF (each digit a
// tone burst then silence, as cfg says), ending after the last digit's
// silence.
func DTMFTones(digits string, cfg dtmf.GeneratorConfig) (Source, error) {
	g, err := dtmf.NewGenerator(cfg)
	if err != nil {
		return nil, fmt.Errorf("stream: in-band DTMF: %w", err)
	}
	if err := g.Play(digits); err != nil {
		return nil, fmt.Errorf("stream: in-band DTMF: %w", err)
	}
	return fillSource{g}, nil
}
