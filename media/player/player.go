package player

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/media/wav"
)

// Speaker turns text into a WAV file (media/tts's Speaker).
type Speaker interface {
	Speak(ctx context.Context, text, language, voice string) (string, error)
}

// Defaults for Options.
const (
	DefaultMaxCacheBytes    = 64 << 20
	DefaultMaxFileBytes     = 16 << 20
	DefaultDownloadTimeout  = time.Minute
	DefaultRegion           = "us"
	maxURLBytes             = 2048
	defaultHoldMusicWAV     = "moh.wav"
	defaultHoldMusicMP3     = "moh.mp3"
	maxSpecBytes            = 4096
	downloadTempPrefix      = ".download-"
	cacheFileExt            = ".audio"
	defaultCacheDirFileMode = 0o750
)

// Errors callers may test for.
var (
	ErrNoRoot    = errors.New("player: no data dir configured for files")
	ErrNoCache   = errors.New("player: no cache dir configured for URLs")
	ErrNoSpeaker = errors.New("player: text to speech is not configured")
	ErrBadSpec   = errors.New("player: bad audio spec")
	ErrTooLarge  = errors.New("player: download larger than the limit")
)

// Options configures a Library. Every field is optional; a feature whose
// field is empty is refused with a clear error.
type Options struct {
	Root            string        // files (and moh.wav/moh.mp3) are opened under this dir
	CacheDir        string        // URL downloads are cached here; created if missing
	MaxCacheBytes   int64         // bound on the cache dir's total size; default 64 MiB
	MaxFileBytes    int64         // largest single download; default 16 MiB (at most MaxCacheBytes)
	DownloadTimeout time.Duration // per download; default 1 min
	Client          *http.Client  // default: http.Client{}
	Speaker         Speaker       // text to speech
	Region          string        // default tone region; default "us"
	// MusicOnHold is the spec of the hold music; default moh.wav or
	// moh.mp3 under Root when present, else the built-in melody.
	MusicOnHold string
	Logger      *slog.Logger     // default: discard
	Now         func() time.Time // stamps last use of cached files; default time.Now
}

// Library opens audio by spec. Safe for concurrent use.
type Library struct {
	root    *os.Root // nil: no files
	speaker Speaker
	region  string
	moh     string
	log     *slog.Logger
	cache   *cache // nil: no URLs
}

// New returns a Library. It opens Root and CacheDir (creating CacheDir)
// and indexes the cache.
func New(opts Options) (*Library, error) {
	l := &Library{speaker: opts.Speaker, region: strings.ToLower(opts.Region), moh: opts.MusicOnHold, log: opts.Logger}
	if l.region == "" {
		l.region = DefaultRegion
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if opts.Root != "" {
		r, err := os.OpenRoot(opts.Root)
		if err != nil {
			return nil, fmt.Errorf("player: open data dir: %w", err)
		}
		l.root = r
	}
	if opts.CacheDir != "" {
		c, err := newCache(opts, l.log)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.cache = c
	}
	return l, nil
}

// Close releases the data dir handle. Sources already open stay usable.
func (l *Library) Close() error {
	if l.root == nil {
		return nil
	}
	return l.root.Close()
}

// Open opens the audio named by spec (see the package doc): a URL, a
// "tone:" spec, "moh:" or a file under the root.
func (l *Library) Open(ctx context.Context, spec string) (Source, error) {
	if len(spec) > maxSpecBytes || strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("%w: empty or longer than %d bytes", ErrBadSpec, maxSpecBytes)
	}
	spec = strings.TrimSpace(spec)
	scheme, rest, _ := strings.Cut(spec, ":")
	switch strings.ToLower(scheme) {
	case "http", "https":
		return l.openURL(ctx, spec)
	case "tone":
		return l.openToneSpec(rest)
	case "moh":
		return l.MusicOnHold(ctx)
	case "file":
		return l.OpenFile(rest)
	}
	return l.OpenFile(spec)
}

// OpenFile opens a WAV or MP3 file by its path relative to the root.
func (l *Library) OpenFile(name string) (Source, error) {
	if l.root == nil {
		return nil, ErrNoRoot
	}
	if name == "" || path.IsAbs(name) || strings.HasPrefix(name, `\`) || strings.Contains(name, ":") {
		return nil, fmt.Errorf("%w: %q is not a path relative to the data dir", ErrBadSpec, name)
	}
	st, err := l.root.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("player: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("player: %s: not a regular file", name)
	}
	// The identity of a file's transcoded copy changes with the file.
	id := fmt.Sprintf("file:%s:%d:%d", name, st.Size(), st.ModTime().UnixNano())
	src, err := l.openAudio(context.Background(), id, func() (io.ReadCloser, error) { return l.root.Open(name) })
	if err != nil {
		return nil, fmt.Errorf("player: %s: %w", name, err)
	}
	return src, nil
}

// Speak returns text spoken by the Speaker in the given language and voice
// ("" for the Speaker's defaults).
func (l *Library) Speak(ctx context.Context, text, language, voice string) (Source, error) {
	if l.speaker == nil {
		return nil, ErrNoSpeaker
	}
	p, err := l.speaker.Speak(ctx, text, language, voice)
	if err != nil {
		return nil, fmt.Errorf("player: speak: %w", err)
	}
	r, err := wav.Open(p)
	if err != nil {
		return nil, fmt.Errorf("player: speak: %w", err)
	}
	return r, nil
}

// MusicOnHold returns the hold music, looped forever: the configured spec,
// else moh.wav or moh.mp3 under the root, else the built-in melody. A
// configured spec that fails to open is an error; the built-in melody
// covers only the case where nothing is configured.
func (l *Library) MusicOnHold(ctx context.Context) (Source, error) {
	spec := l.moh
	if spec == "" && l.root != nil {
		for _, name := range []string{defaultHoldMusicWAV, defaultHoldMusicMP3} {
			if _, err := l.root.Stat(name); err == nil {
				spec = name
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				l.log.Warn("hold music file unusable", "file", name, "err", err)
			}
		}
	}
	if spec == "" {
		return Loop(func() (Source, error) { return newMelody(), nil }), nil
	}
	if strings.HasPrefix(strings.ToLower(spec), "moh:") {
		return nil, fmt.Errorf("%w: hold music cannot be %q", ErrBadSpec, spec)
	}
	// Open once now so that a bad file is reported to the caller.
	first, err := l.Open(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("player: hold music: %w", err)
	}
	return Loop(func() (Source, error) {
		if first != nil {
			s := first
			first = nil
			return s, nil
		}
		return l.Open(context.WithoutCancel(ctx), spec)
	}), nil
}
