// Package wav reads and writes WAV (RIFF/WAVE) files as the appliance's
// common audio currency: 8 kHz mono 16-bit linear samples in 20 ms frames.
//
// # Reading
//
// NewReader (or Open) parses the RIFF header and returns a Reader whose
// ReadFrame hands out 160-sample (20 ms at 8 kHz) mono frames without
// allocating per frame, whatever the file holds. Accepted input:
//
//   - linear PCM, 8-bit unsigned or 16-bit signed little-endian;
//   - G.711 µ-law (format tag 7) and A-law (format tag 6), 8-bit;
//   - the same three inside WAVE_FORMAT_EXTENSIBLE (tag 0xFFFE) with the
//     standard KSDATAFORMAT sub-format GUID;
//   - mono or stereo (stereo is mixed down by averaging the two channels);
//   - 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000 Hz.
//
// The reader tolerates what real writers produce: chunks other than "fmt "
// and "data" (LIST, fact, cue, ...) are skipped, an odd-sized chunk's pad
// byte is skipped when present (and not assumed when a sloppy writer left it
// out), the RIFF size is ignored, and a data chunk whose size field is 0 or
// larger than the file (streaming writers such as `espeak-ng --stdout`) is
// read to end of file. A trailing partial sample frame is dropped. Anything
// else (RIFX, RF64, float or 24-bit samples, ADPCM, more than two channels,
// other rates, inconsistent block alignment, a data chunk before the fmt
// chunk) is rejected with an error that names the problem and wraps
// ErrNotWAV, ErrUnsupported or ErrMalformed. Headers are bounded: at most
// MaxHeaderBytes of chunks before the data and at most 256 chunks, so a
// hostile file cannot make the reader allocate or spin; memory per Reader is
// fixed (about 70 KB for the largest filter table).
//
// # Resampling quality
//
// Rates above 8 kHz are converted by a polyphase windowed-sinc low-pass
// resampler (Kaiser window, beta 6.76, designed for 70 dB stopband
// attenuation) with a transition band of 3400–4600 Hz around the 4 kHz
// Nyquist frequency: whatever aliases lands above 3400 Hz, outside the
// telephone band. Measured by the tests at every supported rate: passband
// gain within 0.003 dB from 300 to 3400 Hz (limit tested: 0.1 dB), tones at
// 4600 Hz and above at least 72 dB down (limit tested: 65 dB), and speech
// resampled from espeak-ng's 22.05 kHz correlates 0.9998 with sox's
// resampler. The filter is linear-phase and centred, so output sample n
// corresponds to input time n/8000 s with no added delay, and N input
// samples at rate R yield ceil(N·8000/R) output samples. Cost per output
// sample is one dot product of 42 (11.025 kHz) to 174 (48 kHz) float32 taps,
// about 1.4 M multiply-adds per second of 48 kHz audio (about 21 µs per
// 20 ms frame on the development machine). 8 kHz input is passed through
// untouched.
//
// # Writing
//
// Writer writes 8 kHz mono files as 16-bit PCM, µ-law or A-law to an
// io.WriteSeeker and fixes the RIFF, data (and, for G.711, fact) sizes on
// Close. CreateAtomic writes such a file under a temporary name in the
// target directory and, on Commit, fsyncs it, renames it into place and
// fsyncs the directory, so a crash leaves either no file or a complete one.
//
// None of the types is safe for concurrent use by several goroutines.
package wav
