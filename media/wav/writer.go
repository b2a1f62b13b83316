package wav

import (
	"errors"
	"fmt"
	"io"
)

const (
	writeBufferBytes = 4096
	// maxHeaderLen is the longest header the Writer emits (G.711: RIFF,
	// fmt with cbSize, fact, data).
	maxHeaderLen = 12 + 8 + 18 + 12 + 8
)

// Writer writes an 8 kHz mono WAV file to an io.WriteSeeker. Sizes in the
// header are placeholders until Close seeks back and fills them in.
type Writer struct {
	ws        io.WriteSeeker
	encoding  Encoding
	origin    int64 // offset of the RIFF header in ws
	headerLen int
	dataBytes int64
	buf       [writeBufferBytes]byte
	buffered  int
	closed    bool
	err       error // sticky write error
}

// NewWriter writes a header for an 8 kHz mono file in the given encoding
// (EncodingPCM16, EncodingMuLaw or EncodingALaw) at the current position of
// ws and returns a Writer for the samples.
func NewWriter(ws io.WriteSeeker, encoding Encoding) (*Writer, error) {
	switch encoding {
	case EncodingPCM16, EncodingMuLaw, EncodingALaw:
	default:
		return nil, fmt.Errorf("%w: the writer writes 16-bit PCM, mu-law or A-law, not %v", ErrUnsupported, encoding)
	}
	origin, err := ws.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("wav: writer: %w", err)
	}
	w := &Writer{ws: ws, encoding: encoding, origin: origin}
	var hdr [maxHeaderLen]byte
	h := w.header(hdr[:0])
	w.headerLen = len(h)
	if _, err := ws.Write(h); err != nil {
		return nil, fmt.Errorf("wav: writing header: %w", err)
	}
	return w, nil
}

// header appends the file header for the current data size to b.
func (w *Writer) header(b []byte) []byte {
	put16 := func(b []byte, v uint16) []byte { return append(b, byte(v), byte(v>>8)) }
	put32 := func(b []byte, v uint32) []byte { return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)) }
	g711 := w.encoding != EncodingPCM16
	data := uint32(w.dataBytes)
	pad := data % 2
	fmtLen := uint32(16)
	if g711 {
		fmtLen = 18
	}
	riffLen := 4 + 8 + fmtLen + 8 + data + pad
	if g711 {
		riffLen += 12
	}
	bytesPerSample := uint16(w.encoding.bytesPerSample())
	b = append(b, "RIFF"...)
	b = put32(b, riffLen)
	b = append(b, "WAVEfmt "...)
	b = put32(b, fmtLen)
	b = put16(b, w.encoding.formatTag())
	b = put16(b, 1) // channels
	b = put32(b, SampleRate)
	b = put32(b, SampleRate*uint32(bytesPerSample))
	b = put16(b, bytesPerSample)   // block align
	b = put16(b, 8*bytesPerSample) // bits per sample
	if g711 {
		b = put16(b, 0) // cbSize
		b = append(b, "fact"...)
		b = put32(b, 4)
		b = put32(b, data) // samples: one byte each
	}
	b = append(b, "data"...)
	return put32(b, data)
}

// maxDataBytes keeps the RIFF size of the largest header within 32 bits.
const maxDataBytes = 0xffffffff - maxHeaderLen - 1

// WriteSamples encodes and writes samples. The Writer buffers; call Close
// to flush and finish the file.
func (w *Writer) WriteSamples(samples []int16) error {
	if w.closed {
		return errors.New("wav: write to a closed writer")
	}
	if w.err != nil {
		return w.err
	}
	size := int64(len(samples) * w.encoding.bytesPerSample())
	if w.dataBytes+size > maxDataBytes {
		return ErrTooLarge
	}
	for len(samples) > 0 {
		if w.buffered == len(w.buf) {
			if err := w.flush(); err != nil {
				return err
			}
		}
		free := w.buf[w.buffered:]
		var n int
		switch w.encoding {
		case EncodingPCM16:
			n = min(len(samples), len(free)/2)
			for i, s := range samples[:n] {
				free[2*i] = byte(s)
				free[2*i+1] = byte(uint16(s) >> 8)
			}
			w.buffered += 2 * n
		case EncodingMuLaw:
			n = min(len(samples), len(free))
			for i, s := range samples[:n] {
				free[i] = muLawEncode(s)
			}
			w.buffered += n
		case EncodingALaw:
			n = min(len(samples), len(free))
			for i, s := range samples[:n] {
				free[i] = aLawEncode(s)
			}
			w.buffered += n
		}
		samples = samples[n:]
	}
	w.dataBytes += size
	return nil
}

func (w *Writer) flush() error {
	if w.buffered == 0 {
		return nil
	}
	if _, err := w.ws.Write(w.buf[:w.buffered]); err != nil {
		w.err = fmt.Errorf("wav: writing samples: %w", err)
		return w.err
	}
	w.buffered = 0
	return nil
}

// Samples is the number of samples written so far.
func (w *Writer) Samples() int64 {
	return w.dataBytes / int64(w.encoding.bytesPerSample())
}

// Close flushes buffered samples, pads the data chunk to even length and
// rewrites the header with the final sizes, leaving ws positioned at the
// end of the file. It does not close ws.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if err := w.flush(); err != nil {
		return err
	}
	if w.err != nil {
		return w.err
	}
	w.err = w.finish()
	return w.err
}

// finish pads the data chunk and rewrites the header.
func (w *Writer) finish() error {
	end := w.origin + int64(w.headerLen) + w.dataBytes
	if w.dataBytes%2 == 1 {
		if _, err := w.ws.Write([]byte{0}); err != nil {
			return fmt.Errorf("wav: writing pad byte: %w", err)
		}
		end++
	}
	if _, err := w.ws.Seek(w.origin, io.SeekStart); err != nil {
		return fmt.Errorf("wav: seeking to header: %w", err)
	}
	var hdr [maxHeaderLen]byte
	if _, err := w.ws.Write(w.header(hdr[:0])); err != nil {
		return fmt.Errorf("wav: rewriting header: %w", err)
	}
	if _, err := w.ws.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("wav: seeking to end: %w", err)
	}
	return nil
}
