package tts

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Defaults for zero Options fields.
const (
	DefaultBinary        = "espeak-ng"
	DefaultLanguage      = "en"
	DefaultMaxCacheBytes = 64 << 20
	DefaultMaxTextBytes  = 4000
	DefaultTimeout       = 30 * time.Second

	maxNameLen   = 32 // language and voice
	stderrLimit  = 1024
	cacheVersion = "v1" // part of the cache key; bump when the output changes
	cacheExt     = ".wav"
	cacheKeyLen  = 32 // hex characters of the SHA-256 used as file name
	rawPrefix    = ".espeak-"
)

var (
	// ErrEspeakNotFound means the espeak-ng binary could not be run because
	// it is not installed (or Options.Binary points nowhere).
	ErrEspeakNotFound = errors.New("tts: espeak-ng not found: install the espeak-ng package")
	// ErrEmptyText means there is nothing to say.
	ErrEmptyText = errors.New("tts: empty text")
	// ErrTextTooLong means the text exceeds Options.MaxTextBytes.
	ErrTextTooLong = errors.New("tts: text too long")
	// ErrInvalidText means the text is not valid UTF-8 or contains NUL.
	ErrInvalidText = errors.New("tts: text is not valid UTF-8 without NUL bytes")
	// ErrInvalidLanguage means the language is not a plain espeak-ng
	// language name (letters, digits, '-' and '_', at most 32).
	ErrInvalidLanguage = errors.New("tts: invalid language")
	// ErrInvalidVoice means the voice is not a plain espeak-ng variant
	// name (letters, digits, '-' and '_', at most 32).
	ErrInvalidVoice = errors.New("tts: invalid voice")
	// ErrUnknownVoice means espeak-ng has no voice for the language.
	ErrUnknownVoice = errors.New("tts: espeak-ng has no such voice")
	// ErrNoAudio means espeak-ng succeeded but produced no samples.
	ErrNoAudio = errors.New("tts: espeak-ng produced no audio")
)

// Options configures a Speaker. CacheDir is required.
type Options struct {
	Binary        string           // espeak-ng program: a name looked up in PATH or a path; default "espeak-ng"
	CacheDir      string           // directory of cached WAV files; created if missing
	MaxCacheBytes int64            // bound on the cached files' total size; default 64 MiB
	MaxTextBytes  int              // longest accepted text; default 4000 bytes
	Timeout       time.Duration    // longest espeak-ng run; default 30 s
	Logger        *slog.Logger     // default: discard
	Now           func() time.Time // stamps last use on cache files; default time.Now
}

// Speaker synthesises and caches speech. It is safe for concurrent use.
type Speaker struct {
	binary       string
	dir          string
	maxBytes     int64
	maxTextBytes int
	timeout      time.Duration
	log          *slog.Logger
	now          func() time.Time

	mu       sync.Mutex
	lru      *list.List               // of *cacheEntry, most recently used first
	entries  map[string]*list.Element // by key
	total    int64
	inflight map[string]*flight
}

type cacheEntry struct {
	key  string
	size int64
}

// flight is one espeak-ng run that concurrent requests for the same key
// wait on.
type flight struct {
	done chan struct{}
	path string
	err  error
	// abandoned: the run failed because the requesting caller's context
	// ended, so a waiter with a live context should try again.
	abandoned bool
}

// New returns a Speaker using opts, indexing (and bounding) the files
// already in the cache directory and removing temporary files left by a
// crash. It does not check that espeak-ng is installed; see Check.
func New(opts Options) (*Speaker, error) {
	if opts.CacheDir == "" {
		return nil, errors.New("tts: Options.CacheDir is required")
	}
	s := &Speaker{
		binary:       cmp(opts.Binary, DefaultBinary),
		dir:          opts.CacheDir,
		maxBytes:     cmp(opts.MaxCacheBytes, DefaultMaxCacheBytes),
		maxTextBytes: cmp(opts.MaxTextBytes, DefaultMaxTextBytes),
		timeout:      cmp(opts.Timeout, DefaultTimeout),
		log:          opts.Logger,
		now:          opts.Now,
		lru:          list.New(),
		entries:      make(map[string]*list.Element),
		inflight:     make(map[string]*flight),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("tts: cache directory: %w", err)
	}
	if err := s.loadIndex(); err != nil {
		return nil, err
	}
	return s, nil
}

// cmp returns v, or def when v is the zero value.
func cmp[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// loadIndex rebuilds the LRU from the cache directory, oldest use last.
func (s *Speaker) loadIndex() error {
	dirEntries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("tts: cache directory: %w", err)
	}
	type found struct {
		key     string
		size    int64
		lastUse time.Time
	}
	var files []found
	for _, de := range dirEntries {
		name := de.Name()
		if strings.HasPrefix(name, rawPrefix) || (strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")) {
			os.Remove(filepath.Join(s.dir, name)) // leftover of a crashed run
			continue
		}
		key, ok := strings.CutSuffix(name, cacheExt)
		if !ok || !isCacheKey(key) || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		files = append(files, found{key, info.Size(), info.ModTime()})
	}
	slices.SortFunc(files, func(a, b found) int { return a.lastUse.Compare(b.lastUse) })
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range files {
		s.entries[f.key] = s.lru.PushFront(&cacheEntry{key: f.key, size: f.size})
		s.total += f.size
	}
	s.evictLocked("")
	return nil
}

