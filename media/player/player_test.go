package player_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/player"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/media/tts"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeSineWAV(t, filepath.Join(root, "prompts", "hello.wav"), 800, 4000)
	copyFile(t, "testdata/tone1k-44k.mp3", filepath.Join(root, "music.mp3"))
	copyFile(t, "testdata/tone500-22k-stereo.mp3", filepath.Join(root, "named-wrongly.wav"))
	// Without a cache MP3 is decoded while playing; with one it is
	// transcoded once to an 8 kHz WAV and played from there.
	for _, cacheDir := range []string{"", t.TempDir()} {
		lib, err := player.New(player.Options{Root: root, CacheDir: cacheDir})
		if err != nil {
			t.Fatal(err)
		}
		defer lib.Close()
		openFiles(t, lib)
		if cacheDir != "" && lib.CacheBytes() < 2*2*4000 {
			t.Errorf("cache holds %d bytes: the two MP3s were not transcoded", lib.CacheBytes())
		}
	}
}

func openFiles(t *testing.T, lib *player.Library) {
	for _, c := range []struct {
		spec       string
		freq       float64
		minSamples int
		maxSamples int
	}{
		{"prompts/hello.wav", 800, 4000, 4000},
		{"file:prompts/hello.wav", 800, 4000, 4000},
		{"music.mp3", 1000, 4000, 4800},        // MP3 adds encoder delay and padding
		{"named-wrongly.wav", 500, 4000, 4800}, // MPEG-2 stereo, found by content
	} {
		t.Run(c.spec, func(t *testing.T) {
			src, err := lib.Open(context.Background(), c.spec)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			s := readAll(t, src, 1<<20)
			if len(s) < c.minSamples || len(s) > c.maxSamples {
				t.Fatalf("%d samples, want %d-%d", len(s), c.minSamples, c.maxSamples)
			}
			mid := s[len(s)/4 : len(s)*3/4]
			if f := dominantFreq(mid); f < c.freq*0.97 || f > c.freq*1.03 {
				t.Fatalf("frequency %.0f Hz, want %.0f", f, c.freq)
			}
			if p := peak(mid); p < 2000 {
				t.Fatalf("peak %d: too quiet", p)
			}
		})
	}
}

func TestOpenFileRefusesEscapesAndJunk(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	writeSineWAV(t, filepath.Join(outside, "secret.wav"), 800, 160)
	root := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "secret.wav"), filepath.Join(root, "link.wav")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "notes.txt"), []byte("hello, not audio"), 0o644)
	os.Mkdir(filepath.Join(root, "dir"), 0o755)
	lib, err := player.New(player.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	for _, spec := range []string{
		"../" + filepath.Base(outside) + "/secret.wav",
		"a/../../secret.wav",
		filepath.Join(outside, "secret.wav"),
		"file:/etc/passwd",
		`C:\secret.wav`,
		"link.wav",
		"missing.wav",
		"notes.txt",
		"dir",
		"",
		"   ",
	} {
		if src, err := lib.Open(context.Background(), spec); err == nil {
			src.Close()
			t.Errorf("Open(%q) succeeded", spec)
		}
	}
	if _, err := lib.Open(context.Background(), "notes.txt"); !errors.Is(err, player.ErrUnknownFormat) {
		t.Errorf("text file: %v, want ErrUnknownFormat", err)
	}
	bare, _ := player.New(player.Options{})
	for spec, want := range map[string]error{"x.wav": player.ErrNoRoot, "http://127.0.0.1/x": player.ErrNoCache} {
		if _, err := bare.Open(context.Background(), spec); !errors.Is(err, want) {
			t.Errorf("Open(%q) without dirs = %v, want %v", spec, err, want)
		}
	}
	if _, err := bare.Speak(context.Background(), "hi", "", ""); !errors.Is(err, player.ErrNoSpeaker) {
		t.Errorf("Speak without speaker = %v", err)
	}
}

