package srtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/pion/rtp"
	pionsrtp "github.com/pion/srtp/v2"
	"github.com/pion/transport/v2/replaydetector"
)

const (
	// ReplayWindow is the Decrypter's replay window in packets, as
	// srtp.SRTPReplayProtection(64).
	ReplayWindow = 64
	// maxSSRCs bounds how many SSRCs one Decrypter keeps state for. A
	// phone uses one, or a few across holds and re-INVITEs.
	maxSSRCs = 64
	// probeRebuildAfter is how many packets of unknown SSRCs the probe
	// context sees before it is thrown away with their state.
	probeRebuildAfter = 32
	// rtpHeaderSize is the fixed part of an RTP header.
	rtpHeaderSize = 12
)

// Per-packet errors. They are returned bare (not wrapped) so that a flood
// of bad packets costs no allocations of ours.
var (
	// ErrAuthFailed: the packet's authentication tag (or MKI) does not
	// match; it was forged, corrupted or protected with another key.
	ErrAuthFailed = errors.New("srtp: authentication failed")
	// ErrReplayed: the packet was already received, or is older than
	// the replay window.
	ErrReplayed = errors.New("srtp: replayed packet")
	// ErrMalformedPacket: not an RTP packet, or too short to carry the
	// tag.
	ErrMalformedPacket = errors.New("srtp: malformed packet")
	// ErrTooManySSRCs: the stream already used the most SSRCs a
	// Decrypter keeps state for.
	ErrTooManySSRCs = errors.New("srtp: too many SSRCs in one stream")
)

// Encrypter protects the RTP packets sent to one far phone.
//
// An Encrypter is not safe for concurrent use: exactly one goroutine may
// use it at a time.
type Encrypter struct {
	key      Key
	overhead int
	ctx      *pionsrtp.Context
	header   rtp.Header // reused so pion does not allocate one per packet
}

// NewEncrypter returns an Encrypter for key (normally our own, local key).
func NewEncrypter(key Key) (*Encrypter, error) {
	ctx, err := newContext(key)
	if err != nil {
		return nil, fmt.Errorf("srtp: new encrypter: %w", err)
	}
	return &Encrypter{key: key, overhead: key.Overhead(), ctx: ctx}, nil
}

// Overhead is how many bytes Encrypt adds to a packet.
func (e *Encrypter) Overhead() int { return e.overhead }

// Suite returns the suite the Encrypter was made for.
func (e *Encrypter) Suite() Suite { return e.key.Suite }

// Encrypt protects the RTP packet pkt into dst's storage and returns the
// SRTP packet, dst[:n]. cap(dst) must be at least len(pkt)+Overhead(),
// else io.ErrShortBuffer; dst and pkt must not overlap. pkt is not
// modified. The header is re-marshalled by pion: a one-byte or two-byte
// header extension may lose padding between its elements.
func (e *Encrypter) Encrypt(dst, pkt []byte) ([]byte, error) {
	if _, ok := rtpHeaderLen(pkt); !ok {
		return nil, ErrMalformedPacket
	}
	if cap(dst) < len(pkt)+e.overhead {
		return nil, io.ErrShortBuffer
	}
	out, err := e.ctx.EncryptRTP(dst[:0], pkt, &e.header)
	if err != nil {
		// Only a header pion cannot parse, or 2^48 packets on one
		// key.
		return nil, fmt.Errorf("srtp: encrypt: %w", err)
	}
	return out, nil
}

// Decrypter checks and decrypts the SRTP packets received from one far
// phone, with replay protection.
//
// A Decrypter is not safe for concurrent use: exactly one goroutine may use
// it at a time.
type Decrypter struct {
	key      Key
	overhead int
	// main holds the state (rollover counter, replay window) of the
	// SSRCs listed in known: only SSRCs whose packets authenticated.
	main  *pionsrtp.Context
	known []uint32
	// probe tries the packets of SSRCs not in known. Failed attempts
	// leave pion's per-SSRC state untouched apart from creating it, so
	// the probe is discarded every probeRebuildAfter packets; forged
	// packets with random SSRCs cannot grow memory.
	probe     *pionsrtp.Context
	probeUses int
	header    rtp.Header // reused so pion does not allocate one per packet
	replayed  bool       // set by a replay window that rejected the packet
}

// NewDecrypter returns a Decrypter for key (normally the remote key).
func NewDecrypter(key Key) (*Decrypter, error) {
	d := &Decrypter{key: key, overhead: key.Overhead()}
	main, err := d.newContext()
	if err != nil {
		return nil, fmt.Errorf("srtp: new decrypter: %w", err)
	}
	d.main = main
	return d, nil
}

