// Package srtp protects one call leg's RTP with SRTP keyed by SDES: it
// reads and writes RFC 4568 `a=crypto` attributes and wraps pion/srtp/v2
// in per-direction contexts that work on caller-provided buffers.
//
// # SDES
//
// ParseCrypto reads one a=crypto value
// (`<tag> <suite> inline:<base64 key||salt>[|lifetime][|MKI:length] [params]`).
// Two suites are supported, AES_CM_128_HMAC_SHA1_80 and
// AES_CM_128_HMAC_SHA1_32; anything else is rejected with
// ErrUnsupportedSuite. Offer makes our own attributes with fresh keys from
// crypto/rand; Answer picks the first usable attribute of a remote offer,
// echoes its tag and answers with a key of our own; MatchAnswer pairs a
// remote answer with the offer we sent. The result, Negotiated, names the
// local key (encrypts what we send) and the remote key (decrypts what we
// receive).
//
// Key material never appears in errors or in String/GoString output; only
// Crypto.Value, which builds the SDP attribute, spells it out.
//
// # Contexts
//
// An Encrypter protects the packets we send to one far phone; a Decrypter
// checks and decrypts the packets that phone sends us, with replay
// protection on (a 64-packet window, as srtp.SRTPReplayProtection(64)).
// Neither is safe for concurrent use: each must be owned by exactly one
// goroutine at a time (in the relay, the reader goroutine for a Decrypter
// and whoever holds the destination's rewriter for an Encrypter).
//
// Per-packet errors are the bare sentinels ErrAuthFailed, ErrReplayed,
// ErrMalformedPacket, ErrTooManySSRCs and io.ErrShortBuffer, so that a
// flood of bad packets costs no allocations of ours. pion/srtp/v2 itself
// still allocates a few small objects per packet (see the benchmarks).
//
// A Decrypter keeps pion's per-SSRC state only for SSRCs whose packets
// authenticated: the first packets of an unknown SSRC are tried on a
// separate, regularly discarded context, so forged packets with random
// SSRCs cannot grow memory.
//
// SRTCP is not handled: the relay terminates RTCP.
package srtp
