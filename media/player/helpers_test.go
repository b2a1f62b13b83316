package player_test

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/wav"
)

// writeSineWAV writes an 8 kHz 16-bit WAV of a sine under dir.
func writeSineWAV(t testing.TB, path string, freq float64, samples int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := wav.NewWriter(f, wav.EncodingPCM16)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int16, samples)
	for i := range buf {
		buf[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/stream.SampleRate))
	}
	if err := w.WriteSamples(buf); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads src to its end (at most limit samples) and closes it.
func readAll(t testing.TB, src player.Source, limit int) []int16 {
	t.Helper()
	defer src.Close()
	var out []int16
	buf := make([]int16, stream.FrameSamples)
	for len(out) < limit {
		n, err := src.ReadFrame(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("ReadFrame: %v", err)
		}
	}
	return out
}

// dominantFreq estimates a tone's frequency from zero crossings.
func dominantFreq(s []int16) float64 {
	crossings := 0
	for i := 1; i < len(s); i++ {
		if (s[i-1] < 0) != (s[i] < 0) {
			crossings++
		}
	}
	return float64(crossings) / 2 / (float64(len(s)) / stream.SampleRate)
}

// peak returns the largest magnitude.
func peak(s []int16) int {
	m := 0
	for _, v := range s {
		m = max(m, int(math.Abs(float64(v))))
	}
	return m
}

// frames is a test source of n constant frames.
type frames struct {
	n, left int
	closed  *int
}

func (f *frames) ReadFrame(dst []int16) (int, error) {
	if f.left == 0 {
		return 0, io.EOF
	}
	f.left--
	for i := range dst {
		dst[i] = 100
	}
	return len(dst), nil
}

func (f *frames) Close() error {
	if f.closed != nil {
		*f.closed++
	}
	return nil
}
