// Package pcm is the audio path between a board's PCM highway and its
// ports: the highway carries one time slot per channel in every 8 kHz
// frame (8-bit µ-law/A-law or 16-bit linear); the Pump reads one 20 ms
// block from the Device, splits it by slot, expands it to linear and hands
// each port its frame (RxFrame), then collects each port's outgoing frame
// (TxFrame), compresses and interleaves it and writes the block back. The
// PCM clock paces everything: the Pump never sleeps.
//
// Underruns and overruns (xruns) on the device are counted and recovered
// from; a port that has nothing to send is sent silence by the line
// engine. Unused slots carry the format's idle code.
//
// # ALSA without cgo
//
// On Linux, OpenALSA drives a kernel PCM device directly through its
// ioctls (hw_params refinement, prepare, interleaved read/write), as
// tinyalsa does, with the highway's slots as interleaved channels. What
// cannot be tested without hardware: that the Pi's PCM/I2S block, under a
// simple-audio-card device-tree overlay, really runs as an 8 kHz highway
// master with the requested slot count and DSP frame format, the PCLK and
// FSYNC the ProSLIC and DAA PLLs accept, and the real latency and xrun
// behaviour (hal-notes 3.5). The ioctl numbers and structure layouts are
// tested against the kernel ABI values for 32- and 64-bit ARM; the
// framing, companding, slot mapping and xrun handling are tested with a
// fake Device.
package pcm