func isCacheKey(s string) bool {
	if len(s) != cacheKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// Check reports whether the espeak-ng binary can be found.
func (s *Speaker) Check() error {
	if _, err := exec.LookPath(s.binary); err != nil {
		return fmt.Errorf("%w (looked for %q)", ErrEspeakNotFound, s.binary)
	}
	return nil
}

// CacheBytes is the total size of the cached files.
func (s *Speaker) CacheBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Speak returns the path of an 8 kHz mono 16-bit PCM WAV file saying text
// in the given espeak-ng language ("" means DefaultLanguage, e.g. "en-us",
// "de", "hu") and voice variant ("" for the default, e.g. "f3", "m2"),
// synthesising it unless it is cached.
func (s *Speaker) Speak(ctx context.Context, text, language, voice string) (string, error) {
	if language == "" {
		language = DefaultLanguage
	}
	if err := s.validate(text, language, voice); err != nil {
		return "", err
	}
	key := cacheKey(text, language, voice)
	for {
		s.mu.Lock()
		if path, ok := s.lookupLocked(key); ok {
			s.mu.Unlock()
			return path, nil
		}
		if f, ok := s.inflight[key]; ok {
			s.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", fmt.Errorf("tts: waiting for speech: %w", ctx.Err())
			}
			if f.abandoned && ctx.Err() == nil {
				continue // the caller that ran espeak-ng gave up; run it for us
			}
			return f.path, f.err
		}
		f := &flight{done: make(chan struct{})}
		s.inflight[key] = f
		s.mu.Unlock()

		var size int64
		f.path, size, f.err = s.synthesize(ctx, key, text, language, voice)
		f.abandoned = f.err != nil && ctx.Err() != nil

		s.mu.Lock()
		delete(s.inflight, key)
		if f.err == nil {
			s.addLocked(key, size)
		}
		s.mu.Unlock()
		close(f.done)
		return f.path, f.err
	}
}

func (s *Speaker) validate(text, language, voice string) error {
	if strings.TrimSpace(text) == "" {
		return ErrEmptyText
	}
	if len(text) > s.maxTextBytes {
		return fmt.Errorf("%w: %d bytes (limit %d)", ErrTextTooLong, len(text), s.maxTextBytes)
	}
	if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
		return ErrInvalidText
	}
	if !safeName(language) {
		return fmt.Errorf("%w %q: want letters, digits, '-' or '_' (at most %d), such as \"en-us\"", ErrInvalidLanguage, language, maxNameLen)
	}
	if voice != "" && !safeName(voice) {
		return fmt.Errorf("%w %q: want letters, digits, '-' or '_' (at most %d), such as \"f3\"", ErrInvalidVoice, voice, maxNameLen)
	}
	return nil
}

// safeName accepts names that cannot be mistaken for options or paths on
// the espeak-ng command line: 1–32 of [A-Za-z0-9_-], not starting with '-'.
func safeName(s string) bool {
	if s == "" || len(s) > maxNameLen || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func cacheKey(text, language, voice string) string {
	h := sha256.New()
	for _, part := range []string{cacheVersion, language, voice, text} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:cacheKeyLen]
}

func (s *Speaker) path(key string) string { return filepath.Join(s.dir, key+cacheExt) }

// lookupLocked returns the cached file for key, marking it used, if it is
// indexed and still on disk.
func (s *Speaker) lookupLocked(key string) (string, bool) {
	el, ok := s.entries[key]
	if !ok {
		return "", false
	}
	path := s.path(key)
	now := s.now()
	if err := os.Chtimes(path, now, now); err != nil {
		// Deleted behind our back (or unusable): forget it and re-create.
		s.removeLocked(el)
		s.log.Debug("tts: cached file vanished", "path", path, "err", err)
		return "", false
	}
	s.lru.MoveToFront(el)
	return path, true
}

// addLocked indexes a new file, stamps its last use and evicts older
// ones beyond the bound.
func (s *Speaker) addLocked(key string, size int64) {
	now := s.now()
	if err := os.Chtimes(s.path(key), now, now); err != nil {
		s.log.Debug("tts: stamping cached speech", "key", key, "err", err)
	}
	if el, ok := s.entries[key]; ok {
		s.removeLocked(el)
	}
	s.entries[key] = s.lru.PushFront(&cacheEntry{key: key, size: size})
	s.total += size
	s.evictLocked(key)
}

// evictLocked removes least recently used files until the cache fits,
// never removing keep.
func (s *Speaker) evictLocked(keep string) {
	for s.total > s.maxBytes {
		el := s.lru.Back()
		if el == nil || el.Value.(*cacheEntry).key == keep {
			return
		}
		e := el.Value.(*cacheEntry)
		if err := os.Remove(s.path(e.key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("tts: evicting cached speech", "path", s.path(e.key), "err", err)
		}
		s.removeLocked(el)
		s.log.Debug("tts: evicted cached speech", "key", e.key, "bytes", e.size)
	}
}

func (s *Speaker) removeLocked(el *list.Element) {
	e := el.Value.(*cacheEntry)
	s.lru.Remove(el)
	delete(s.entries, e.key)
	s.total -= e.size
}
