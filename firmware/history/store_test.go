package history

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var baseTime = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

func testRecord(i int) Record {
	start := baseTime.Add(time.Duration(i) * time.Minute)
	return Record{
		CallID:    fmt.Sprintf("call-%04d", i),
		Direction: "internal",
		Caller:    "201",
		Callee:    "202",
		Dialed:    "202",
		Start:     start,
		Answer:    start.Add(3 * time.Second),
		End:       start.Add(42 * time.Second),
		State:     "CallerHangUp",
	}
}

func testRecords(from, to int) []Record {
	var out []Record
	for i := from; i < to; i++ {
		out = append(out, testRecord(i))
	}
	return out
}

// newestFirst returns records reversed, as Recent reports them.
func newestFirst(records []Record) []Record {
	out := slices.Clone(records)
	slices.Reverse(out)
	return out
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func mustOpen(t *testing.T, o Options) *Store {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	s, err := Open(o)
	if err != nil {
		t.Fatalf("Open(%+v): %v", o, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustAppend(t *testing.T, s *Store, records ...Record) {
	t.Helper()
	for _, r := range records {
		if err := s.Append(r); err != nil {
			t.Fatalf("Append(%s): %v", r.CallID, err)
		}
	}
}

func assertRecords(t *testing.T, label string, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d records, want %d\ngot:  %v\nwant: %v", label, len(got), len(want), callIDs(got), callIDs(want))
	}
	for i := range want {
		if !sameRecord(got[i], want[i]) {
			t.Fatalf("%s: record %d:\ngot:  %+v\nwant: %+v", label, i, got[i], want[i])
		}
	}
}

// sameRecord compares records field by field, times by instant and zone
// offset (a decoded fixed zone is a new *time.Location each time).
func sameRecord(a, b Record) bool {
	sameTime := func(x, y time.Time) bool {
		_, xOffset := x.Zone()
		_, yOffset := y.Zone()
		return x.Equal(y) && xOffset == yOffset
	}
	if !sameTime(a.Start, b.Start) || !sameTime(a.Answer, b.Answer) || !sameTime(a.End, b.End) {
		return false
	}
	a.Start, a.Answer, a.End = b.Start, b.Answer, b.End
	return a == b
}

func callIDs(records []Record) []string {
	var ids []string
	for _, r := range records {
		ids = append(ids, r.CallID)
	}
	return ids
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "history-*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(matches)
	return matches
}

func lineCount(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte{'\n'})
}

func TestAppendThenReopenReturnsSameRecords(t *testing.T) {
	tests := []struct {
		name    string
		records []Record
	}{
		{"none", nil},
		{"one", testRecords(0, 1)},
		{"several", testRecords(0, 7)},
		{"unanswered without optional fields", []Record{{
			CallID: "a@b", Direction: "inbound", Caller: "+4930123", Callee: "201", Dialed: "201",
			Start: baseTime, End: baseTime.Add(time.Second), State: "NoAnswer",
		}}},
		{"text that needs escaping", []Record{{
			CallID: "x\ny\"z", Direction: "outbound", Caller: "201", CallerName: "Zoë \"Boss\"\n\u2028 ☎",
			Callee: "trunk", Dialed: "0049 30 123", Start: baseTime, End: baseTime, State: "Busy",
			Cause: "486 Busy Here",
		}}},
		{"non-UTC zone", []Record{{
			CallID: "tz", Start: baseTime.In(time.FixedZone("X", 5*3600+1800)), End: baseTime.In(time.FixedZone("Y", -7*3600)),
			State: "Shutdown",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, Options{Dir: dir})
			mustAppend(t, s, tt.records...)
			before := s.Recent(0)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			reopened := mustOpen(t, Options{Dir: dir})
			after := reopened.Recent(0)
			assertRecords(t, "reopened vs in-memory", after, before)
			if got, want := reopened.Len(), len(tt.records); got != want {
				t.Errorf("Len() = %d, want %d", got, want)
			}
			assertRecords(t, "reopened vs appended", after, newestFirst(tt.records))
		})
	}
}

func TestRotationAndBound(t *testing.T) {
	tests := []struct {
		name           string
		maxRecords     int
		segmentRecords int
		appends        int
		wantSegments   []int // line counts of the segment files left, oldest first
	}{
		{"fits in one segment", 10, 4, 3, []int{3}},
		{"exactly one full segment", 10, 4, 4, []int{4}},
		{"rotates", 10, 4, 5, []int{4, 1}},
		{"at bound keeps all", 10, 4, 10, []int{4, 4, 2}},
		{"over bound keeps oldest segment while needed", 10, 4, 13, []int{4, 4, 4, 1}},
		{"deletes oldest segment", 10, 4, 14, []int{4, 4, 2}},
		{"long run", 10, 4, 103, []int{4, 4, 3}},
		{"segment larger than bound", 3, 5, 12, []int{5, 2}},
		{"segment of one", 3, 1, 20, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{Dir: dir, MaxRecords: tt.maxRecords, SegmentRecords: tt.segmentRecords}
			s := mustOpen(t, o)
			all := testRecords(0, tt.appends)
			mustAppend(t, s, all...)

			kept := all[max(0, len(all)-tt.maxRecords):]
			assertRecords(t, "in memory", s.Recent(0), newestFirst(kept))

			files := segmentFiles(t, dir)
			var lines []int
			onDisk := 0
			for _, f := range files {
				n := lineCount(t, f)
				lines = append(lines, n)
				onDisk += n
			}
			if !slices.Equal(lines, tt.wantSegments) {
				t.Errorf("segment line counts = %v, want %v (files %v)", lines, tt.wantSegments, files)
			}
			if onDisk > tt.maxRecords+tt.segmentRecords {
				t.Errorf("%d records on disk, bound is %d", onDisk, tt.maxRecords+tt.segmentRecords)
			}
			if onDisk < len(kept) {
				t.Errorf("%d records on disk, fewer than the %d kept in memory", onDisk, len(kept))
			}

			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			reopened := mustOpen(t, o)
			assertRecords(t, "reopened", reopened.Recent(0), newestFirst(kept))
			// Appending after reopen continues the same layout.
			next := testRecord(tt.appends)
			mustAppend(t, reopened, next)
			if got, ok := reopened.Find(next.CallID); !ok || !sameRecord(got, next) {
				t.Errorf("Find after reopen+append = %+v, %v", got, ok)
			}
		})
	}
}

func TestSmallerBoundOnReopenDeletesOldSegments(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir, MaxRecords: 100, SegmentRecords: 5})
	all := testRecords(0, 50)
	mustAppend(t, s, all...)
	s.Close()

	reopened := mustOpen(t, Options{Dir: dir, MaxRecords: 10, SegmentRecords: 5})
	assertRecords(t, "reopened", reopened.Recent(0), newestFirst(all[40:]))
	if files := segmentFiles(t, dir); len(files) != 2 {
		t.Errorf("segments after shrinking bound: %v, want 2", files)
	}
}