func TestTones(t *testing.T) {
	t.Parallel()
	lib, _ := player.New(player.Options{Region: "UK"})
	for _, c := range []struct {
		spec    string
		samples int // 0: endless
		freq    float64
	}{
		{"tone:beep", 4000, 1400},
		{"tone:us/beep", 4000, 1400},
		{"tone:busy", 0, 400}, // the UK default region's busy tone
		{"tone:de/dial", 0, 425},
	} {
		src, err := lib.Open(context.Background(), c.spec)
		if err != nil {
			t.Fatalf("Open(%q): %v", c.spec, err)
		}
		s := readAll(t, src, 16000)
		if c.samples != 0 && len(s) != c.samples || c.samples == 0 && len(s) != 16000 {
			t.Errorf("%s: %d samples", c.spec, len(s))
		}
		if f := dominantFreq(s[:2400]); f < c.freq*0.97 || f > c.freq*1.03 {
			t.Errorf("%s: %.0f Hz, want %.0f", c.spec, f, c.freq)
		}
	}
	for _, spec := range []string{"tone:", "tone:warble", "tone:xx/busy"} {
		if _, err := lib.Open(context.Background(), spec); err == nil {
			t.Errorf("Open(%q) succeeded", spec)
		}
	}
	if _, err := lib.Tone("", tone.Beep); err != nil {
		t.Errorf("Tone: %v", err)
	}
}

// fakeSpeaker returns a WAV it wrote, recording what it was asked.
type fakeSpeaker struct {
	path string
	got  []string
}

func (f *fakeSpeaker) Speak(_ context.Context, text, language, voice string) (string, error) {
	f.got = []string{text, language, voice}
	return f.path, nil
}

func TestSpeak(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fs := &fakeSpeaker{path: filepath.Join(dir, "said.wav")}
	writeSineWAV(t, fs.path, 300, 1600)
	lib, _ := player.New(player.Options{Speaker: fs})
	src, err := lib.Speak(context.Background(), "hello", "en-gb", "f1")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(readAll(t, src, 1<<20)); n != 1600 || fs.got[0] != "hello" || fs.got[1] != "en-gb" || fs.got[2] != "f1" {
		t.Fatalf("%d samples, asked %q", n, fs.got)
	}
}

