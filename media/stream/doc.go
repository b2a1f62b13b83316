// Package stream moves 8 kHz 16-bit mono linear audio between local
// producers and consumers and RTP: the common currency is a 20 ms frame
// of 160 samples.
//
// Outbound, a Pacer plays a Source onto an RTP writer (a relay endpoint's
// WritePacket) as PCMU or PCMA, one packet every 20 ms on an injected
// clock, with continuous sequence numbers and timestamps across calls,
// the marker bit on the first packet of every talkspurt, and a prompt
// return when its context is cancelled (barge-in). The same Pacer sends
// RFC 4733 telephone events (SendDTMF) on the same numbering; DTMFTones
// makes in-band DTMF as a Source.
//
// Inbound, relay audio taps run on the endpoint's reader goroutine and
// must not block. A Queue is such a tap: it copies each payload into a
// bounded single-producer ring (full ring: the packet is dropped and
// counted) and wakes its consumer without allocating. The consumer decodes
// (Decode) and, when it needs evenly timed frames (analog ports,
// recorders), feeds a JitterBuffer: it orders audio by RTP timestamp,
// plays out at a fixed depth, conceals a lost frame by one attenuated
// repeat then silence, and re-synchronises on stream jumps. A TapMux lets
// several consumers share one endpoint's single tap.
//
// Nothing here allocates per frame or per packet in steady state; the
// tests check that with testing.AllocsPerRun.
package stream
