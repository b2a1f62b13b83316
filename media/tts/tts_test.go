package tts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/wav"
)

// waitLimit bounds waits so a bug fails instead of hanging; it is not a
// timing assertion.
const waitLimit = 10 * time.Second

// requireEspeak skips without espeak-ng, except in CI where it must exist.
func requireEspeak(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("espeak-ng")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("espeak-ng is required in CI (make test-deps installs it): %v", err)
		}
		t.Skipf("espeak-ng not installed: %v", err)
	}
	return path
}

// script writes an executable shell script into dir and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// countingEspeak wraps the real espeak-ng, appending a line to a counter
// file per run (after a short pause, so concurrent callers overlap).
func countingEspeak(t *testing.T, pause string) (binary string, runs func() int) {
	real := requireEspeak(t)
	dir := t.TempDir()
	counter := filepath.Join(dir, "runs")
	binary = script(t, dir, "espeak-wrapper", fmt.Sprintf("echo run >> '%s'\nsleep %s\nexec '%s' \"$@\"\n", counter, pause, real))
	return binary, func() int { return countRuns(t, counter) }
}

func countRuns(t *testing.T, counter string) int {
	b, err := os.ReadFile(counter)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// fakeEspeak copies a prepared 22.05 kHz WAV to the -w argument, so cache
// tests get files of a known size without espeak-ng.
func fakeEspeak(t *testing.T) (binary string, runs func() int) {
	dir := t.TempDir()
	source := filepath.Join(dir, "source.wav")
	writeTone(t, source)
	counter := filepath.Join(dir, "runs")
	binary = script(t, dir, "fake-espeak", fmt.Sprintf(`echo run >> '%s'
while [ $# -gt 0 ]; do
	if [ "$1" = "-w" ]; then cp '%s' "$2"; fi
	shift
done
cat > /dev/null
`, counter, source))
	return binary, func() int { return countRuns(t, counter) }
}

// writeTone writes 0.5 s of a 22.05 kHz tone as espeak-ng would.
func writeTone(t *testing.T, path string) {
	t.Helper()
	const rate = 22050
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := rate / 2
	data := make([]byte, 44+2*n)
	copy(data, "RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x22\x56\x00\x00\x44\xac\x00\x00\x02\x00\x10\x00data")
	putLE32(data[4:], uint32(len(data)-8))
	putLE32(data[40:], uint32(2*n))
	for i := range n {
		s := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		data[44+2*i], data[45+2*i] = byte(s), byte(uint16(s)>>8)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func newSpeaker(t *testing.T, opts Options) *Speaker {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func speak(t *testing.T, s *Speaker, text string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	path, err := s.Speak(ctx, text, "", "")
	if err != nil {
		t.Fatalf("Speak(%q): %v", text, err)
	}
	return path
}

// readSpeech reads a WAV and returns its format and samples.
func readSpeech(t *testing.T, path string) (wav.Format, []int16) {
	t.Helper()
	r, err := wav.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var all []int16
	frame := make([]int16, wav.FrameSamples)
	for {
		n, err := r.ReadFrame(frame)
		if err == io.EOF {
			return r.Format(), all
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, frame[:n]...)
	}
}

func TestSpeakWithEspeak(t *testing.T) {
	requireEspeak(t)
	s := newSpeaker(t, Options{})
	tests := []struct{ text, language, voice string }{
		{"Hello, this is the gate P B X.", "en-us", ""},
		{"Guten Tag, bitte warten.", "de", "f3"},
		{"Jó napot, kérem várjon.", "hu", "m2"},
	}
	for _, tt := range tests {
		t.Run(tt.language, func(t *testing.T) {
			path, err := s.Speak(context.Background(), tt.text, tt.language, tt.voice)
			if err != nil {
				t.Fatal(err)
			}
			format, samples := readSpeech(t, path)
			want := wav.Format{Encoding: wav.EncodingPCM16, SampleRate: 8000, Channels: 1}
			if format != want {
				t.Errorf("format %+v, want %+v", format, want)
			}
			if secs := float64(len(samples)) / wav.SampleRate; secs <= 0.3 {
				t.Errorf("speech lasts %.2f s, want more than 0.3 s", secs)
			}
			var energy float64
			for _, v := range samples {
				energy += float64(v) * float64(v)
			}
			if rms := math.Sqrt(energy / float64(len(samples))); rms < 300 {
				t.Errorf("speech RMS %.0f: silent", rms)
			}
		})
	}
}

func TestSpeakCachesAndRunsOnce(t *testing.T) {
	binary, runs := countingEspeak(t, "0")
	dir := t.TempDir()
	s := newSpeaker(t, Options{Binary: binary, CacheDir: dir})
	first := speak(t, s, "Please hold.")
	second := speak(t, s, "Please hold.")
	if first != second {
		t.Errorf("paths differ: %s, %s", first, second)
	}
	if n := runs(); n != 1 {
		t.Fatalf("espeak-ng ran %d times for the same text, want 1", n)
	}
	ctx := context.Background()
	if _, err := s.Speak(ctx, "Please hold.", "en", "f3"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Speak(ctx, "Please hold.", "de", ""); err != nil {
		t.Fatal(err)
	}
	if n := runs(); n != 3 {
		t.Fatalf("espeak-ng ran %d times, want 3: voice and language are part of the key", n)
	}
	// A new Speaker on the same directory serves the cached files.
	again := newSpeaker(t, Options{Binary: binary, CacheDir: dir})
	if got := speak(t, again, "Please hold."); got != first {
		t.Errorf("after restart: %s, want %s", got, first)
	}
	if n := runs(); n != 3 {
		t.Errorf("espeak-ng ran again after a restart (%d runs)", n)
	}
	// A cached file deleted behind the Speaker's back is re-created.
	os.Remove(first)
	if got := speak(t, again, "Please hold."); got != first {
		t.Errorf("re-created at %s, want %s", got, first)
	}
	if n := runs(); n != 4 {
		t.Errorf("espeak-ng ran %d times, want 4 after the file vanished", n)
	}
}

func TestConcurrentSpeakRunsEspeakOnce(t *testing.T) {
	binary, runs := countingEspeak(t, "0.2")
	s := newSpeaker(t, Options{Binary: binary})
	const callers = 8
	paths := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			paths[i], errs[i] = s.Speak(context.Background(), "All lines are busy.", "en", "")
		})
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || paths[i] != paths[0] {
			t.Errorf("caller %d: %q, %v", i, paths[i], errs[i])
		}
	}
	if n := runs(); n != 1 {
		t.Errorf("espeak-ng ran %d times for %d concurrent callers, want 1", n, callers)
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	binary, runs := fakeEspeak(t)
	dir := t.TempDir()
	probe := newSpeaker(t, Options{Binary: binary, CacheDir: t.TempDir()})
	speak(t, probe, "probe")
	size := probe.CacheBytes()
	if size == 0 {
		t.Fatal("no cached bytes after one Speak")
	}
	bound := size*2 + size/2 // room for two files
	clock := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Minute); return clock }
	s := newSpeaker(t, Options{Binary: binary, CacheDir: dir, MaxCacheBytes: bound, Now: now})
	a := speak(t, s, "a")
	b := speak(t, s, "b")
	c := speak(t, s, "c") // evicts a
	assertExist(t, map[string]bool{a: false, b: true, c: true})
	speak(t, s, "b") // b is now the most recent
	d := speak(t, s, "d")
	assertExist(t, map[string]bool{a: false, b: true, c: false, d: true})
	if got := s.CacheBytes(); got > bound {
		t.Errorf("cache holds %d bytes, bound %d", got, bound)
	}
	before := runs()
	speak(t, s, "b")
	if runs() != before {
		t.Error("b was not served from the cache")
	}
	// Restart with a smaller bound: the index is rebuilt from the files
	// and trimmed, keeping the most recently used (b, by modification time).
	small := newSpeaker(t, Options{Binary: binary, CacheDir: dir, MaxCacheBytes: size + size/2})
	assertExist(t, map[string]bool{b: true, d: false})
	if got := small.CacheBytes(); got != size {
		t.Errorf("after restart the cache holds %d bytes, want %d", got, size)
	}
	// A result larger than the bound is still returned, then evicted by the next.
	tiny := newSpeaker(t, Options{Binary: binary, CacheDir: t.TempDir(), MaxCacheBytes: 1})
	x := speak(t, tiny, "x")
	assertExist(t, map[string]bool{x: true})
	y := speak(t, tiny, "y")
	assertExist(t, map[string]bool{x: false, y: true})
}

func assertExist(t *testing.T, want map[string]bool) {
	t.Helper()
	for path, exists := range want {
		_, err := os.Stat(path)
		if got := err == nil; got != exists {
			t.Errorf("%s exists = %v, want %v", filepath.Base(path), got, exists)
		}
	}
}

func TestMissingBinary(t *testing.T) {
	for _, binary := range []string{
		filepath.Join(t.TempDir(), "espeak-ng"),
		"espeak-ng-not-installed-anywhere",
	} {
		s := newSpeaker(t, Options{Binary: binary})
		_, err := s.Speak(context.Background(), "hello", "en", "")
		if !errors.Is(err, ErrEspeakNotFound) {
			t.Errorf("%s: err = %v, want ErrEspeakNotFound", binary, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "tts: espeak-ng not found: install the espeak-ng package") {
			t.Errorf("message %q", err)
		}
		if err := s.Check(); !errors.Is(err, ErrEspeakNotFound) {
			t.Errorf("Check: %v, want ErrEspeakNotFound", err)
		}
	}
}

func TestRejectsBadInput(t *testing.T) {
	binary, runs := fakeEspeak(t)
	s := newSpeaker(t, Options{Binary: binary, MaxTextBytes: 40})
	tests := []struct {
		name, text, language, voice string
		want                        error
	}{
		{"empty text", "", "en", "", ErrEmptyText},
		{"blank text", " \n\t", "en", "", ErrEmptyText},
		{"long text", strings.Repeat("a", 41), "en", "", ErrTextTooLong},
		{"invalid UTF-8", "hello \xff", "en", "", ErrInvalidText},
		{"NUL", "hello\x00world", "en", "", ErrInvalidText},
		{"option as language", "hi", "-w/etc/passwd", "", ErrInvalidLanguage},
		{"space", "hi", "en us", "", ErrInvalidLanguage},
		{"shell", "hi", "en;rm", "", ErrInvalidLanguage},
		{"path", "hi", "../../x", "", ErrInvalidLanguage},
		{"plus in language", "hi", "en+f3", "", ErrInvalidLanguage},
		{"non-ASCII language", "hi", "magyár", "", ErrInvalidLanguage},
		{"long language", "hi", strings.Repeat("e", 33), "", ErrInvalidLanguage},
		{"voice with plus", "hi", "en", "+f3", ErrInvalidVoice},
		{"voice with space", "hi", "en", "Mr serious", ErrInvalidVoice},
		{"voice as option", "hi", "en", "-x", ErrInvalidVoice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Speak(context.Background(), tt.text, tt.language, tt.voice)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if n := runs(); n != 0 {
		t.Errorf("espeak-ng ran %d times for rejected input", n)
	}
}

func TestUnknownLanguageFromEspeak(t *testing.T) {
	requireEspeak(t)
	s := newSpeaker(t, Options{})
	_, err := s.Speak(context.Background(), "hello", "zz-nosuch", "")
	if !errors.Is(err, ErrUnknownVoice) {
		t.Fatalf("err = %v, want ErrUnknownVoice", err)
	}
	if !strings.Contains(err.Error(), "zz-nosuch") {
		t.Errorf("error %q does not name the language", err)
	}
}

// hangingEspeak writes its pid, then sleeps in its own process (exec) so
// that killing it is observable.
func hangingEspeak(t *testing.T) (binary, pidFile string) {
	dir := t.TempDir()
	pidFile = filepath.Join(dir, "pid")
	binary = script(t, dir, "hang", fmt.Sprintf("echo $$ > '%s.tmp' && mv '%s.tmp' '%s'\nexec sleep 60\n", pidFile, pidFile, pidFile))
	return binary, pidFile
}

func waitForPID(t *testing.T, pidFile string) int {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(pidFile); err == nil {
			var pid int
			if _, err := fmt.Sscan(string(b), &pid); err == nil {
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("espeak-ng stand-in never started")
	return 0
}

func TestCancelKillsEspeak(t *testing.T) {
	binary, pidFile := hangingEspeak(t)
	s := newSpeaker(t, Options{Binary: binary})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Speak(ctx, "never finishes", "en", "")
		done <- err
	}()
	pid := waitForPID(t, pidFile)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Speak did not return after cancellation")
	}
	// Speak has waited for (and reaped) the process: it must be gone.
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("espeak-ng stand-in (pid %d) still exists: %v", pid, err)
	}
	assertNoTempFiles(t, s.dir)
}

func TestTimeoutKillsEspeak(t *testing.T) {
	binary, pidFile := hangingEspeak(t)
	s := newSpeaker(t, Options{Binary: binary, Timeout: 100 * time.Millisecond})
	_, err := s.Speak(context.Background(), "never finishes", "en", "")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	pid := waitForPID(t, pidFile)
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("espeak-ng stand-in (pid %d) still exists: %v", pid, err)
	}
}

func TestWaiterRetriesWhenLeaderGivesUp(t *testing.T) {
	dir := t.TempDir()
	fake, runs := fakeEspeak(t)
	// The first run hangs (and is cancelled); later runs succeed.
	flag := filepath.Join(dir, "hung-once")
	pidFile := filepath.Join(dir, "pid")
	binary := script(t, dir, "hang-once", fmt.Sprintf(`if [ ! -e '%[1]s' ]; then
	touch '%[1]s'; echo $$ > '%[2]s.tmp' && mv '%[2]s.tmp' '%[2]s'; exec sleep 60
fi
exec '%[3]s' "$@"
`, flag, pidFile, fake))
	s := newSpeaker(t, Options{Binary: binary})
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderDone := make(chan error, 1)
	go func() {
		_, err := s.Speak(leaderCtx, "hold music", "en", "")
		leaderDone <- err
	}()
	waitForPID(t, pidFile)
	waiterDone := make(chan error, 1)
	go func() {
		_, err := s.Speak(context.Background(), "hold music", "en", "")
		waiterDone <- err
	}()
	cancelLeader()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: %v, want context.Canceled", err)
	}
	select {
	case err := <-waiterDone:
		if err != nil {
			t.Errorf("waiter: %v, want speech after retrying", err)
		}
		if n := runs(); n != 1 {
			t.Errorf("the waiter's retry ran espeak-ng %d times, want 1", n)
		}
	case <-time.After(waitLimit):
		t.Fatal("waiter did not finish")
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestNewRemovesLeftoversAndIgnoresStrangers(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".espeak-123.wav", ".0123456789abcdef0123456789abcdef.wav.tmp-99", "notes.txt", "0123456789abcdef0123456789abcdef.wav"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := newSpeaker(t, Options{CacheDir: dir})
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, ","); got != "0123456789abcdef0123456789abcdef.wav,notes.txt" {
		t.Errorf("directory holds %s", got)
	}
	if s.CacheBytes() != 1 {
		t.Errorf("CacheBytes = %d, want 1 (only the cache file)", s.CacheBytes())
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New without CacheDir succeeded")
	}
}

func TestNoAudioIsAnError(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.wav")
	os.WriteFile(empty, []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x22\x56\x00\x00\x44\xac\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"), 0o644)
	binary := script(t, dir, "silent", fmt.Sprintf(`while [ $# -gt 0 ]; do
	if [ "$1" = "-w" ]; then cp '%s' "$2"; fi
	shift
done
`, empty))
	s := newSpeaker(t, Options{Binary: binary})
	if _, err := s.Speak(context.Background(), "...", "en", ""); !errors.Is(err, ErrNoAudio) {
		t.Fatalf("err = %v, want ErrNoAudio", err)
	}
	assertNoTempFiles(t, s.dir)
	if s.CacheBytes() != 0 {
		t.Error("a failed synthesis was cached")
	}
}

func TestEspeakFailureCarriesStderr(t *testing.T) {
	dir := t.TempDir()
	binary := script(t, dir, "broken", "echo 'espeak: something broke' >&2\nexit 3\n")
	s := newSpeaker(t, Options{Binary: binary})
	_, err := s.Speak(context.Background(), "hello", "en", "")
	if err == nil || !strings.Contains(err.Error(), "something broke") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("err = %v, want espeak-ng's message and status", err)
	}
}
