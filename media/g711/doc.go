// Package g711 converts between 16-bit linear PCM and ITU-T G.711 µ-law
// (PCMU) and A-law (PCMA), and transcodes directly between the two laws.
//
// Every conversion is a lookup in a table generated ahead of time by
// gen.go (`go generate`) into tables.go, so the package has no init-time or
// mutable state and converts a 20 ms frame without allocating.
//
// The encoders reproduce the ITU-T G.191 reference implementation of G.711
// bit for bit: µ-law looks at the top 14 bits of a sample and A-law at the
// top 12 (its two lowest segments share one step size, so the 13th bit never
// matters), negative samples are taken in one's complement, and µ-law clips
// magnitudes above 8158 (14-bit units). The decoders return the G.711
// reconstruction values scaled to 16 bits: µ-law spans ±32124, A-law ±32256.
//
// UlawToAlaw and AlawToUlaw are defined as decoding with one law and
// encoding with the other, precomputed into 256-byte tables, so bridging
// PCMU to PCMA gives exactly the bytes that the linear path would. G.711's
// own conversion tables (its Tables 3 and 4) break near-ties the other way
// in 76 of the 512 entries; both round trips restore 240 of 256 codes, and
// the linear definition has the smaller total error, so we keep one
// definition for both paths.
//
// The functions that take slices convert min(len(dst), len(src)) samples
// and return that count, like copy. dst and src may be the same slice for
// the byte-to-byte transcoders.
package g711

//go:generate go run gen.go
