package apiext

import (
	"context"
	"fmt"
	"io"

	"github.com/gatepbx/gatepbx/media/stream"
)

// FrameFunc is one 20 ms step of a frame exchange on a leg (a Contact ID
// sender or receiver's Process): in is what the far party sent during
// the frame (8 kHz linear, silence where nothing arrived), out is filled
// with what to send. done ends the exchange after out is sent; an error
// ends it at once. It runs on the agent's pacing goroutine and must not
// block; it may keep neither slice.
type FrameFunc func(in, out []int16) (done bool, err error)

// exchangeQueueSlots is how many far-end packets wait between the
// endpoint's reader and the pacer (320 ms of 20 ms packets).
const exchangeQueueSlots = 16

// exchange is the agent's source while a FrameFunc runs: the far end's
// audio, taken from the agent's taps as 20 ms frames, is fn's in; fn's
// out is what the pacer sends. Nothing is allocated per frame.
type exchange struct {
	fn      FrameFunc
	inbound *stream.Inbound
	in      [stream.FrameSamples]int16
}

func newExchange(fn FrameFunc) (*exchange, error) {
	in, err := stream.NewInbound(exchangeQueueSlots, stream.DefaultJitterDepth, nil)
	if err != nil {
		return nil, fmt.Errorf("apiext: exchange: %w", err)
	}
	return &exchange{fn: fn, inbound: in}, nil
}

// ReadFrame implements stream.Source: one step of fn per frame the pacer
// sends. fn's done is io.EOF after the frame, its error the source's.
func (x *exchange) ReadFrame(dst []int16) (int, error) {
	_, _ = x.inbound.ReadFrame(x.in[:]) // never fails; a gap reads as silence
	out := dst[:min(len(dst), stream.FrameSamples)]
	done, err := x.fn(x.in[:], out)
	switch {
	case err != nil:
		return 0, err
	case done:
		return len(out), io.EOF
	}
	return len(out), nil
}

// Close implements player.Source.
func (x *exchange) Close() error { return nil }

// Exchange runs fn once per 20 ms frame on the leg's audio until fn is
// done (nil), fails (its error) or ctx ends (ctx's error; the leg's hang-
// up ends the script's context). The call must be answered and bridged.
// Meanwhile fn's audio replaces the prompts and silence the agent sends;
// the far party's audio still reaches the DTMF listener and recorders.
func (l *Leg) Exchange(ctx context.Context, fn FrameFunc) error {
	x, err := newExchange(fn)
	if err != nil {
		return err
	}
	remove := l.media.taps.Add(x.inbound.Tap)
	defer remove()
	return l.media.play(ctx, x)
}
