package stream

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Writer sends one RTP packet; *relay.Endpoint satisfies it. The packet's
// header may be rewritten in place; the Pacer reuses the buffer afterwards.
type Writer interface {
	WritePacket(b []byte) error
}

// PacerConfig sets up a Pacer.
type PacerConfig struct {
	// PayloadType is the audio codec: PayloadPCMU or PayloadPCMA.
	PayloadType uint8
	// EventPayloadType is the negotiated telephone-event payload type
	// (96-127); 0 means none, and SendDTMF then fails.
	EventPayloadType uint8
	// SSRC of the packets (a relay endpoint replaces it with its own);
	// 0 picks a random one. The first sequence number and timestamp are
	// random, as RFC 3550 asks.
	SSRC uint32
	// Clock paces the packets; nil means SystemClock.
	Clock Clock
}

// PacerStats counts what a Pacer did.
type PacerStats struct {
	Packets     uint64 // packets written successfully
	WriteErrors uint64 // packets the Writer refused (no remote yet, busy)
	Rebased     uint64 // times the pacer fell more than maxBurst frames behind
}

// maxBurst bounds how many due frames one late tick catches up on; when
// further behind, the schedule restarts from now.
const maxBurst = 3

const rtpHeaderSize = 12

// Pacer plays audio and telephone events onto one RTP stream. The stream's
// sequence number and timestamp are continuous across Play and SendDTMF
// calls (the timestamp also advances for the time between them), and the
// first packet of each call carries the marker bit. Calls are serialised:
// a second Play waits for the first to end.
type Pacer struct {
	w     Writer
	clock Clock
	pt    uint8
	evPT  uint8
	ssrc  uint32

	mu       sync.Mutex // serialises Play and SendDTMF; guards the rest
	buf      [rtpHeaderSize + FrameSamples]byte
	pcm      [FrameSamples]int16
	seq      uint16
	ts       uint32 // timestamp of the next frame slot
	started  bool
	lastSlot time.Time // time of the last frame slot used
	stats    PacerStats
}

// NewPacer returns a Pacer writing to w.
func NewPacer(w Writer, cfg PacerConfig) (*Pacer, error) {
	if w == nil {
		return nil, errors.New("stream: pacer needs a writer")
	}
	if err := checkPayloadType(cfg.PayloadType); err != nil {
		return nil, err
	}
	if cfg.EventPayloadType != 0 && (cfg.EventPayloadType < 96 || cfg.EventPayloadType > 127) {
		return nil, fmt.Errorf("stream: telephone-event payload type %d outside 96-127", cfg.EventPayloadType)
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.SSRC == 0 {
		cfg.SSRC = rand.Uint32() | 1
	}
	return &Pacer{
		w: w, clock: cfg.Clock, pt: cfg.PayloadType, evPT: cfg.EventPayloadType, ssrc: cfg.SSRC,
		seq: uint16(rand.Uint32()), ts: rand.Uint32(),
	}, nil
}

// Stats returns the counters. It waits while a Play or SendDTMF runs.
func (p *Pacer) Stats() PacerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// schedule runs emit once per 20 ms frame slot: immediately for the first
// slot, then on ticks, catching up at most maxBurst slots per tick. emit
// returns false to stop. The frame timestamp p.ts advances by one frame
// per slot whatever emit sends.
func (p *Pacer) schedule(ctx context.Context, emit func(first bool) (more bool, err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := p.clock.Now()
	if p.started {
		// Advance the timestamp over the idle time since the last slot.
		if gap := now.Sub(p.lastSlot); gap > FrameDuration {
			p.ts += uint32(gap/FrameDuration-1) * FrameSamples
		}
	}
	ticker := p.clock.NewTicker(FrameDuration)
	defer ticker.Stop()
	start := now
	var done int64 // slots used since start
	for {
		due := int64(p.clock.Now().Sub(start)/FrameDuration) + 1
		if due-done > maxBurst {
			p.stats.Rebased++
			start = p.clock.Now().Add(-time.Duration(done+maxBurst-1) * FrameDuration)
			due = done + maxBurst
		}
		for ; done < due; done++ {
			more, err := emit(done == 0)
			p.lastSlot = start.Add(time.Duration(done) * FrameDuration)
			p.ts += FrameSamples
			if err != nil || !more {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C():
		}
	}
}

// write sends p.buf[:n] as the next packet.
func (p *Pacer) write(n int, pt uint8, marker bool, ts uint32) error {
	b := p.buf[:n]
	b[0] = 0x80
	b[1] = pt
	if marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], p.seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], p.ssrc)
	p.seq++
	if err := p.w.WritePacket(b); err != nil {
		p.stats.WriteErrors++
		if errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("stream: pacer write: %w", err)
		}
		return nil
	}
	p.stats.Packets++
	return nil
}

