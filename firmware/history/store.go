package history

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/gatepbx/gatepbx/firmware/config"
)

const (
	// DefaultMaxRecords is used when Options.MaxRecords is zero.
	DefaultMaxRecords = 10000
	// minSegmentRecords is the smallest default segment size.
	minSegmentRecords = 100

	dirPerm  fs.FileMode = 0o700
	filePerm fs.FileMode = 0o600
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("history store is closed")

// Options configure Open.
type Options struct {
	// Dir holds the segment files; it is created (0700) if missing.
	Dir string
	// MaxRecords is how many of the newest records are kept (in memory and
	// at least that many on disk). Zero means DefaultMaxRecords.
	MaxRecords int
	// SegmentRecords is how many lines a segment file holds before a new
	// one is started. Zero means MaxRecords/10, but at least 100.
	SegmentRecords int
	// Logger receives repairs and skipped lines; nil discards them.
	Logger *slog.Logger
}

// Store is the call-history store. It is safe for concurrent use.
type Store struct {
	dir            string
	maxRecords     int
	segmentRecords int
	log            *slog.Logger

	mu          sync.Mutex
	segments    []*segment // oldest first
	diskRecords int        // valid records across segments
	nextSeq     uint64     // sequence number of the next new segment
	current     *os.File   // append handle on the last segment, opened lazily
	index       *recordIndex
	closed      bool
}

// Open reads the store in o.Dir, creating the directory if needed. Corrupt
// lines are logged and skipped and a torn last line is cut off; only I/O
// errors on the directory itself make Open fail.
func Open(o Options) (*Store, error) {
	if o.Dir == "" {
		return nil, errors.New("open history: Options.Dir is empty")
	}
	maxRecords := o.MaxRecords
	switch {
	case maxRecords < 0:
		return nil, fmt.Errorf("open history: MaxRecords %d is negative", maxRecords)
	case maxRecords == 0:
		maxRecords = DefaultMaxRecords
	}
	segmentRecords := o.SegmentRecords
	switch {
	case segmentRecords < 0:
		return nil, fmt.Errorf("open history: SegmentRecords %d is negative", segmentRecords)
	case segmentRecords == 0:
		segmentRecords = max(maxRecords/10, minSegmentRecords)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		dir:            o.Dir,
		maxRecords:     maxRecords,
		segmentRecords: segmentRecords,
		log:            logger.With("component", "history", "dir", o.Dir),
		nextSeq:        1,
		index:          newRecordIndex(maxRecords),
	}
	if err := s.ensureDir(); err != nil {
		return nil, fmt.Errorf("open history in %s: %w", o.Dir, err)
	}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("open history in %s: %w", o.Dir, err)
	}
	s.enforceBound()
	return s, nil
}

