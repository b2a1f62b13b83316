// Package record records a call leg, one direction or both mixed, into a
// WAV file (or MP3 through the lame encoder) under the recordings
// directory.
//
// # Feeding
//
// A Recorder takes audio from relay audio taps (Tap(0), Tap(1)). A tap
// runs on the endpoint's reader goroutine, so it only copies the packet
// into a bounded single-producer ring (stream.Queue); when the recorder
// falls behind, packets are dropped and counted (Result.Drops), never
// waited for. Payloads are decoded by payload type (PCMU 0, PCMA 8; other
// types such as telephone events and comfort noise are ignored).
//
// # Timing and mixing
//
// Run owns one 20 ms ticker (an injected stream.Clock). On every tick it
// drains each leg's ring into that leg's jitter buffer (ordered by the
// leg's RTP timestamps, fixed depth) and takes exactly one frame from each,
// concealing losses; the frames of the two legs are summed with
// saturation. The two directions' timestamps have unrelated bases, so they
// are aligned by arrival: each leg's play-out is locked to the recorder's
// one clock, starting a jitter depth after that leg's first packet
// arrived, and stays locked (the jitter buffer re-synchronises on stream
// jumps such as a re-INVITE or a changed source). The file therefore runs
// in real time from Run's start: silence where nobody spoke, including
// before the first packet.
//
// # Stopping
//
// Run returns on the first of: Stop or the context (Stopped), the
// duration limit (MaxDuration, at most one hour), SilenceTimeout of frames
// whose mix is below SilenceLevel (Inactivity), or a key from FinishKeys
// fed through Key (FinishKey; the listener package delivers keys). The
// file is kept in every case.
//
// # Files
//
// Names are relative to the recordings directory and may not leave it
// (filepath.IsLocal, and directories are created through os.Root, which
// refuses symbolic links pointing outside). WAV files are written through
// wav.AtomicFile: the final name appears only complete and fsynced. For
// MP3 the WAV is written to a hidden temporary file, encoded by lame
// (16 kHz mono, 32 kbit/s) into another temporary file, fsynced and
// renamed; without lame, New fails with ErrNoMP3Encoder so the caller can
// report it before anything is recorded.
package record