// Play sends src, one frame per 20 ms, until src ends (nil), ctx is
// cancelled (ctx.Err(), promptly: barge-in), src fails or the writer is
// closed. A final partial frame is padded with silence. Packets the writer
// refuses otherwise (no remote yet, busy) are counted and skipped.
func (p *Pacer) Play(ctx context.Context, src Source) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.schedule(ctx, func(first bool) (bool, error) {
		n, err := src.ReadFrame(p.pcm[:])
		if err != nil && !errors.Is(err, io.EOF) {
			return false, fmt.Errorf("stream: play: read source: %w", err)
		}
		if n > 0 {
			clear(p.pcm[n:])
			Encode(p.pt, p.buf[rtpHeaderSize:], p.pcm[:])
			if werr := p.write(rtpHeaderSize+FrameSamples, p.pt, first || !p.started, p.ts); werr != nil {
				return false, werr
			}
			p.started = true
		}
		return err == nil, nil
	})
	return err
}

// DTMFOptions shape RFC 4733 events; zero fields take the defaults.
type DTMFOptions struct {
	Duration time.Duration // tone length per digit; default 100 ms, at least 40 ms
	Gap      time.Duration // from a digit's end to the next digit's start; default 100 ms, at least 60 ms
	Volume   uint8         // power level in -dBm0 (0-63); default 10
}

// EventCode maps a DTMF digit (0-9, *, #, A-D, a-d) to its RFC 4733 event
// code.
func EventCode(d byte) (uint8, bool) {
	switch {
	case d >= '0' && d <= '9':
		return d - '0', true
	case d == '*':
		return 10, true
	case d == '#':
		return 11, true
	case d >= 'A' && d <= 'D':
		return d - 'A' + 12, true
	case d >= 'a' && d <= 'd':
		return d - 'a' + 12, true
	}
	return 0, false
}

// EventDigit maps an RFC 4733 event code 0-15 to its digit.
func EventDigit(code uint8) (byte, bool) {
	const digits = "0123456789*#ABCD"
	if int(code) >= len(digits) {
		return 0, false
	}
	return digits[code], true
}

// endRepeats is how many times the end packet of an event is sent.
const endRepeats = 3

// SendDTMF sends digits as RFC 4733 telephone events on the stream: per
// digit a start packet (marker set), a continuation every 20 ms with the
// growing duration, and three end packets (E bit) 20 ms apart, all with the
// event's start timestamp and new sequence numbers; then a silent gap. It
// returns when all digits are sent or ctx is cancelled.
func (p *Pacer) SendDTMF(ctx context.Context, digits string, opts DTMFOptions) error {
	if p.evPT == 0 {
		return errors.New("stream: send DTMF: no telephone-event payload type negotiated")
	}
	if opts.Duration == 0 {
		opts.Duration = 100 * time.Millisecond
	}
	if opts.Gap == 0 {
		opts.Gap = 100 * time.Millisecond
	}
	if opts.Volume == 0 {
		opts.Volume = 10
	}
	if opts.Duration < 40*time.Millisecond || opts.Duration > 5*time.Second {
		return fmt.Errorf("stream: send DTMF: duration %v outside 40ms-5s", opts.Duration)
	}
	if opts.Gap < endRepeats*FrameDuration || opts.Gap > 5*time.Second {
		return fmt.Errorf("stream: send DTMF: gap %v outside 60ms-5s", opts.Gap)
	}
	if opts.Volume > 63 {
		return fmt.Errorf("stream: send DTMF: volume %d outside 0-63", opts.Volume)
	}
	codes := make([]uint8, len(digits))
	for i := range len(digits) {
		c, ok := EventCode(digits[i])
		if !ok {
			return fmt.Errorf("stream: send DTMF: %q at position %d is not a DTMF digit", digits[i], i)
		}
		codes[i] = c
	}
	if len(codes) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	toneSlots := int((opts.Duration + FrameDuration - 1) / FrameDuration)
	gapSlots := int((opts.Gap + FrameDuration - 1) / FrameDuration)
	perDigit := toneSlots + gapSlots
	slot := 0
	var evTS uint32
	return p.schedule(ctx, func(bool) (bool, error) {
		digit, k := slot/perDigit, slot%perDigit
		slot++
		more := slot < len(codes)*perDigit
		if k == 0 {
			evTS = p.ts
		}
		if k >= toneSlots-1+endRepeats {
			return more, nil // silent part of the gap
		}
		end := k >= toneSlots-1
		dur := uint16(min(k+1, toneSlots) * FrameSamples)
		pl := p.buf[rtpHeaderSize : rtpHeaderSize+4]
		pl[0] = codes[digit]
		pl[1] = opts.Volume
		if end {
			pl[1] |= 0x80
		}
		binary.BigEndian.PutUint16(pl[2:], dur)
		err := p.write(rtpHeaderSize+4, p.evPT, k == 0, evTS)
		p.started = true
		return more, err
	})
}
