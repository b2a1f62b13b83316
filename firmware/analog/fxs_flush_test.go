package analog

import (
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/g711"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// TestConnectFlushesDialling: the frames the pump reads right after an
// FXS caller's call connects (answer or early media) may have been queued
// by the line before it, holding the end of the phone's dialling; the far
// party gets them as silence, then the phone's audio.
func TestConnectFlushesDialling(t *testing.T) {
	for _, tc := range []struct {
		name     string
		connects []func(l *fxsLine, leg *Leg) error
	}{
		{"answer", []func(*fxsLine, *Leg) error{(*fxsLine).answer}},
		{"early media", []func(*fxsLine, *Leg) error{(*fxsLine).progress}},
		{"answer after early media", []func(*fxsLine, *Leg) error{(*fxsLine).progress, (*fxsLine).answer}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, leg, far := newFlushRig(t)
			var in, out hal.Frame
			for i := range in { // loud: the last digit's tail
				in[i] = int16(8000 * math.Sin(2*math.Pi*941*float64(i)/hal.SampleRate))
			}
			if l.fill(&in, &out) {
				t.Fatal("audio sent before the call connected")
			}
			for _, connect := range tc.connects {
				if err := connect(l, leg); err != nil {
					t.Fatal(err)
				}
				for i := range staleFrames + 2 {
					if !l.fill(&in, &out) {
						t.Fatal("the pump sent nothing after the connect")
					}
					if loud, want := far.loud(t), i >= staleFrames; loud != want {
						t.Fatalf("frame %d after the connect: loud %v, want %v", i, loud, want)
					}
				}
			}
		})
	}
}

// farEnd stands for the leg's relay endpoint: it reads what the loopback
// phone sends.
type farEnd struct{ conn *net.UDPConn }

// loud reads the next packet and reports whether its PCMU audio is
// louder than silence.
func (f farEnd) loud(t *testing.T) bool {
	t.Helper()
	buf := make([]byte, maxPacket)
	if err := f.conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := f.conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	_, _, payload, ok := parseRTP(buf[:n])
	if !ok {
		t.Fatalf("not RTP: % x", buf[:n])
	}
	pcm := make([]int16, len(payload))
	g711.DecodeUlaw(pcm, payload)
	for _, s := range pcm {
		if s > 1000 || s < -1000 {
			return true
		}
	}
	return false
}

// newFlushRig is an FXS line with a dialled caller leg (PCMU) whose
// loopback phone sends to far instead of its endpoint.
func newFlushRig(t *testing.T) (*fxsLine, *Leg, farEnd) {
	t.Helper()
	pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 45000, Max: 45998})
	if err != nil {
		t.Fatal(err)
	}
	l := &fxsLine{name: "fxs0"}
	leg, err := newLeg(l, "fxs0", pool)
	if err != nil {
		t.Fatal(err)
	}
	far, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leg.finish(); far.Close() })
	leg.setFormats([]sdp.Format{sdp.PCMU})
	leg.m.dst = far.LocalAddr().(*net.UDPAddr).AddrPort()
	l.state, l.leg = fxsCalling, leg
	return l, leg, farEnd{far}
}
