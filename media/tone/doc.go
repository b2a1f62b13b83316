// Package tone renders call-progress tones (dial, ringback, busy,
// congestion, call waiting, beep) for the regions the appliance supports,
// as 8 kHz 16-bit linear audio.
//
// The tones are data: regions.go holds one table row per (region, kind)
// with a cadence written in the notation of dahdi-tools' zonedata.c, which
// is also the notation of the project's hal-notes (§2.2), so each row can
// be checked against its source by eye. Parse turns such a spec into a Tone;
// Lookup finds and parses the row for a region and kind.
//
// # Spec notation
//
//	spec  = step *("," step)
//	step  = ["!"] freqs ["/" ms]
//	freqs = "0" | part *("+" part)       "0" is silence
//	part  = hz ["@" dBm0]                e.g. 350@-22 (no "+" sign); else the default level
//
// "480+620/500,0/500" is 480 Hz plus 620 Hz for 500 ms, then 500 ms of
// silence, repeated. A step marked "!" is played once, before the repeated
// part; a step without a duration lasts until the generator is stopped and
// may only be the last one. When every step is marked "!", the tone ends.
//
// # Rendering
//
// A Generator renders a Tone into frames of any length (normally 20 ms,
// 160 samples). Timing is counted in samples, never read from a clock, so
// cadences are exact and tests are deterministic. Each component's phase is
// computed from the sample position within its step, so the waveform is
// continuous across frames and identical however the caller slices it.
// Every step starts half a sample into its first cycle: the first sample is
// near a zero crossing (no click) but not exactly zero, which keeps silent
// and sounding steps distinguishable sample by sample.
//
// Levels are in dBm0 per component, where 0 dBm0 is a sine whose peak is
// 3.14 dB below 16-bit full scale (the G.711 A-law convention; the µ-law
// digital milliwatt decodes to within 0.1 dB of it).
package tone