// Overhead is how many bytes Decrypt removes from a packet.
func (d *Decrypter) Overhead() int { return d.overhead }

// Suite returns the suite the Decrypter was made for.
func (d *Decrypter) Suite() Suite { return d.key.Suite }

// Decrypt authenticates the SRTP packet pkt, checks it against the replay
// window, and decrypts it into dst's storage, returning the RTP packet
// dst[:n]. cap(dst) must be at least len(pkt)-Overhead(), else
// io.ErrShortBuffer; dst and pkt must not overlap. pkt is not modified.
//
// Errors: ErrMalformedPacket, ErrAuthFailed, ErrReplayed,
// ErrTooManySSRCs, io.ErrShortBuffer, returned bare; anything else from
// pion wraps ErrMalformedPacket.
func (d *Decrypter) Decrypt(dst, pkt []byte) ([]byte, error) {
	hdr, ok := rtpHeaderLen(pkt)
	if !ok || len(pkt) < hdr+d.overhead {
		return nil, ErrMalformedPacket
	}
	if cap(dst) < len(pkt)-d.overhead {
		return nil, io.ErrShortBuffer
	}
	ssrc := binary.BigEndian.Uint32(pkt[8:])
	if !d.isKnown(ssrc) {
		return d.decryptNewSSRC(dst, pkt, ssrc)
	}
	return d.decrypt(d.main, dst, pkt)
}

// isKnown reports whether ssrc authenticated before. The list is tiny and
// the current SSRC is the newest entry, so search from the end.
func (d *Decrypter) isKnown(ssrc uint32) bool {
	for i := len(d.known) - 1; i >= 0; i-- {
		if d.known[i] == ssrc {
			return true
		}
	}
	return false
}

// decryptNewSSRC tries a packet of an SSRC without state on the probe
// context. When it authenticates, the SSRC becomes known and the packet
// is decrypted again on the main context, whose state for the SSRC is
// fresh: that starts its rollover counter and replay window exactly as if
// the main context had seen it first.
func (d *Decrypter) decryptNewSSRC(dst, pkt []byte, ssrc uint32) ([]byte, error) {
	if len(d.known) >= maxSSRCs {
		return nil, ErrTooManySSRCs
	}
	if d.probe == nil || d.probeUses >= probeRebuildAfter {
		probe, err := d.newContext()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedPacket, err) // cannot happen: the key was checked
		}
		d.probe, d.probeUses = probe, 0
	}
	d.probeUses++
	if _, err := d.decrypt(d.probe, dst, pkt); err != nil {
		return nil, err
	}
	out, err := d.decrypt(d.main, dst, pkt)
	if err != nil {
		return nil, err
	}
	d.known = append(d.known, ssrc)
	return out, nil
}

func (d *Decrypter) decrypt(ctx *pionsrtp.Context, dst, pkt []byte) ([]byte, error) {
	d.replayed = false
	out, err := ctx.DecryptRTP(dst[:0], pkt, &d.header)
	switch {
	case err == nil:
		return out, nil
	case d.replayed:
		return nil, ErrReplayed
	case errors.Is(err, pionsrtp.ErrFailedToVerifyAuthTag), errors.Is(err, pionsrtp.ErrMKINotFound):
		return nil, ErrAuthFailed
	default:
		return nil, fmt.Errorf("%w: %w", ErrMalformedPacket, err)
	}
}

func (d *Decrypter) newContext() (*pionsrtp.Context, error) {
	return newContext(d.key, pionsrtp.SRTPReplayDetectorFactory(func() replaydetector.ReplayDetector {
		return newReplayWindow(&d.replayed)
	}))
}

// newContext validates key and creates a pion context for it.
func newContext(key Key, opts ...pionsrtp.ContextOption) (*pionsrtp.Context, error) {
	if err := key.Validate(); err != nil {
		return nil, err
	}
	if len(key.MKI) > 0 {
		opts = append(slices.Clip(opts), pionsrtp.MasterKeyIndicator(key.MKI))
	}
	ctx, err := pionsrtp.CreateContext(key.Master, key.Salt, suiteTable[key.Suite].profile, opts...)
	if err != nil {
		return nil, fmt.Errorf("create %v context: %w", key.Suite, err)
	}
	return ctx, nil
}

// rtpHeaderLen checks that pkt starts with a complete RTP version 2 header
// (fixed part, CSRCs, header extension) and returns its length.
func rtpHeaderLen(pkt []byte) (int, bool) {
	if len(pkt) < rtpHeaderSize || pkt[0]>>6 != 2 {
		return 0, false
	}
	n := rtpHeaderSize + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 {
		if len(pkt) < n+4 {
			return 0, false
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(pkt[n+2:]))
	}
	return n, n <= len(pkt)
}