func (s *Store) ensureDir() error {
	info, err := os.Stat(s.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(s.dir, dirPerm); err != nil {
			return fmt.Errorf("create dir: %w", err)
		}
		if err := config.SyncDir(filepath.Dir(s.dir)); err != nil {
			s.log.Warn("could not fsync parent of new history dir", "err", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("stat dir: %w", err)
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory", s.dir)
	}
	return nil
}

// load reads every segment, oldest first, into s.segments and s.index.
func (s *Store) load() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("list dir: %w", err)
	}
	for _, e := range entries {
		seq, ok := parseSegmentName(e.Name())
		if !ok {
			continue
		}
		// Never reuse a segment-like name, even one we skip below.
		s.nextSeq = max(s.nextSeq, seq+1)
		if !e.Type().IsRegular() {
			s.log.Warn("skipping history segment that is not a regular file", "file", e.Name(), "type", e.Type().String())
			continue
		}
		s.segments = append(s.segments, &segment{seq: seq, path: filepath.Join(s.dir, e.Name()), appendable: true})
	}
	slices.SortFunc(s.segments, func(a, b *segment) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	for i, seg := range s.segments {
		s.loadSegment(seg, i == len(s.segments)-1)
	}
	return nil
}

// loadSegment reads one segment into the index. Problems are logged, never
// returned: one bad file must not cost the rest of the history.
func (s *Store) loadSegment(seg *segment, isLast bool) {
	name := filepath.Base(seg.path)
	data, err := os.ReadFile(seg.path)
	if err != nil {
		s.log.Error("cannot read history segment; skipping it", "file", name, "err", err)
		seg.appendable = false
		return
	}
	p := parseSegment(data)
	for _, bad := range p.bad {
		s.log.Warn("skipping corrupt history line", "file", name, "line", bad.number, "err", bad.err)
	}
	for _, r := range p.records {
		s.index.add(r)
	}
	seg.lines = p.lines
	seg.records = len(p.records)
	seg.size = p.completeSize
	s.diskRecords += seg.records
	if len(p.tail) == 0 {
		return
	}
	tailLine := p.lines + 1
	if !isLast {
		// Nothing appends to an older segment, so its tail is left as is.
		if p.tailErr != nil {
			s.log.Warn("skipping torn line at end of older history segment", "file", name, "line", tailLine, "bytes", len(p.tail), "err", p.tailErr)
		}
		return
	}
	if p.tailErr == nil {
		// The whole record reached the disk but its newline did not.
		if err := s.completeTail(seg); err != nil {
			s.log.Error("cannot complete last history line; new records go to a new segment", "file", name, "err", err)
			seg.appendable = false
			return
		}
		s.log.Warn("completed history line that lacked its newline", "file", name, "line", tailLine)
		return
	}
	if err := truncateAndSync(seg.path, seg.size); err != nil {
		s.log.Error("cannot cut torn last history line; new records go to a new segment", "file", name, "err", err)
		seg.appendable = false
		return
	}
	s.log.Warn("cut torn last history line", "file", name, "line", tailLine, "bytes", len(p.tail), "err", p.tailErr)
}

// completeTail appends the missing newline after a valid unterminated last
// line of seg.
func (s *Store) completeTail(seg *segment) error {
	f, err := os.OpenFile(seg.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	if _, err := f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("write newline: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	seg.lines++
	seg.size = info.Size()
	return f.Close()
}

func truncateAndSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("truncate to %d bytes: %w", size, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	return f.Close()
}

// Append writes r as one line and fsyncs it; when Append returns nil the
// record survives a crash. r.CallID must not be empty.
func (s *Store) Append(r Record) error {
	line, stored, err := encodeRecordLine(r)
	if err != nil {
		return fmt.Errorf("append call %q to history: %w", r.CallID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("append call %q to history: %w", r.CallID, ErrClosed)
	}
	f, seg, err := s.writableSegment()
	if err != nil {
		return fmt.Errorf("append call %q to history: %w", r.CallID, err)
	}
	if err := s.writeLine(f, seg, line); err != nil {
		return fmt.Errorf("append call %q to history segment %s: %w", r.CallID, filepath.Base(seg.path), err)
	}
	seg.lines++
	seg.records++
	seg.size += int64(len(line))
	s.diskRecords++
	s.index.add(stored)
	s.enforceBound()
	return nil
}

// writableSegment returns the append handle and segment for the next line,
// starting a new segment when the last one is full or unusable.
func (s *Store) writableSegment() (*os.File, *segment, error) {
	var last *segment
	if n := len(s.segments); n > 0 {
		last = s.segments[n-1]
	}
	if last != nil && last.appendable && last.lines < s.segmentRecords {
		if s.current != nil {
			return s.current, last, nil
		}
		f, err := os.OpenFile(last.path, os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			s.current = f
			return f, last, nil
		}
		s.log.Warn("cannot reopen last history segment; starting a new one", "file", filepath.Base(last.path), "err", err)
		last.appendable = false
	}
	s.closeCurrent()
	seq := s.nextSeq
	s.nextSeq++
	path := filepath.Join(s.dir, segmentName(seq))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, filePerm)
	if err != nil {
		return nil, nil, fmt.Errorf("create segment: %w", err)
	}
	if err := config.SyncDir(s.dir); err != nil {
		f.Close()
		os.Remove(path)
		return nil, nil, fmt.Errorf("create segment %s: %w", filepath.Base(path), err)
	}
	seg := &segment{seq: seq, path: path, appendable: true}
	s.segments = append(s.segments, seg)
	s.current = f
	return f, seg, nil
}

// writeLine writes line with one write call and fsyncs it. On failure it
// cuts the file back to its last complete line and drops the handle, so the
// next Append starts a fresh segment rather than trusting a file whose
// write-back state is unknown.
func (s *Store) writeLine(f *os.File, seg *segment, line []byte) error {
	_, err := f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		return nil
	}
	if terr := f.Truncate(seg.size); terr != nil {
		s.log.Error("cannot cut failed history write", "file", filepath.Base(seg.path), "err", terr)
	}
	seg.appendable = false
	s.closeCurrent()
	return err
}

func (s *Store) closeCurrent() {
	if s.current == nil {
		return
	}
	if err := s.current.Close(); err != nil {
		s.log.Warn("closing history segment", "err", err)
	}
	s.current = nil
}

// enforceBound deletes the oldest whole segments while the rest still hold
// at least maxRecords records. The last segment is never deleted, so disk
// holds fewer than maxRecords+segmentRecords records.
func (s *Store) enforceBound() {
	removed := false
	for len(s.segments) > 1 && s.diskRecords-s.segments[0].records >= s.maxRecords {
		oldest := s.segments[0]
		if err := os.Remove(oldest.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("cannot delete old history segment", "file", filepath.Base(oldest.path), "err", err)
			break
		}
		s.segments = slices.Delete(s.segments, 0, 1)
		s.diskRecords -= oldest.records
		removed = true
	}
	if removed {
		if err := config.SyncDir(s.dir); err != nil {
			s.log.Warn("cannot fsync history dir after deleting old segments", "err", err)
		}
	}
}

// Recent returns at most n records, newest first; n <= 0 returns all that
// are kept (at most MaxRecords).
func (s *Store) Recent(n int) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index.recent(n)
}

// Find returns the newest kept record with the given call ID.
func (s *Store) Find(callID string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index.find(callID)
}

// Len returns how many records are kept in memory (at most MaxRecords).
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index.len()
}

// Close releases the open segment file. Append fails after Close; Recent,
// Find and Len keep answering from memory. Close is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.current == nil {
		return nil
	}
	err := s.current.Close()
	s.current = nil
	if err != nil {
		return fmt.Errorf("close history segment: %w", err)
	}
	return nil
}
