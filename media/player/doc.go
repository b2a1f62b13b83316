// Package player opens the audio the appliance plays into calls as
// stream.Sources of 8 kHz mono 16-bit frames: files (WAV or MP3) under the
// data dir, HTTP(S) URLs (downloaded once into a size-bounded cache),
// regional tones, text through TTS, and music on hold; plus the wrappers
// Repeat, Loop and Timeout. Playing a Source onto RTP is stream.Pacer's
// job; this package only produces audio.
//
// # Saying what to play
//
// Library.Open takes one string, as the HTTP API's AudioFile and OzML's
// <Play> carry it:
//
//	http://host/x.mp3, https://...  a URL, fetched once and cached
//	tone:busy, tone:uk/busy         a tone of the default or given region
//	                                (dial, ringback, busy, congestion,
//	                                callwaiting, beep)
//	moh:                            music on hold (looped)
//	file:prompts/hello.wav          a file under the root; "file:" may be
//	prompts/hello.wav               left out
//
// Text is not a spec (it may contain anything): Library.Speak takes it
// with the language and voice. File paths are relative to the root and may
// not leave it (os.Root refuses "..", absolute paths and symlinks that
// escape). Whether a file or download is WAV or MP3 is decided by its
// content, not its name.
//
// # The URL cache
//
// A URL is downloaded at most once at a time: concurrent Opens of the same
// URL wait for the one download (which is not cancelled when the first
// caller gives up). Files live in the cache directory named by a hash of
// the URL; the directory's total size is bounded, least recently used
// files are evicted first (last use is the file's modification time, so
// the order survives a restart), and a single download larger than
// MaxFileBytes is refused. A cached URL is never re-fetched: the content
// behind a prompt URL is assumed not to change.
//
// # MP3
//
// go-mp3 allocates on every frame it decodes (about 36 allocations and
// 28 KB per 20 ms, see BenchmarkMP3Frame), too much for looped hold music
// on a Pi. So with a cache dir, an MP3 (file or download) is transcoded
// once into an 8 kHz 16-bit WAV in the cache, keyed by the URL or by the
// file's name, size and modification time, and played from there without
// allocating; the transcoded copies share the cache's size bound and LRU
// eviction. Without a cache dir, or when the WAV would exceed
// MaxFileBytes, the MP3 is decoded while playing. A panic inside the MP3
// decoder (it has index bugs on malformed frames) is turned into
// ErrCorruptMP3.
//
// # Music on hold
//
// Library.MusicOnHold loops the configured file (by default moh.wav or
// moh.mp3 at the root, if present) and otherwise a built-in melody: soft
// sine notes with gentle attack and decay, synthesised from a note table,
// so a fresh appliance plays something better than silence.
package player
