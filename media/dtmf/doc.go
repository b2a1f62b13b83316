// Package dtmf detects and generates in-band DTMF (touch-tone) digits in
// 8 kHz 16-bit linear audio.
//
// # Detection
//
// The Detector follows the design of Asterisk's dsp.c and spandsp's dtmf.c
// (hal-notes §2.4): Goertzel filters at the eight DTMF frequencies over
// 102-sample windows (12.75 ms; the window length puts the filters' first
// nulls on the neighbouring DTMF frequencies). Windows advance by 51
// samples: each 51-sample half is filtered once and consecutive halves are
// combined exactly, so the time resolution doubles at no extra cost.
//
// A window is a hit for a digit when, after removing the two strongest
// tones' leakage into each other's filters (the rectangular window leaks
// at −14 to −25 dB, enough to upset the checks when the twist is large),
//
//   - the row and column tones are each above MinLevel;
//   - the twist is within limits: the row tone is at most NormalTwist dB
//     above the column tone, the column at most ReverseTwist dB above the row;
//   - each is at least 8 dB above what remains in the other filters of its
//     group;
//   - together they carry at least 70% of the window's energy, which rejects
//     noise and most speech, and windows less than about 70% filled by the
//     tone.
//
// Four consecutive hit windows (a 40 ms tone always gives them, a tone of
// 25 ms or less never does) make a candidate, reported (KeyDown) if two more
// checks pass. Frequency: the phase advance of each tone from window to
// window, averaged over the run, measures its frequency to about 0.1%; a
// tone more than 2.5% off nominal is refused (the usual limits are ±1.5%
// must detect, ±3.5% must reject). Purity: with the filters' loss at the
// measured frequencies corrected, the two tones must hold at least 92% of
// the energy of the run's cleanest window. That rejects voiced sounds whose
// harmonics happen to fall on a row and a column, which pass every
// per-window test, and sets a signal-to-noise floor of about 11 dB (the
// requirement is 15 dB). A steady sound whose harmonics sit on a DTMF pair
// under formants narrower than about 80 Hz remains indistinguishable from a
// digit by these means.
//
// A reported digit ends (KeyUp) after three windows without it, so dropouts
// of a few milliseconds are bridged while gaps of 20 ms or more separate
// repeated digits.
//
// Measured with synthesized signals (see the tests): every digit from −10
// to −40 dBm0, also through G.711; twist up to 8 dB normal and 4 dB reverse
// at nominal frequencies (a tone 1.5% off at 1633 Hz reads 1.4 dB weaker,
// which counts towards the twist); ±1.5% detected, beyond ±2.5% rejected;
// S/N 15 dB; 40 ms detected at every alignment, 25 ms never.
//
// Detect takes frames of any length, gives the same events however the
// stream is sliced, and appends them to a caller-owned slice, so
// steady-state detection does not allocate.
//
// # Generation
//
// A Generator plays a string of digits as tone bursts with configurable
// levels (per group, in dBm0) and on/off times, counted in samples. Levels
// use the G.711 convention that 0 dBm0 is a sine 3.14 dB below full scale.
//
// # Where to run it
//
// Talk-off from a port's own tones and echo is outside this package: run the
// detector on the phone-to-network direction, after echo cancellation, and
// suppress it while the port itself plays tones.
package dtmf