func TestSpeakWithEspeak(t *testing.T) {
	t.Parallel()
	sp, err := tts.New(tts.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Check(); err != nil {
		t.Skipf("espeak-ng unavailable: %v", err)
	}
	lib, _ := player.New(player.Options{Speaker: sp})
	src, err := lib.Speak(context.Background(), "Your call is important to us.", "en", "")
	if err != nil {
		t.Fatal(err)
	}
	s := readAll(t, src, 1<<20)
	if len(s) < stream.SampleRate/2 || peak(s) < 1000 {
		t.Fatalf("speech: %d samples, peak %d", len(s), peak(s))
	}
}

func TestMusicOnHold(t *testing.T) {
	t.Parallel()
	// Nothing configured: the built-in melody, looped, soft, never ending.
	lib, _ := player.New(player.Options{Root: t.TempDir()})
	src, err := lib.Open(context.Background(), "moh:")
	if err != nil {
		t.Fatal(err)
	}
	s := readAll(t, src, 30*stream.SampleRate)
	if len(s) != 30*stream.SampleRate {
		t.Fatalf("melody ended after %d samples", len(s))
	}
	if p := peak(s); p < 500 || p > int(tone.Amplitude(-20))+1 {
		t.Fatalf("melody peak %d, want soft but audible (about %v)", p, tone.Amplitude(-20))
	}
	// moh.wav under the root: looped.
	root := t.TempDir()
	writeSineWAV(t, filepath.Join(root, "moh.wav"), 600, 1000)
	lib, _ = player.New(player.Options{Root: root})
	src, err = lib.MusicOnHold(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s := readAll(t, src, 5000); len(s) != 5000 || dominantFreq(s) < 580 || dominantFreq(s) > 620 {
		t.Fatalf("moh.wav loop: %d samples at %.0f Hz", len(s), dominantFreq(s))
	}
	// A configured hold file that is missing is an error, not silence.
	lib, _ = player.New(player.Options{Root: root, MusicOnHold: "gone.mp3"})
	if _, err := lib.MusicOnHold(context.Background()); err == nil {
		t.Fatal("missing configured hold music accepted")
	}
}

func TestRepeatLoopTimeout(t *testing.T) {
	t.Parallel()
	closed := 0
	open := func(n int) player.OpenFunc {
		return func() (player.Source, error) { return &frames{n: n, left: n, closed: &closed}, nil }
	}
	for _, c := range []struct {
		name string
		src  player.Source
		want int // samples
	}{
		{"repeat 3 of 5 frames", player.Repeat(3, open(5)), 15 * stream.FrameSamples},
		{"repeat 1", player.Repeat(1, open(2)), 2 * stream.FrameSamples},
		{"loop of nothing ends", player.Loop(open(0)), 0},
		{"timeout of a loop", player.Timeout(player.Loop(open(3)), time.Second), stream.SampleRate},
		{"timeout mid-frame", player.Timeout(player.Loop(open(3)), 30*time.Millisecond), 240},
		{"timeout longer than the source", player.Timeout(player.Repeat(2, open(1)), time.Minute), 2 * stream.FrameSamples},
	} {
		if got := len(readAll(t, c.src, 1<<20)); got != c.want {
			t.Errorf("%s: %d samples, want %d", c.name, got, c.want)
		}
	}
	closed = 0
	src := player.Loop(open(5))
	readAll(t, player.Timeout(src, 50*time.Millisecond), 1<<20) // closes src mid-pass
	if closed != 1 {
		t.Errorf("Close closed %d passes, want 1", closed)
	}
	failing := player.Repeat(2, func() (player.Source, error) { return nil, errors.New("boom") })
	if _, err := failing.ReadFrame(make([]int16, stream.FrameSamples)); err == nil {
		t.Error("open error not reported")
	}
}

func TestSourcesDoNotAllocatePerFrame(t *testing.T) {
	root := t.TempDir()
	writeSineWAV(t, filepath.Join(root, "long.wav"), 800, 10*stream.SampleRate)
	writeLongMP3(t, filepath.Join(root, "m.mp3"))
	lib, _ := player.New(player.Options{Root: root, CacheDir: t.TempDir()})
	buf := make([]int16, stream.FrameSamples)
	for _, spec := range []string{"long.wav", "m.mp3", "tone:dial", "moh:"} {
		inner, err := lib.Open(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		src := player.Timeout(player.Repeat(0, func() (player.Source, error) { return inner, nil }), time.Hour)
		src.ReadFrame(buf)
		if a := testing.AllocsPerRun(200, func() { src.ReadFrame(buf) }); a != 0 {
			t.Errorf("%s: %v allocations per frame", spec, a)
		}
		src.Close()
	}
}

// writeLongMP3 writes 40 copies of a test MP3 back to back (20 s), so that
// opening is amortised and a figure is the decoder's steady state.
func writeLongMP3(t testing.TB, path string) {
	t.Helper()
	data, err := os.ReadFile("testdata/tone1k-44k.mp3")
	if err != nil {
		t.Fatal(err)
	}
	var long []byte
	for range 40 {
		long = append(long, data...)
	}
	if err := os.WriteFile(path, long, 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkMP3Frame is MP3 decoded while playing (no cache dir).
func BenchmarkMP3Frame(b *testing.B) {
	root := b.TempDir()
	writeLongMP3(b, filepath.Join(root, "m.mp3"))
	lib, _ := player.New(player.Options{Root: root})
	buf := make([]int16, stream.FrameSamples)
	src := player.Loop(func() (player.Source, error) { return lib.OpenFile("m.mp3") })
	defer src.Close()
	b.ReportAllocs()
	for b.Loop() {
		src.ReadFrame(buf)
	}
}
