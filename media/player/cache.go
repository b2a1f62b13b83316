package player

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// cache is the URL download cache: one file per URL, named by the URL's
// hash, bounded in total size with least-recently-used eviction.
type cache struct {
	dir      string
	maxBytes int64
	maxFile  int64
	timeout  time.Duration
	client   *http.Client
	now      func() time.Time
	log      *slog.Logger

	mu       sync.Mutex
	entries  map[string]*cacheEntry // by file name
	total    int64
	inflight map[string]*download // by file name
}

type cacheEntry struct {
	size    int64
	lastUse time.Time
}

// download is one fetch in progress; done is closed when err is set.
type download struct {
	done chan struct{}
	err  error
}

func newCache(opts Options, log *slog.Logger) (*cache, error) {
	c := &cache{
		dir:      opts.CacheDir,
		maxBytes: opts.MaxCacheBytes,
		maxFile:  opts.MaxFileBytes,
		timeout:  opts.DownloadTimeout,
		client:   opts.Client,
		now:      opts.Now,
		log:      log,
		entries:  map[string]*cacheEntry{},
		inflight: map[string]*download{},
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxCacheBytes
	}
	if c.maxFile <= 0 {
		c.maxFile = DefaultMaxFileBytes
	}
	c.maxFile = min(c.maxFile, c.maxBytes)
	if c.timeout <= 0 {
		c.timeout = DefaultDownloadTimeout
	}
	if c.client == nil {
		c.client = &http.Client{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if err := os.MkdirAll(c.dir, defaultCacheDirFileMode); err != nil {
		return nil, fmt.Errorf("player: cache dir: %w", err)
	}
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("player: cache dir: %w", err)
	}
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, downloadTempPrefix) {
			os.Remove(filepath.Join(c.dir, name)) // left by a crash
			continue
		}
		if !strings.HasSuffix(name, cacheFileExt) || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		c.entries[name] = &cacheEntry{size: info.Size(), lastUse: info.ModTime()}
		c.total += info.Size()
	}
	c.mu.Lock()
	c.evictLocked("")
	c.mu.Unlock()
	return c, nil
}

// cacheName is the file name for a URL.
func cacheName(u string) string {
	sum := sha256.Sum256([]byte(u))
	return hex.EncodeToString(sum[:16]) + cacheFileExt
}

// checkURL accepts absolute http and https URLs with a host.
func checkURL(raw string) error {
	if len(raw) > maxURLBytes {
		return fmt.Errorf("%w: URL longer than %d bytes", ErrBadSpec, maxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSpec, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an http or https URL", ErrBadSpec, raw)
	}
	return nil
}

// openURL returns a Source for the audio at u, downloading it first if it
// is not cached.
func (l *Library) openURL(ctx context.Context, u string) (Source, error) {
	if l.cache == nil {
		return nil, ErrNoCache
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	p, err := l.cache.fetch(ctx, cacheName("url:"+u), func(ctx context.Context, f *os.File) error {
		return l.cache.download(ctx, u, f)
	})
	if err != nil {
		return nil, err
	}
	src, err := l.openAudio(ctx, "url:"+u, func() (io.ReadCloser, error) { return os.Open(p) })
	if err != nil {
		return nil, fmt.Errorf("player: %s: %w", u, err)
	}
	return src, nil
}

// fillFunc writes a cache entry's content into f.
type fillFunc func(ctx context.Context, f *os.File) error

// fetch returns the path of the cache entry name, calling fill to make it
// when it is missing. Concurrent fetches of one name share one fill.
func (c *cache) fetch(ctx context.Context, name string, fill fillFunc) (string, error) {
	p := filepath.Join(c.dir, name)
	for {
		c.mu.Lock()
		if e, ok := c.entries[name]; ok {
			now := c.now()
			e.lastUse = now
			c.mu.Unlock()
			// The modification time carries last use across restarts.
			os.Chtimes(p, time.Time{}, now)
			return p, nil
		}
		d, busy := c.inflight[name]
		if !busy {
			d = &download{done: make(chan struct{})}
			c.inflight[name] = d
			c.mu.Unlock()
			// The download serves every waiter: it outlives the first
			// caller's context, bounded by the download timeout.
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
			size, err := c.fill(dctx, p, fill)
			cancel()
			now := c.now()
			if err == nil {
				os.Chtimes(p, time.Time{}, now)
			}
			c.mu.Lock()
			delete(c.inflight, name)
			if err == nil {
				c.entries[name] = &cacheEntry{size: size, lastUse: now}
				c.total += size
				c.evictLocked(name)
			}
			d.err = err
			close(d.done)
			c.mu.Unlock()
			if err != nil {
				return "", err
			}
			return p, nil
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-d.done:
		}
		if d.err != nil {
			return "", d.err
		}
		// Loop: the entry is in the index now (unless already evicted,
		// which starts a new download).
	}
}

// fill makes the entry at p through a temporary file in the cache dir
// (fsynced, then renamed) and returns its size.
func (c *cache) fill(ctx context.Context, p string, fill fillFunc) (int64, error) {
	tmp, err := os.CreateTemp(c.dir, downloadTempPrefix+"*")
	if err != nil {
		return 0, fmt.Errorf("player: cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	err = fill(ctx, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	var size int64
	if err == nil {
		var st os.FileInfo
		if st, err = tmp.Stat(); err == nil {
			size = st.Size()
		}
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("player: cache: %w", cerr)
	}
	if err == nil {
		if err = os.Rename(tmp.Name(), p); err != nil {
			err = fmt.Errorf("player: cache: %w", err)
		}
	}
	return size, err
}

// download fetches u into f, refusing more than the file limit.
func (c *cache) download(ctx context.Context, u string, f *os.File) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("player: %w: %w", ErrBadSpec, err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("player: download %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("player: download %s: HTTP status %s", u, resp.Status)
	}
	if resp.ContentLength > c.maxFile {
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrTooLarge, u, resp.ContentLength, c.maxFile)
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, c.maxFile+1))
	if err != nil {
		return fmt.Errorf("player: download %s: %w", u, err)
	}
	if n > c.maxFile {
		return fmt.Errorf("%w: %s exceeds %d bytes", ErrTooLarge, u, c.maxFile)
	}
	c.log.Info("audio downloaded", "url", u, "bytes", n)
	return nil
}

// evictLocked removes least recently used files until the cache fits its
// bound, never the one named keep. c.mu is held.
func (c *cache) evictLocked(keep string) {
	if c.total <= c.maxBytes {
		return
	}
	names := make([]string, 0, len(c.entries))
	for name := range c.entries {
		if name != keep {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool { return c.entries[names[i]].lastUse.Before(c.entries[names[j]].lastUse) })
	for _, name := range names {
		if c.total <= c.maxBytes {
			return
		}
		if err := os.Remove(filepath.Join(c.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("cache eviction failed", "file", name, "err", err)
			continue
		}
		c.total -= c.entries[name].size
		delete(c.entries, name)
	}
}

// cacheBytes returns the cache's total size (for tests and status).
func (c *cache) cacheBytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// CacheBytes returns the URL cache's total size in bytes.
func (l *Library) CacheBytes() int64 {
	if l.cache == nil {
		return 0
	}
	return l.cache.cacheBytes()
}
