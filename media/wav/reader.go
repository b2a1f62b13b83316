package wav

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// rawBlockBytes is how many encoded bytes the reader decodes at a time; a
// multiple of every block alignment (1, 2 or 4).
const rawBlockBytes = 4096

// Reader streams a WAV file as 8 kHz mono 16-bit frames.
type Reader struct {
	format  Format
	br      *bufio.Reader
	data    io.Reader // br, or limited when the data size is trustworthy
	limited io.LimitedReader
	closer  io.Closer
	rs      *resampler

	raw    [rawBlockBytes]byte
	rawLen int
	mono   [rawBlockBytes]int16
	err    error // sticky: io.EOF or the first read error
}

// Open opens the named WAV file; Close closes it.
func Open(name string) (*Reader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r.closer = f
	return r, nil
}

// NewReader parses the WAV header from src and returns a Reader positioned
// at the first sample. The Reader buffers src; do not read src elsewhere.
func NewReader(src io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(src, 4096)
	format, dataSize, err := readHeader(br)
	if err != nil {
		return nil, err
	}
	rs, err := newResampler(format.SampleRate, rawBlockBytes)
	if err != nil {
		return nil, err
	}
	r := &Reader{format: format, br: br, rs: rs}
	if dataSize == 0 || dataSize == 0xffffffff {
		// Streaming writers leave the size 0 or "as large as possible";
		// a size larger than the file simply ends early at EOF.
		r.data = br
	} else {
		r.limited = io.LimitedReader{R: br, N: int64(dataSize)}
		r.data = &r.limited
	}
	return r, nil
}

// Format is the format of the file as stored, before conversion.
func (r *Reader) Format() Format { return r.format }

