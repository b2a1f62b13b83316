// Package cid is caller ID on analog lines: the data messages (Bell/ETSI
// MDMF and SDMF) with their checksum, the FSK modem that carries them (Bell
// 202 and V.23: a phase-continuous modulator and a non-coherent
// demodulator with UART framing), the DTMF caller-ID variants, the DT-AS
// alert tone, and Plans saying where in a ring cycle a region sends it
// (hal-notes 2.5). It is pure signal processing on 8 kHz 16-bit samples;
// the line engine (hal/line) decides when to play or listen.
//
// Message and DTMF decoders take outside input (a CO line) and are fuzzed.
package cid
