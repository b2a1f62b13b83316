// Package tts turns text into 8 kHz mono 16-bit WAV files by running
// espeak-ng as a subprocess, and keeps the results in a size-bounded cache.
//
// A Speaker runs `espeak-ng -v LANGUAGE[+VOICE] -b 1 -w TMP --stdin` with
// the text on standard input (never on the command line, never through a
// shell), converts espeak-ng's 22.05 kHz output to 8 kHz with media/wav's
// resampler (no sox at run time) and writes the result atomically into the
// cache directory under a name derived from a SHA-256 of language, voice
// and text. Language and voice are checked against a safe character set
// before they reach the command line. Repeated requests are served from the
// cache without running espeak-ng; concurrent requests for the same speech
// share one espeak-ng run. The cache is bounded in bytes and evicts the
// least recently used files; a file's modification time records its last
// use, so the order survives a restart. A file just produced is never
// evicted by its own request, so a single result larger than the bound is
// still returned (and evicted by the next one).
//
// A path returned by Speak stays valid until enough other speech is cached
// to evict it; callers should open it promptly (an open file outlives its
// eviction) and call Speak again rather than keep paths around.
//
// When espeak-ng is not installed, Speak returns an error wrapping
// ErrEspeakNotFound. Cancelling the context passed to Speak, or exceeding
// Options.Timeout, kills the espeak-ng process.
package tts