// Close closes the file opened by Open; for a Reader from NewReader it does
// nothing.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// ReadFrame fills dst[:FrameSamples] with the next 20 ms of 8 kHz mono
// audio and returns FrameSamples. The last frame of a file may be shorter
// (0 < n < FrameSamples, nil error); after it ReadFrame returns 0, io.EOF.
// dst must hold at least FrameSamples samples. Other errors come from the
// underlying reader. ReadFrame does not allocate.
func (r *Reader) ReadFrame(dst []int16) (int, error) {
	if len(dst) < FrameSamples {
		return 0, io.ErrShortBuffer
	}
	if r.err != nil {
		return 0, r.err
	}
	dst = dst[:FrameSamples]
	n := 0
	for {
		n += r.rs.pull(dst[n:])
		if n == len(dst) || r.rs.drained() {
			break
		}
		if err := r.fill(); err != nil {
			r.err = err
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
	}
	if n == 0 {
		r.err = io.EOF
		return 0, io.EOF
	}
	return n, nil
}

// fill decodes the next block of the data chunk into the resampler and
// marks its end at EOF.
func (r *Reader) fill() error {
	if r.rs.eof {
		return nil
	}
	align := r.format.BlockAlign()
	limit := r.rs.room() * align
	if limit > len(r.raw) {
		limit = len(r.raw)
	}
	var readErr error
	for empty := 0; r.rawLen < align; {
		var n int
		n, readErr = r.data.Read(r.raw[r.rawLen:limit])
		r.rawLen += n
		if readErr != nil {
			break
		}
		if n == 0 {
			if empty++; empty > 100 {
				readErr = io.ErrNoProgress
				break
			}
		}
	}
	frames := r.rawLen / align
	r.decode(r.mono[:frames], r.raw[:frames*align])
	r.rs.push(r.mono[:frames])
	r.rawLen = copy(r.raw[:], r.raw[frames*align:r.rawLen])
	switch {
	case readErr == nil:
		return nil
	case errors.Is(readErr, io.EOF) || errors.Is(readErr, io.ErrUnexpectedEOF):
		r.rs.finish() // a trailing partial sample frame is dropped
		return nil
	default:
		return fmt.Errorf("wav: reading samples: %w", readErr)
	}
}

// decode converts whole sample frames of raw into mono linear samples.
func (r *Reader) decode(dst []int16, raw []byte) {
	stereo := r.format.Channels == 2
	switch r.format.Encoding {
	case EncodingPCM16:
		if stereo {
			for i := range dst {
				b := raw[4*i : 4*i+4]
				dst[i] = int16((int32(int16(le16(b))) + int32(int16(le16(b[2:])))) >> 1)
			}
			return
		}
		for i := range dst {
			dst[i] = int16(le16(raw[2*i:]))
		}
	case EncodingPCM8:
		if stereo {
			for i := range dst {
				dst[i] = int16((int32(raw[2*i]) + int32(raw[2*i+1]) - 256) << 7)
			}
			return
		}
		for i := range dst {
			dst[i] = int16(int32(raw[i])-128) << 8
		}
	case EncodingMuLaw:
		if stereo {
			for i := range dst {
				dst[i] = int16((int32(muLawDecode(raw[2*i])) + int32(muLawDecode(raw[2*i+1]))) >> 1)
			}
			return
		}
		for i := range dst {
			dst[i] = muLawDecode(raw[i])
		}
	case EncodingALaw:
		if stereo {
			for i := range dst {
				dst[i] = int16((int32(aLawDecode(raw[2*i])) + int32(aLawDecode(raw[2*i+1]))) >> 1)
			}
			return
		}
		for i := range dst {
			dst[i] = aLawDecode(raw[i])
		}
	}
}

// readHeader parses the RIFF header and chunks up to the data chunk and
// returns the format and the data chunk's size field.
func readHeader(br *bufio.Reader) (Format, uint32, error) {
	var riff [12]byte
	if _, err := io.ReadFull(br, riff[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Format{}, 0, fmt.Errorf("%w: shorter than a RIFF header", ErrNotWAV)
		}
		return Format{}, 0, fmt.Errorf("wav: reading header: %w", err)
	}
	switch string(riff[0:4]) {
	case "RIFF":
	case "RIFX":
		return Format{}, 0, fmt.Errorf("%w: big-endian RIFX container", ErrUnsupported)
	case "RF64", "BW64":
		return Format{}, 0, fmt.Errorf("%w: %s (64-bit RIFF) container", ErrUnsupported, riff[0:4])
	default:
		return Format{}, 0, fmt.Errorf("%w: starts with %q, not \"RIFF\"", ErrNotWAV, riff[0:4])
	}
	if string(riff[8:12]) != "WAVE" {
		return Format{}, 0, fmt.Errorf("%w: RIFF form type %q, not \"WAVE\"", ErrNotWAV, riff[8:12])
	}
	var (
		format  Format
		haveFmt bool
		header  = int64(len(riff))
	)
	for chunks := 0; ; chunks++ {
		if chunks >= maxChunksBeforeData {
			return Format{}, 0, fmt.Errorf("%w: more than %d chunks before the data chunk", ErrMalformed, maxChunksBeforeData)
		}
		var ch [8]byte
		if _, err := io.ReadFull(br, ch[:]); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				return Format{}, 0, fmt.Errorf("wav: reading header: %w", err)
			}
			if !haveFmt {
				return Format{}, 0, fmt.Errorf("%w: no fmt chunk", ErrMalformed)
			}
			return Format{}, 0, fmt.Errorf("%w: no data chunk", ErrMalformed)
		}
		id, size := string(ch[0:4]), le32(ch[4:])
		header += 8
		if id == "data" {
			if !haveFmt {
				return Format{}, 0, fmt.Errorf("%w: data chunk before the fmt chunk", ErrMalformed)
			}
			return format, size, nil
		}
		if header+int64(size) > MaxHeaderBytes {
			return Format{}, 0, fmt.Errorf("%w: %q chunk of %d bytes passes the %d-byte header limit", ErrMalformed, id, size, MaxHeaderBytes)
		}
		header += int64(size)
		if id == "fmt " {
			if haveFmt {
				return Format{}, 0, fmt.Errorf("%w: second fmt chunk", ErrMalformed)
			}
			if size > maxFmtChunkBytes {
				return Format{}, 0, fmt.Errorf("%w: fmt chunk of %d bytes (limit %d)", ErrMalformed, size, maxFmtChunkBytes)
			}
			body := make([]byte, size)
			if _, err := io.ReadFull(br, body); err != nil {
				return Format{}, 0, fmt.Errorf("%w: truncated fmt chunk: %v", ErrMalformed, err)
			}
			var err error
			if format, err = parseFmtChunk(body); err != nil {
				return Format{}, 0, err
			}
			haveFmt = true
		} else if n, err := br.Discard(int(size)); err != nil {
			return Format{}, 0, fmt.Errorf("%w: %q chunk truncated after %d of %d bytes", ErrMalformed, id, n, size)
		}
		if size%2 == 1 {
			// RIFF pads odd chunks to even length with a zero byte; some
			// writers forget. A chunk ID never starts with 0, so skip the
			// next byte only when it is the zero pad.
			if b, err := br.Peek(1); err == nil && b[0] == 0 {
				br.Discard(1)
				header++
			}
		}
	}
}
