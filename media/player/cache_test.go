package player_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/media/player"
)

// audioServer serves files from dir on loopback, counting requests per
// path; /slow waits for release before answering.
type audioServer struct {
	*httptest.Server
	mu      sync.Mutex
	hits    map[string]int
	release chan struct{}
}

func newAudioServer(t *testing.T, dir string) *audioServer {
	t.Helper()
	s := &audioServer{hits: map[string]int{}, release: make(chan struct{})}
	files := http.FileServer(http.Dir(dir))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		if r.URL.Path == "/slow.wav" {
			<-s.release
			r.URL.Path = "/a.wav"
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *audioServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// fakeNow is a clock that moves one second per call.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(time.Second)
	return f.t
}

func TestURLCache(t *testing.T) {
	t.Parallel()
	files := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		writeSineWAV(t, filepath.Join(files, n+".wav"), 700, 8000) // 16 KB each
	}
	os.WriteFile(filepath.Join(files, "big.wav"), make([]byte, 40000), 0o644)
	srv := newAudioServer(t, files)
	cacheDir := t.TempDir()
	clock := &fakeNow{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	opts := player.Options{CacheDir: cacheDir, MaxCacheBytes: 40000, MaxFileBytes: 30000, Now: clock.now}
	lib, err := player.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	open := func(path string) {
		t.Helper()
		src, err := lib.Open(ctx, srv.URL+path)
		if err != nil {
			t.Fatalf("Open(%s): %v", path, err)
		}
		if n := len(readAll(t, src, 1<<20)); n != 8000 {
			t.Fatalf("%s: %d samples", path, n)
		}
	}
	// Concurrent opens of one URL: one download.
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range 8 {
		wg.Go(func() {
			src, err := lib.Open(ctx, srv.URL+"/slow.wav")
			if err != nil {
				failures.Add(1)
				return
			}
			src.Close()
		})
	}
	for srv.count("/slow.wav") == 0 {
		time.Sleep(time.Millisecond)
	}
	close(srv.release)
	wg.Wait()
	if failures.Load() != 0 || srv.count("/slow.wav") != 1 {
		t.Fatalf("slow.wav: %d downloads, %d failures", srv.count("/slow.wav"), failures.Load())
	}
	open("/a.wav")
	open("/b.wav")
	open("/a.wav") // cached, and now more recently used than b
	if srv.count("/a.wav") != 1 {
		t.Fatalf("a.wav downloaded %d times", srv.count("/a.wav"))
	}
	open("/c.wav") // over the bound: evicts the least recently used (slow, then b)
	if got := lib.CacheBytes(); got > opts.MaxCacheBytes {
		t.Fatalf("cache holds %d bytes, bound %d", got, opts.MaxCacheBytes)
	}
	open("/a.wav")
	open("/b.wav")
	if srv.count("/a.wav") != 1 || srv.count("/b.wav") != 2 {
		t.Fatalf("downloads a=%d b=%d, want 1 and 2 (b evicted)", srv.count("/a.wav"), srv.count("/b.wav"))
	}
	// Too large, missing, not audio, not http.
	if _, err := lib.Open(ctx, srv.URL+"/big.wav"); !errors.Is(err, player.ErrTooLarge) {
		t.Errorf("big download: %v, want ErrTooLarge", err)
	}
	if _, err := lib.Open(ctx, srv.URL+"/missing.wav"); err == nil {
		t.Error("404 accepted")
	}
	if _, err := lib.Open(ctx, "http:///nohost"); !errors.Is(err, player.ErrBadSpec) {
		t.Errorf("URL without host: %v", err)
	}
	// A restart keeps the cache: no new download, and the bound holds.
	lib2, err := player.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	before := srv.count("/b.wav")
	src, err := lib2.Open(ctx, srv.URL+"/b.wav")
	if err != nil {
		t.Fatal(err)
	}
	src.Close()
	if srv.count("/b.wav") != before || lib2.CacheBytes() > opts.MaxCacheBytes || lib2.CacheBytes() == 0 {
		t.Fatalf("after restart: b downloads %d→%d, cache %d bytes", before, srv.count("/b.wav"), lib2.CacheBytes())
	}
	entries, _ := os.ReadDir(cacheDir)
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".audio" {
			t.Errorf("stray file %s in the cache dir", e.Name())
		}
	}
}

func TestURLWaiterGivesUp(t *testing.T) {
	t.Parallel()
	files := t.TempDir()
	writeSineWAV(t, filepath.Join(files, "a.wav"), 700, 800)
	srv := newAudioServer(t, files)
	lib, _ := player.New(player.Options{CacheDir: t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := lib.Open(ctx, srv.URL+"/slow.wav")
		done <- err
	}()
	for srv.count("/slow.wav") == 0 {
		time.Sleep(time.Millisecond)
	}
	// The first caller gives up; the download goes on for the next one.
	cancel()
	second := make(chan error, 1)
	go func() {
		src, err := lib.Open(context.Background(), srv.URL+"/slow.wav")
		if err == nil {
			src.Close()
		}
		second <- err
	}()
	close(srv.release)
	<-done
	if err := <-second; err != nil {
		t.Fatalf("second caller: %v", err)
	}
	if n := srv.count("/slow.wav"); n != 1 {
		t.Fatalf("%d downloads, want 1", n)
	}
}