func TestDefaultSegmentRecords(t *testing.T) {
	tests := []struct{ maxRecords, want int }{
		{0, DefaultMaxRecords / 10},
		{50, 100},
		{1000, 100},
		{5000, 500},
	}
	for _, tt := range tests {
		s := mustOpen(t, Options{Dir: t.TempDir(), MaxRecords: tt.maxRecords})
		if s.segmentRecords != tt.want {
			t.Errorf("MaxRecords %d: segmentRecords = %d, want %d", tt.maxRecords, s.segmentRecords, tt.want)
		}
	}
}

func writeSegment(t *testing.T, dir string, seq uint64, content string) string {
	t.Helper()
	path := filepath.Join(dir, segmentName(seq))
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func encodedLine(t *testing.T, r Record) string {
	t.Helper()
	line, _, err := encodeRecordLine(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(line)
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestTornLastLineIsRecovered(t *testing.T) {
	good := encodedLine(t, testRecord(0)) + encodedLine(t, testRecord(1))
	third := encodedLine(t, testRecord(2))
	tests := []struct {
		name      string
		tail      string
		wantKept  []Record
		wantLog   string
		wantBytes string // file content after Open
	}{
		{"half a line", third[:len(third)/2], testRecords(0, 2), "cut torn last history line", good},
		{"one byte", "{", testRecords(0, 2), "cut torn last history line", good},
		{"zero fill after power cut", strings.Repeat("\x00", 512), testRecords(0, 2), "cut torn last history line", good},
		{"whitespace", "  \t", testRecords(0, 2), "cut torn last history line", good},
		{"whole record without newline", strings.TrimSuffix(third, "\n"), testRecords(0, 3), "completed history line", good + third},
		{"nothing torn", "", testRecords(0, 2), "", good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeSegment(t, dir, 1, good+tt.tail)
			var logs logBuffer
			s := mustOpen(t, Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			assertRecords(t, "after open", s.Recent(0), newestFirst(tt.wantKept))
			if tt.wantLog != "" && !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log %q does not mention %q", logs.String(), tt.wantLog)
			}
			if data, _ := os.ReadFile(path); string(data) != tt.wantBytes {
				t.Errorf("file after open = %q, want %q", data, tt.wantBytes)
			}

			next := testRecord(9)
			mustAppend(t, s, next)
			s.Close()
			reopened := mustOpen(t, Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			want := append(slices.Clone(tt.wantKept), next)
			assertRecords(t, "after append and reopen", reopened.Recent(0), newestFirst(want))
			if got := segmentFiles(t, dir); len(got) != 1 {
				t.Errorf("segments = %v, want the repaired one only", got)
			}
		})
	}
}

func TestCorruptLinesAreSkipped(t *testing.T) {
	r0, r1, r2 := testRecord(0), testRecord(1), testRecord(2)
	tests := []struct {
		name    string
		garbage string
	}{
		{"garbage", "not json at all\n"},
		{"half a record", encodedLine(t, r2)[:20] + "\n"},
		{"json null", "null\n"},
		{"json number", "42\n"},
		{"json array", "[1,2]\n"},
		{"object without call_id", `{"caller":"201"}` + "\n"},
		{"wrong field type", `{"call_id":7}` + "\n"},
		{"bad time", `{"call_id":"x","start":"yesterday"}` + "\n"},
		{"blank line", "\n"},
		{"trailing data", `{"call_id":"x"} {}` + "\n"},
		{"binary", "\x00\xff\xfe\x01\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSegment(t, dir, 1, encodedLine(t, r0)+tt.garbage+encodedLine(t, r1))
			var logs logBuffer
			s := mustOpen(t, Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			assertRecords(t, "after open", s.Recent(0), []Record{r1, r0})
			if !strings.Contains(logs.String(), "skipping corrupt history line") || !strings.Contains(logs.String(), "line=2") {
				t.Errorf("log %q does not report line 2", logs.String())
			}
			mustAppend(t, s, r2)
			assertRecords(t, "after append", s.Recent(0), []Record{r2, r1, r0})
		})
	}
}

func TestTornLineInOlderSegmentIsSkipped(t *testing.T) {
	dir := t.TempDir()
	r0, r1, r2 := testRecord(0), testRecord(1), testRecord(2)
	older := encodedLine(t, r0) + `{"call_id":"torn`
	olderPath := writeSegment(t, dir, 1, older)
	writeSegment(t, dir, 2, encodedLine(t, r1))
	s := mustOpen(t, Options{Dir: dir})
	assertRecords(t, "after open", s.Recent(0), []Record{r1, r0})
	if data, _ := os.ReadFile(olderPath); string(data) != older {
		t.Errorf("older segment was modified: %q", data)
	}
	mustAppend(t, s, r2)
	s.Close()
	assertRecords(t, "reopened", mustOpen(t, Options{Dir: dir}).Recent(0), []Record{r2, r1, r0})
}

func TestForeignFilesAreIgnored(t *testing.T) {
	dir := t.TempDir()
	r0, r1 := testRecord(0), testRecord(1)
	writeSegment(t, dir, 3, encodedLine(t, r0))
	for _, name := range []string{"notes.txt", "history-abc.jsonl", "history-.jsonl", "history-00000002.jsonl.tmp", "history-+5.jsonl"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("junk\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A directory with a segment name must be skipped and never reused.
	if err := os.Mkdir(filepath.Join(dir, segmentName(7)), 0o700); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, Options{Dir: dir, MaxRecords: 10, SegmentRecords: 1})
	assertRecords(t, "after open", s.Recent(0), []Record{r0})
	mustAppend(t, s, r1) // segment 3 is full: starts a new one, after 7
	if _, err := os.Stat(filepath.Join(dir, segmentName(8))); err != nil {
		t.Errorf("new segment not numbered after the skipped one: %v", err)
	}
	s.Close()
	assertRecords(t, "reopened", mustOpen(t, Options{Dir: dir}).Recent(0), []Record{r1, r0})
}

func TestRecentOrdering(t *testing.T) {
	all := testRecords(0, 5)
	s := mustOpen(t, Options{Dir: t.TempDir()})
	mustAppend(t, s, all...)
	tests := []struct {
		n    int
		want []Record
	}{
		{-1, newestFirst(all)},
		{0, newestFirst(all)},
		{1, all[4:5]},
		{3, newestFirst(all[2:])},
		{5, newestFirst(all)},
		{50, newestFirst(all)},
	}
	for _, tt := range tests {
		assertRecords(t, fmt.Sprintf("Recent(%d)", tt.n), s.Recent(tt.n), tt.want)
	}
	if got := mustOpen(t, Options{Dir: t.TempDir()}).Recent(3); len(got) != 0 {
		t.Errorf("Recent on empty store = %v", got)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir, MaxRecords: 4, SegmentRecords: 2})
	first := testRecord(0)
	retried := first
	retried.State = "Busy"
	mustAppend(t, s, first, testRecord(1), testRecord(2), retried)

	tests := []struct {
		name   string
		callID string
		want   Record
		found  bool
	}{
		{"newest of duplicate IDs", first.CallID, retried, true},
		{"single", "call-0002", testRecord(2), true},
		{"missing", "nope", Record{}, false},
		{"empty", "", Record{}, false},
	}
	for _, tt := range tests {
		got, ok := s.Find(tt.callID)
		if ok != tt.found || !sameRecord(got, tt.want) {
			t.Errorf("%s: Find(%q) = %+v, %v; want %+v, %v", tt.name, tt.callID, got, ok, tt.want, tt.found)
		}
	}

	mustAppend(t, s, testRecords(10, 14)...) // evicts everything above
	for _, id := range []string{first.CallID, "call-0001", "call-0002"} {
		if got, ok := s.Find(id); ok {
			t.Errorf("Find(%q) after eviction = %+v, want not found", id, got)
		}
	}
	if got, ok := s.Find("call-0013"); !ok || !sameRecord(got, testRecord(13)) {
		t.Errorf("Find(call-0013) = %+v, %v", got, ok)
	}
}

func TestConcurrentAppends(t *testing.T) {
	const writers, perWriter = 6, 20
	dir := t.TempDir()
	o := Options{Dir: dir, MaxRecords: 1000, SegmentRecords: 7}
	s := mustOpen(t, o)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				r := testRecord(w*perWriter + i)
				if err := s.Append(r); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				if _, ok := s.Find(r.CallID); !ok {
					t.Errorf("Find(%s) right after Append failed", r.CallID)
				}
				_ = s.Recent(3)
				_ = s.Len()
			}
		})
	}
	wg.Wait()
	if got := s.Len(); got != writers*perWriter {
		t.Fatalf("Len() = %d, want %d", got, writers*perWriter)
	}
	inMemory := s.Recent(0)
	s.Close()
	reopened := mustOpen(t, o)
	assertRecords(t, "reopened", reopened.Recent(0), inMemory)
	for i := range writers * perWriter {
		if _, ok := reopened.Find(testRecord(i).CallID); !ok {
			t.Errorf("record %d missing after reopen", i)
		}
	}
}

func TestFilePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "history")
	s := mustOpen(t, Options{Dir: dir, MaxRecords: 10, SegmentRecords: 2})
	mustAppend(t, s, testRecords(0, 5)...)
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 || perm&0o700 != 0o700 {
		t.Errorf("dir mode = %v, want 0700", perm)
	}
	files := segmentFiles(t, dir)
	if len(files) != 3 {
		t.Fatalf("segments = %v, want 3", files)
	}
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(f), perm)
		}
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
	}{
		{"no dir", Options{}},
		{"negative max", Options{Dir: t.TempDir(), MaxRecords: -1}},
		{"negative segment", Options{Dir: t.TempDir(), SegmentRecords: -1}},
		{"dir is a file", Options{Dir: notDir}},
	}
	for _, tt := range tests {
		if s, err := Open(tt.o); err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded", tt.name)
		}
	}
}

func TestAppendErrors(t *testing.T) {
	s := mustOpen(t, Options{Dir: t.TempDir()})
	if err := s.Append(Record{State: "Busy"}); err == nil {
		t.Error("Append without CallID succeeded")
	}
	outOfRange := testRecord(0)
	outOfRange.Start = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Append(outOfRange); err == nil {
		t.Error("Append with unencodable time succeeded")
	}
	if s.Len() != 0 {
		t.Errorf("failed appends were kept: Len() = %d", s.Len())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Append(testRecord(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
}

func BenchmarkAppend(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), MaxRecords: 1000})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := testRecord(0)
	i := 0
	for b.Loop() {
		r.CallID = fmt.Sprintf("bench-%d", i)
		i++
		if err := s.Append(r); err != nil {
			b.Fatal(err)
		}
	}
}
