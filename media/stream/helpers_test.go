package stream_test

import (
	"encoding/binary"
	"github.com/gatepbx/gatepbx/media/stream"
	"io"
	"math"
	"sync"
	"time"
)

// sliceSource plays samples then ends.
type sliceSource struct {
	samples []int16
	pos     int
}

func (s *sliceSource) ReadFrame(dst []int16) (int, error) {
	if s.pos >= len(s.samples) {
		return 0, io.EOF
	}
	n := copy(dst, s.samples[s.pos:])
	s.pos += n
	return n, nil
}

// endless plays a constant forever.
type endless struct{ v int16 }

func (e endless) ReadFrame(dst []int16) (int, error) {
	for i := range dst {
		dst[i] = e.v
	}
	return len(dst), nil
}

func sine(freq float64, level float64, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(level * math.Sin(2*math.Pi*freq*float64(i)/stream.SampleRate))
	}
	return out
}

// sentPacket is one packet a recordingWriter saw.
type sentPacket struct {
	at      time.Time
	pt      uint8
	marker  bool
	seq     uint16
	ts      uint32
	payload []byte
}

// recordingWriter records packets with the clock's time and signals each.
type recordingWriter struct {
	now     func() time.Time
	mu      sync.Mutex
	packets []sentPacket
	sent    chan struct{}
}

func newRecordingWriter(now func() time.Time) *recordingWriter {
	return &recordingWriter{now: now, sent: make(chan struct{}, 1024)}
}

func (w *recordingWriter) WritePacket(b []byte) error {
	w.mu.Lock()
	w.packets = append(w.packets, sentPacket{
		at:      w.now(),
		pt:      b[1] & 0x7f,
		marker:  b[1]&0x80 != 0,
		seq:     binary.BigEndian.Uint16(b[2:]),
		ts:      binary.BigEndian.Uint32(b[4:]),
		payload: append([]byte(nil), b[12:]...),
	})
	w.mu.Unlock()
	w.sent <- struct{}{}
	return nil
}

func (w *recordingWriter) all() []sentPacket {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]sentPacket(nil), w.packets...)
}

// countingWriter counts packets without keeping them.
type countingWriter struct{ n int }

func (w *countingWriter) WritePacket([]byte) error { w.n++; return nil }
