package pbx

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// Sound is what the appliance itself plays to a party that is not bridged
// to another one.
type Sound int

// The sounds a call plays.
const (
	SoundNone        Sound = iota
	SoundMusicOnHold       // a held party
	SoundRingback          // the transferee while the transfer target rings
	SoundCongestion        // the transferee when the transfer failed and the transferor is gone
)

func (s Sound) String() string {
	switch s {
	case SoundNone:
		return "none"
	case SoundMusicOnHold:
		return "music-on-hold"
	case SoundRingback:
		return "ringback"
	case SoundCongestion:
		return "congestion"
	}
	return fmt.Sprintf("sound(%d)", int(s))
}

// PacketWriter takes locally made RTP packets towards one party; a relay
// endpoint is one (relay.Endpoint.WritePacket).
type PacketWriter interface {
	WritePacket(b []byte) error
}

// Player plays the appliance's own audio to a party.
type Player interface {
	// Play starts s towards w in format f (the party's negotiated audio
	// format) and returns a function that stops it and returns once no
	// more packet will be written.
	Play(w PacketWriter, f sdp.Format, s Sound) (stop func())
}

// Sounds opens the audio behind the sounds; media/player's Library is
// one (music on hold from the data dir or its built-in melody, regional
// tones).
type Sounds interface {
	MusicOnHold(ctx context.Context) (player.Source, error)
	Tone(region string, kind tone.Kind) (player.Source, error)
}

// StreamPlayer is the Player of the appliance: sounds from a Sounds,
// G.711-encoded and paced by media/stream onto the party's endpoint.
type StreamPlayer struct {
	lib   Sounds
	log   *slog.Logger
	clock stream.Clock // nil: real time
}

// NewStreamPlayer plays lib's sounds (tones of lib's default region).
func NewStreamPlayer(lib Sounds, log *slog.Logger) *StreamPlayer {
	if log == nil {
		log = slog.Default()
	}
	return &StreamPlayer{lib: lib, log: log}
}

// open opens the audio of s.
func (p *StreamPlayer) open(ctx context.Context, s Sound) (player.Source, error) {
	switch s {
	case SoundMusicOnHold:
		return p.lib.MusicOnHold(ctx)
	case SoundRingback:
		return p.lib.Tone("", tone.Ringback)
	case SoundCongestion:
		return p.lib.Tone("", tone.Congestion)
	}
	return nil, fmt.Errorf("pbx: no audio for sound %v", s)
}

// Play implements Player. Formats other than G.711 play nothing (the
// transcoding issue brings more); so does audio that fails to open
// (logged).
func (p *StreamPlayer) Play(w PacketWriter, f sdp.Format, s Sound) (stop func()) {
	pacer, err := stream.NewPacer(w, stream.PacerConfig{PayloadType: f.PT, Clock: p.clock})
	if err != nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	src, err := p.open(ctx, s)
	if err != nil {
		p.log.Warn("sound not played", "sound", s, "err", err)
		cancel()
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer src.Close()
		// Ends when stopped, or when the endpoint is closed under it.
		if err := pacer.Play(ctx, src); err != nil && ctx.Err() == nil {
			p.log.Debug("sound ended", "sound", s, "err", err)
		}
	}()
	return func() { cancel(); <-done }
}

// audioFormat is the first real audio format of a leg's negotiated list.
func audioFormat(fs []sdp.Format) sdp.Format {
	for _, f := range fs {
		if !strings.EqualFold(f.Name, "telephone-event") && !strings.EqualFold(f.Name, "CN") {
			return f
		}
	}
	return sdp.Format{}
}
