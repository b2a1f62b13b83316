package analog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/stream"
)

const (
	rtpHeaderLen = 12
	maxPacket    = 1500
	queueSlots   = 32

	// staleFrames is how much of the phone's audio right after the call
	// connects is sent to the far party as silence: the line's receive
	// queue (hal/line AudioFrames, 4 frames = 80 ms) may still hold the
	// phone's dialling (the final DTMF digit's tail) when the caller leg
	// is answered, and no one speaks within 80 ms of an answer.
	staleFrames = 4
)

// media is one leg's loopback RTP phone: a socket whose peer is the
// leg's relay endpoint. The receive goroutine queues what the endpoint
// sends; the port's audio pump (frame) sends one packet per port frame
// and plays the jitter buffer out. Nothing here allocates per packet.
type media struct {
	sock *net.UDPConn
	dst  netip.AddrPort // the endpoint's socket
	wg   sync.WaitGroup

	// The far end's audio: Tap from the receive goroutine, ReadFrame
	// from the pump.
	inbound *stream.Inbound

	// Owned by the pump goroutine (frame), under the line's lock.
	pt     uint8
	evPT   uint8  // telephone-event payload type; 0: none
	evTS   uint32 // timestamp of the last event played
	evSeen bool
	keys   *dtmf.Generator // far-end RFC 4733 digits, played in band
	ssrc   uint32
	seq    uint16
	ts     uint32
	marker bool
	// stale counts the frames still to be sent as silence (flushOutbound).
	stale int
	quiet hal.Frame // always silence
	pkt   [rtpHeaderLen + hal.FrameSamples]byte
}

// newMedia opens the loopback socket for ep and points ep at it.
func newMedia(ep *relay.Endpoint) (*media, error) {
	dst := ep.LocalAddr()
	loop := netip.MustParseAddr("127.0.0.1")
	if dst.Addr().Is6() && !dst.Addr().Is4In6() && !dst.Addr().IsUnspecified() {
		loop = netip.IPv6Loopback()
	}
	if dst.Addr().IsUnspecified() || !dst.Addr().IsValid() {
		dst = netip.AddrPortFrom(loop, dst.Port())
	}
	sock, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loop, 0)))
	if err != nil {
		return nil, fmt.Errorf("analog: loopback RTP socket: %w", err)
	}
	keys, err := dtmf.NewGenerator(dtmf.DefaultGeneratorConfig())
	if err != nil {
		sock.Close()
		return nil, err
	}
	m := &media{sock: sock, dst: dst, keys: keys, ssrc: rand.Uint32(),
		seq: uint16(rand.Uint32()), ts: rand.Uint32(), marker: true}
	if m.inbound, err = stream.NewInbound(queueSlots, 0, m.telephoneEvent); err != nil {
		sock.Close()
		return nil, err
	}
	ep.SetRemote(sock.LocalAddr().(*net.UDPAddr).AddrPort())
	m.wg.Add(1)
	go m.receive()
	return m, nil
}

// receive queues the audio packets the endpoint sends until the socket
// closes.
func (m *media) receive() {
	defer m.wg.Done()
	buf := make([]byte, maxPacket)
	for {
		n, src, err := m.sock.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if src.Port() != m.dst.Port() {
			continue // only the endpoint talks to this socket
		}
		if pt, ts, payload, ok := parseRTP(buf[:n]); ok {
			m.inbound.Tap(pt, ts, payload)
		}
	}
}

// parseRTP returns an RTP packet's payload type, timestamp and payload.
func parseRTP(b []byte) (pt uint8, ts uint32, payload []byte, ok bool) {
	if len(b) < rtpHeaderLen || b[0]>>6 != 2 {
		return 0, 0, nil, false
	}
	off := rtpHeaderLen + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 { // header extension
		if len(b) < off+4 {
			return 0, 0, nil, false
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	end := len(b)
	if b[0]&0x20 != 0 { // padding
		if end == 0 {
			return 0, 0, nil, false
		}
		end -= int(b[end-1])
	}
	if off > end {
		return 0, 0, nil, false
	}
	return b[1] & 0x7f, binary.BigEndian.Uint32(b[4:]), b[off:end], true
}

// flushOutbound drops the phone's audio queued toward the far party:
// the next staleFrames frames are sent as silence. The line's lock is
// held (as for frame).
func (m *media) flushOutbound() { m.stale = staleFrames }

// frame sends in (20 ms from the line) to the endpoint and fills out with
// the next 20 ms from it. Only the pump calls it.
func (m *media) frame(in, out *hal.Frame) {
	m.inbound.ReadFrame(out[:])
	if !m.keys.Done() {
		m.keys.Fill(out[:])
	}
	if m.stale > 0 {
		m.stale--
		in = &m.quiet
	}

	p := m.pkt[:]
	p[0] = 0x80
	p[1] = m.pt & 0x7f
	if m.marker {
		p[1] |= 0x80
		m.marker = false
	}
	binary.BigEndian.PutUint16(p[2:], m.seq)
	binary.BigEndian.PutUint32(p[4:], m.ts)
	binary.BigEndian.PutUint32(p[8:], m.ssrc)
	stream.Encode(m.pt, p[rtpHeaderLen:], in[:])
	m.seq++
	m.ts += hal.FrameSamples
	// A lost loopback packet is a lost packet; the relay's counters and
	// the media timeout see it.
	_, _ = m.sock.WriteToUDPAddrPort(p, m.dst)
}

// telephoneEvent is the inbound's EventFunc: an RFC 4733 packet of the
// leg's telephone-event type goes to event.
func (m *media) telephoneEvent(pt uint8, ts uint32, payload []byte) {
	if pt == m.evPT && m.evPT != 0 && len(payload) >= 4 {
		m.event(ts, payload[0])
	}
}

// event plays a telephone event the far end sent (RFC 4733: one event
// per timestamp, its packets repeated) as a DTMF tone to the line.
func (m *media) event(ts uint32, code uint8) {
	if m.evSeen && ts == m.evTS {
		return // a repeat or the end of the key already played
	}
	if d, ok := stream.EventDigit(code); ok {
		m.evTS, m.evSeen = ts, true
		_ = m.keys.Play(dtmfKeys[d])
	}
}

// dtmfKeys are one-key strings, so playing a key allocates nothing.
var dtmfKeys = func() (k [256]string) {
	for _, d := range "0123456789*#ABCD" {
		k[d] = string(d)
	}
	return k
}()

// close stops the receiver and closes the socket.
func (m *media) close() {
	m.sock.Close()
	m.wg.Wait()
}
