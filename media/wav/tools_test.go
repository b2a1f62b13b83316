package wav

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Files produced by real tools: espeak-ng (the TTS engine we read in
// production) and sox (an independent implementation, used only here).

func runTool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return out
}

func TestReadEspeakFile(t *testing.T) {
	requireTool(t, "espeak-ng")
	path := filepath.Join(t.TempDir(), "speech.wav")
	runTool(t, "espeak-ng", "-v", "en", "-w", path, "The quick brown fox jumps over the lazy dog.")
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	speech := readAll(t, r)
	if f := r.Format(); f.Encoding != EncodingPCM16 || f.Channels != 1 {
		t.Errorf("espeak-ng format %+v", f)
	}
	if secs := float64(len(speech)) / SampleRate; secs < 1 {
		t.Errorf("speech lasts %.2f s, want more than 1 s", secs)
	}
	if level := rms(speech); level < 500 {
		t.Errorf("speech RMS %.0f, want audible speech", level)
	}
	checkAgainstSox(t, path, speech)
}

// checkAgainstSox resamples path with sox and compares it with ours: the
// two must agree closely (the filters differ only near 4 kHz).
func checkAgainstSox(t *testing.T, path string, ours []int16) {
	t.Helper()
	if _, err := exec.LookPath("sox"); err != nil {
		requireTool(t, "sox")
	}
	soxPath := filepath.Join(t.TempDir(), "sox8k.wav")
	runTool(t, "sox", "-D", path, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", soxPath)
	r, err := Open(soxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	theirs := readAll(t, r)
	if d := len(ours) - len(theirs); d < -1 || d > 1 {
		t.Fatalf("%d samples from us, %d from sox", len(ours), len(theirs))
	}
	n := min(len(ours), len(theirs))
	var dot, eo, et float64
	for i := range n {
		a, b := float64(ours[i]), float64(theirs[i])
		dot += a * b
		eo += a * a
		et += b * b
	}
	corr := dot / math.Sqrt(eo*et)
	t.Logf("correlation with sox's resampling: %.5f", corr)
	if corr < 0.99 {
		t.Errorf("our 8 kHz output correlates %.4f with sox's, want ≥ 0.99", corr)
	}
}

func TestReadEspeakStdoutStream(t *testing.T) {
	requireTool(t, "espeak-ng")
	// espeak-ng --stdout cannot seek back, so its data size is a
	// placeholder far larger than the audio: the reader must stop at EOF.
	cmd := exec.Command("espeak-ng", "--stdout", "-v", "en", "one two three")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(stdout)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	speech := readAll(t, r)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if secs := float64(len(speech)) / SampleRate; secs < 0.5 || rms(speech) < 500 {
		t.Errorf("streamed speech: %.2f s, RMS %.0f", secs, rms(speech))
	}
}

// TestReadSoxFiles reads tones that sox synthesised in every container and
// encoding we accept and checks frequency, level and duration.
func TestReadSoxFiles(t *testing.T) {
	requireTool(t, "sox")
	tests := []struct {
		name   string
		args   []string // output options before the file name
		format Format
		tol    float64 // level tolerance in dB (G.711 and 8-bit are coarse)
	}{
		{"pcm16 8k mono", []string{"-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"}, Format{EncodingPCM16, 8000, 1, false}, 0.05},
		{"pcm16 16k mono", []string{"-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer"}, Format{EncodingPCM16, 16000, 1, false}, 0.05},
		{"pcm16 22.05k stereo", []string{"-r", "22050", "-c", "2", "-b", "16", "-e", "signed-integer"}, Format{EncodingPCM16, 22050, 2, false}, 0.05},
		{"pcm16 44.1k stereo", []string{"-r", "44100", "-c", "2", "-b", "16", "-e", "signed-integer"}, Format{EncodingPCM16, 44100, 2, false}, 0.05},
		{"pcm16 48k mono", []string{"-r", "48000", "-c", "1", "-b", "16", "-e", "signed-integer"}, Format{EncodingPCM16, 48000, 1, false}, 0.05},
		{"pcm8 8k mono", []string{"-r", "8000", "-c", "1", "-b", "8", "-e", "unsigned-integer"}, Format{EncodingPCM8, 8000, 1, false}, 0.3},
		{"pcm8 11.025k stereo", []string{"-r", "11025", "-c", "2", "-b", "8", "-e", "unsigned-integer"}, Format{EncodingPCM8, 11025, 2, false}, 0.3},
		{"mu-law 8k", []string{"-r", "8000", "-c", "1", "-e", "mu-law"}, Format{EncodingMuLaw, 8000, 1, false}, 0.3},
		{"A-law 8k", []string{"-r", "8000", "-c", "1", "-e", "a-law"}, Format{EncodingALaw, 8000, 1, false}, 0.3},
		{"A-law 16k stereo", []string{"-r", "16000", "-c", "2", "-e", "a-law"}, Format{EncodingALaw, 16000, 2, false}, 0.3},
	}
	const seconds, freq, volume = 1.5, 1000.0, 0.5
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tone.wav")
			args := append([]string{"-D", "-n"}, tt.args...)
			args = append(args, path, "synth", fmt.Sprint(seconds), "sine", fmt.Sprint(freq), "vol", fmt.Sprint(volume))
			runTool(t, "sox", args...)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := readAll(t, r)
			if r.Format() != tt.format {
				t.Errorf("format %+v, want %+v", r.Format(), tt.format)
			}
			if want := int(seconds * SampleRate); abs(len(got)-want) > 1 {
				t.Errorf("%d samples, want %d", len(got), want)
			}
			steady := got[200 : len(got)-200]
			level := 20 * math.Log10(toneAmplitude(steady, freq)/(volume*32767))
			if math.Abs(level) > tt.tol {
				t.Errorf("1 kHz level %.3f dB relative to sox's, want within ±%v dB", level, tt.tol)
			}
			other := toneAmplitude(steady, 2*freq) + toneAmplitude(steady, 3*freq)
			// G.711 quantisation of a tone locked to the sample rate puts
			// its error into harmonics (about 2%); linear PCM stays clean.
			limit := 0.01
			if tt.format.Encoding == EncodingMuLaw || tt.format.Encoding == EncodingALaw {
				limit = 0.03
			}
			if other > limit*toneAmplitude(steady, freq) {
				t.Errorf("harmonics at %.1f, tone at %.1f: distorted", other, toneAmplitude(steady, freq))
			}
		})
	}
}

