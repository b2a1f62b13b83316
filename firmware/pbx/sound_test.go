package pbx

import (
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/g711"
	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// TestStreamPlayerSendsAudio plays each sound through a real relay endpoint
// to a UDP socket and checks what arrives: RTP of the leg's payload type,
// consecutive sequence numbers, and audible energy.
func TestStreamPlayerSendsAudio(t *testing.T) {
	lib, err := player.New(player.Options{Region: "us"}) // built-in hold melody
	if err != nil {
		t.Fatal(err)
	}
	p := NewStreamPlayer(lib, nil)
	pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 44000, Max: 44998})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sound  Sound
		format sdp.Format
		decode func([]int16, []byte) int
	}{
		{SoundMusicOnHold, sdp.PCMA, g711.DecodeAlaw},
		{SoundRingback, sdp.PCMU, g711.DecodeUlaw},
		{SoundCongestion, sdp.PCMA, g711.DecodeAlaw},
	}
	for _, tc := range tests {
		t.Run(tc.sound.String(), func(t *testing.T) {
			phone, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer phone.Close()
			ep, err := pool.Allocate()
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			ep.SetRemote(phone.LocalAddr().(*net.UDPAddr).AddrPort())
			stop := p.Play(ep, tc.format, tc.sound)
			var energy float64
			var lastSeq uint16
			pcm := make([]int16, stream.FrameSamples)
			buf := make([]byte, 1500)
			const frames = 50 // 1 s: every cadence sounds in its first second
			for i := range frames {
				if err := phone.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
					t.Fatal(err)
				}
				n, err := phone.Read(buf)
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if n != 12+stream.FrameSamples || buf[1]&0x7f != tc.format.PT {
					t.Fatalf("packet %d: %d bytes, payload type %d", i, n, buf[1]&0x7f)
				}
				seq := binary.BigEndian.Uint16(buf[2:])
				if i > 0 && seq != lastSeq+1 {
					t.Fatalf("sequence jumps from %d to %d", lastSeq, seq)
				}
				lastSeq = seq
				tc.decode(pcm, buf[12:n])
				for _, s := range pcm {
					energy += float64(s) * float64(s)
				}
			}
			stop()
			if rms := math.Sqrt(energy / (frames * stream.FrameSamples)); rms < 100 {
				t.Fatalf("RMS %.1f: no audible sound", rms)
			}
		})
	}
	t.Run("other codecs play nothing", func(t *testing.T) {
		stop := p.Play(nil, sdp.Format{PT: 18, Name: "G729"}, SoundMusicOnHold)
		stop()
	})
}
