package player

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	mp3 "github.com/hajimehoshi/go-mp3"

	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/wav"
)

// Source is a stream.Source that holds resources until closed.
type Source interface {
	stream.Source
	io.Closer
}

// ErrUnknownFormat is returned for audio that is neither WAV nor MP3.
var ErrUnknownFormat = errors.New("player: not a WAV or MP3 file")

// decoded is a WAV reader over an open file (possibly through an MP3
// decoder); Close closes the file.
type decoded struct {
	*wav.Reader
	file io.Closer
}

func (d decoded) Close() error { return d.file.Close() }

// sniffBytes is how much of a file decides its format.
const sniffBytes = 12

// openAudio opens WAV or MP3 audio. An MP3 is transcoded once into an
// 8 kHz WAV in the cache (keyed by id, which must change when the content
// does) and played from there, because the MP3 decoder allocates on every
// frame; without a cache, or when the WAV would exceed the file limit,
// the MP3 is decoded while playing.
func (l *Library) openAudio(ctx context.Context, id string, open func() (io.ReadCloser, error)) (Source, error) {
	f, err := open()
	if err != nil {
		return nil, err
	}
	if l.cache == nil || !sniffMP3(f) {
		return decode(f)
	}
	p, err := l.cache.fetch(ctx, cacheName("pcm:"+id), func(_ context.Context, out *os.File) error {
		in, err := open()
		if err != nil {
			return err
		}
		defer in.Close()
		return transcode(in, out, l.cache.maxFile)
	})
	switch {
	case err == nil:
		f.Close()
		r, err := wav.Open(p)
		if err != nil {
			return nil, err
		}
		return r, nil
	case errors.Is(err, ErrTooLarge):
		return decode(f)
	}
	f.Close()
	return nil, err
}

// sniffMP3 reports whether the file starts like an MP3 and rewinds it.
func sniffMP3(f io.ReadCloser) bool {
	s, ok := f.(io.ReadSeeker)
	if !ok {
		return false
	}
	head := make([]byte, sniffBytes)
	n, _ := io.ReadFull(s, head)
	_, err := s.Seek(0, io.SeekStart)
	return err == nil && isMP3(head[:n])
}

// transcode decodes the MP3 in r into an 8 kHz 16-bit WAV in w, refusing
// output beyond limit bytes.
func transcode(r io.Reader, w io.WriteSeeker, limit int64) error {
	src, err := decodeMP3(bufio.NewReaderSize(r, 8192))
	if err != nil {
		return err
	}
	out, err := wav.NewWriter(w, wav.EncodingPCM16)
	if err != nil {
		return err
	}
	buf := make([]int16, stream.FrameSamples)
	for {
		n, rerr := src.ReadFrame(buf)
		if err := out.WriteSamples(buf[:n]); err != nil {
			return err
		}
		if 2*out.Samples() > limit {
			return fmt.Errorf("%w: transcoded MP3 exceeds %d bytes", ErrTooLarge, limit)
		}
		if errors.Is(rerr, io.EOF) {
			return out.Close()
		}
		if rerr != nil {
			return rerr
		}
	}
}

// decode returns a Source for the WAV or MP3 audio in r, which it closes
// when the Source is closed (or on error).
func decode(r io.ReadCloser) (Source, error) {
	br := bufio.NewReaderSize(r, 8192)
	head, _ := br.Peek(sniffBytes)
	var (
		wr  *wav.Reader
		err error
	)
	switch {
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WAVE":
		wr, err = wav.NewReader(br)
	case isMP3(head):
		wr, err = decodeMP3(br)
	default:
		err = ErrUnknownFormat
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return decoded{Reader: wr, file: r}, nil
}

// isMP3 recognises an ID3v2 tag or an MPEG audio frame sync.
func isMP3(head []byte) bool {
	if len(head) >= 3 && string(head[:3]) == "ID3" {
		return true
	}
	return len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0
}

// decodeMP3 decodes MP3 (16-bit stereo at the file's rate, as go-mp3
// produces it) and presents it to the WAV reader as a streaming WAV of
// that format, so the WAV reader's down-mix and resampler to 8 kHz serve
// MP3 as well.
func decodeMP3(r io.Reader) (wr *wav.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			wr, err = nil, fmt.Errorf("%w: %v", ErrCorruptMP3, p)
		}
	}()
	d, err := mp3.NewDecoder(r)
	if err != nil {
		return nil, fmt.Errorf("player: MP3: %w", err)
	}
	wr, err = wav.NewReader(io.MultiReader(bytes.NewReader(streamingWAVHeader(d.SampleRate(), 2)), guardedMP3{d}))
	if err != nil {
		return nil, fmt.Errorf("player: MP3 at %d Hz: %w", d.SampleRate(), err)
	}
	return wr, nil
}

// ErrCorruptMP3 reports MP3 data that made the decoder fail.
var ErrCorruptMP3 = errors.New("player: corrupt MP3 data")

// guardedMP3 turns a panic of the MP3 decoder (go-mp3 indexes out of range
// on some malformed frames; found by FuzzDecode) into an error, so that a
// hostile download ends its playback instead of the process.
type guardedMP3 struct{ d *mp3.Decoder }

func (g guardedMP3) Read(p []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("%w: %v", ErrCorruptMP3, r)
		}
	}()
	return g.d.Read(p)
}

// streamingWAVHeader is a 16-bit PCM WAV header whose sizes say "read to
// the end".
func streamingWAVHeader(rate, channels int) []byte {
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 0xFFFFFFFF)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*channels*2))
	binary.LittleEndian.PutUint16(h[32:], uint16(channels*2))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], 0xFFFFFFFF)
	return h
}