// TestSoxReadsOurFiles has sox check the headers our Writer produces.
func TestSoxReadsOurFiles(t *testing.T) {
	requireTool(t, "sox")
	signal := testSignal()
	for _, tt := range []struct {
		encoding Encoding
		soxName  string
	}{{EncodingPCM16, "Signed Integer PCM"}, {EncodingMuLaw, "u-law"}, {EncodingALaw, "A-law"}} {
		t.Run(tt.encoding.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ours.wav")
			a, err := CreateAtomic(path, tt.encoding, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			a.WriteSamples(signal)
			if err := a.Commit(); err != nil {
				t.Fatal(err)
			}
			info := string(runTool(t, "soxi", path))
			for _, want := range []string{"Sample Rate    : 8000", "Channels       : 1", tt.soxName, fmt.Sprintf("= %d samples", len(signal))} {
				if !strings.Contains(info, want) {
					t.Errorf("soxi output lacks %q:\n%s", want, info)
				}
			}
			// sox decodes the samples the same way we do.
			raw := runTool(t, "sox", path, "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-")
			want := pcm16Bytes(readBackSamples(t, path)...)
			if !bytes.Equal(raw, want) {
				t.Errorf("sox decodes %d bytes differing from ours (%d)", len(raw), len(want))
			}
		})
	}
}

func readBackSamples(t *testing.T, path string) []int16 {
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return readAll(t, r)
}

// TestSoxExtensibleRejectedClearly: sox writes WAVE_FORMAT_EXTENSIBLE only
// for more than 16 bits or 2 channels, which we do not read; the error must
// say why. (Extensible files we do read are covered by the golden tests.)
func TestSoxExtensibleRejectedClearly(t *testing.T) {
	requireTool(t, "sox")
	path := filepath.Join(t.TempDir(), "ext.wav")
	runTool(t, "sox", "-D", "-n", "-r", "8000", "-c", "1", "-b", "24", path, "synth", "0.1", "sine", "440")
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "24-bit PCM") {
		t.Fatalf("24-bit extensible file: err = %v, want a clear 24-bit rejection", err)
	}
	raw, _ := os.ReadFile(path)
	if tag := int(raw[20]) | int(raw[21])<<8; tag != formatTagExtensible {
		t.Logf("sox wrote format tag %#x, not extensible", tag)
	} else {
		t.Logf("sox wrote WAVE_FORMAT_EXTENSIBLE; rejected with: %v", err)
	}
}
