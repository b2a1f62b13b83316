package tts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/media/wav"
)

// waitDelay bounds how long Wait lingers for output pipes held open by
// grandchildren after espeak-ng itself was killed.
const waitDelay = 2 * time.Second

// synthesize runs espeak-ng into a temporary file, converts the result to
// an 8 kHz cache file and returns its path and size.
func (s *Speaker) synthesize(ctx context.Context, key, text, language, voice string) (string, int64, error) {
	start := time.Now()
	voiceArg := language
	if voice != "" {
		voiceArg += "+" + voice
	}
	raw, err := os.CreateTemp(s.dir, rawPrefix+"*.wav")
	if err != nil {
		return "", 0, fmt.Errorf("tts: temporary file: %w", err)
	}
	rawPath := raw.Name()
	raw.Close()
	defer os.Remove(rawPath)

	if err := s.runEspeak(ctx, voiceArg, rawPath, text); err != nil {
		return "", 0, err
	}
	path := s.path(key)
	samples, err := convert(ctx, rawPath, path)
	if err != nil {
		return "", 0, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", 0, fmt.Errorf("tts: %w", err)
	}
	s.log.Debug("tts: synthesised speech", "voice", voiceArg, "text_bytes", len(text),
		"seconds", float64(samples)/wav.SampleRate, "took", time.Since(start))
	return path, info.Size(), nil
}

func (s *Speaker) runEspeak(parent context.Context, voiceArg, outPath, text string) error {
	ctx, cancel := context.WithTimeout(parent, s.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.binary, "-v", voiceArg, "-b", "1", "-w", outPath, "--stdin")
	cmd.Stdin = strings.NewReader(text)
	output := &limitedBuffer{limit: stderrLimit}
	cmd.Stdout = output
	cmd.Stderr = output
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if errors.Is(err, exec.ErrNotFound) || (cmd.Process == nil && errors.Is(err, fs.ErrNotExist)) {
		return fmt.Errorf("%w (looked for %q)", ErrEspeakNotFound, s.binary)
	}
	if err := parent.Err(); err != nil {
		return fmt.Errorf("tts: espeak-ng stopped: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("tts: espeak-ng timed out after %v: %w", s.timeout, err)
	}
	msg := strings.TrimSpace(output.String())
	if strings.Contains(msg, "voice does not exist") {
		return fmt.Errorf("%w %q", ErrUnknownVoice, voiceArg)
	}
	return fmt.Errorf("tts: espeak-ng -v %s: %w: %s", voiceArg, err, msg)
}

// convert reads espeak-ng's WAV at rawPath and writes it as 8 kHz mono
// 16-bit PCM to path atomically. It returns the number of samples.
func convert(ctx context.Context, rawPath, path string) (int64, error) {
	r, err := wav.Open(rawPath)
	if err != nil {
		return 0, fmt.Errorf("tts: reading espeak-ng output: %w", err)
	}
	defer r.Close()
	out, err := wav.CreateAtomic(path, wav.EncodingPCM16, 0o644)
	if err != nil {
		return 0, fmt.Errorf("tts: %w", err)
	}
	defer out.Abort() // no-op after Commit
	frame := make([]int16, wav.FrameSamples)
	for frames := 0; ; frames++ {
		if frames%256 == 0 && ctx.Err() != nil {
			return 0, fmt.Errorf("tts: converting speech: %w", ctx.Err())
		}
		n, err := r.ReadFrame(frame)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("tts: reading espeak-ng output: %w", err)
		}
		if err := out.WriteSamples(frame[:n]); err != nil {
			return 0, fmt.Errorf("tts: %w", err)
		}
	}
	samples := out.Samples()
	if samples == 0 {
		return 0, ErrNoAudio
	}
	if err := out.Commit(); err != nil {
		return 0, fmt.Errorf("tts: %w", err)
	}
	return samples, nil
}

// limitedBuffer keeps the first limit bytes written to it and discards the
// rest, so a chatty subprocess cannot grow our memory.
type limitedBuffer struct {
	buf   []byte
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return string(b.buf) }
