package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"testing"
)

// requireTool skips the test when an external program is missing, except
// in CI (env CI set), where a missing tool is a failure.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (make test-deps installs it): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return path
}

// chunk builds one RIFF chunk; pad adds the zero byte after an odd body.
func chunk(id string, body []byte, pad bool) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
	b = append(b, body...)
	if pad && len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// chunkWithSize builds a chunk whose size field is given explicitly.
func chunkWithSize(id string, size uint32, body []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], size)
	return append(b, body...)
}

// riffFile wraps chunks in a RIFF/WAVE header.
func riffFile(chunks ...[]byte) []byte {
	body := bytes.Join(chunks, nil)
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	binary.LittleEndian.PutUint32(b[4:], uint32(4+len(body)))
	return append(b, body...)
}

// fmtBody is a plain 16-byte fmt chunk body with a consistent block align.
func fmtBody(tag uint16, channels, rate, bits int) []byte {
	return fmtBodyAlign(tag, channels, rate, bits, channels*bits/8)
}

func fmtBodyAlign(tag uint16, channels, rate, bits, align int) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b[0:], tag)
	binary.LittleEndian.PutUint16(b[2:], uint16(channels))
	binary.LittleEndian.PutUint32(b[4:], uint32(rate))
	binary.LittleEndian.PutUint32(b[8:], uint32(rate*align))
	binary.LittleEndian.PutUint16(b[12:], uint16(align))
	binary.LittleEndian.PutUint16(b[14:], uint16(bits))
	return b
}

// extensibleBody is a 40-byte WAVE_FORMAT_EXTENSIBLE fmt body for subTag.
func extensibleBody(subTag uint16, channels, rate, bits int) []byte {
	b := fmtBody(formatTagExtensible, channels, rate, bits)
	ext := make([]byte, 24)
	binary.LittleEndian.PutUint16(ext[0:], 22)
	binary.LittleEndian.PutUint16(ext[2:], uint16(bits))
	binary.LittleEndian.PutUint32(ext[4:], 0x3) // channel mask, unused
	binary.LittleEndian.PutUint16(ext[8:], subTag)
	copy(ext[10:], ksSubFormatTail)
	return append(b, ext...)
}

func pcm16Bytes(samples ...int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

// sine returns n samples of a tone at freq Hz sampled at rate.
func sine(n, rate int, freq, amplitude float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(amplitude * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

// toneAmplitude estimates the amplitude of the freq Hz component of x (at
// 8 kHz) by correlating with a sine and cosine (a single DFT bin).
func toneAmplitude(x []int16, freq float64) float64 {
	var re, im float64
	for i, s := range x {
		phase := 2 * math.Pi * freq * float64(i) / SampleRate
		re += float64(s) * math.Cos(phase)
		im += float64(s) * math.Sin(phase)
	}
	return 2 * math.Hypot(re, im) / float64(len(x))
}

func rms(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	var sum float64
	for _, s := range x {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(x)))
}

// readAll reads every frame, checking that only the last is short.
func readAll(t testing.TB, r *Reader) []int16 {
	t.Helper()
	var out []int16
	frame := make([]int16, FrameSamples)
	short := false
	for {
		n, err := r.ReadFrame(frame)
		if errors.Is(err, io.EOF) {
			if n != 0 {
				t.Fatalf("ReadFrame returned %d samples with io.EOF", n)
			}
			return out
		}
		if err != nil {
			t.Fatalf("ReadFrame: %v", err)
		}
		if short {
			t.Fatalf("a short frame was followed by more audio")
		}
		short = n < FrameSamples
		out = append(out, frame[:n]...)
	}
}

func decodeBytes(t testing.TB, data []byte) ([]int16, Format) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return readAll(t, r), r.Format()
}
