package history

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenSegment feeds arbitrary bytes as a segment file, both as the last
// segment (which Open repairs) and as an older one. Open must never fail or
// panic, and the store must stay usable.
func FuzzOpenSegment(f *testing.F) {
	good, _, err := encodeRecordLine(testRecord(0))
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		"",
		string(good),
		string(good) + string(good),
		string(good[:len(good)-1]),
		string(good[:len(good)/2]),
		string(good) + "garbage\n" + string(good),
		"null\n42\n[]\n{}\n\n",
		`{"call_id":"x","start":"2025-13-45T99:99:99Z"}` + "\n",
		`{"call_id":"\ud800","caller_name":"\xff\xfe"}` + "\n",
		"\x00\x00\x00\x00\x00\x00\x00\x00",
		`{"call_id":"a"}{"call_id":"b"}` + "\n",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
		"\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	const maxRecords = 50
	f.Fuzz(func(t *testing.T, data []byte) {
		logger := slog.New(slog.DiscardHandler)
		next := testRecord(1)
		next.CallID = "fuzz-appended"

		// As the last (and only) segment.
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segmentName(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		o := Options{Dir: dir, MaxRecords: maxRecords, SegmentRecords: 1000, Logger: logger}
		s, err := Open(o)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		loaded := s.Len()
		if loaded > maxRecords {
			t.Fatalf("Len() = %d > MaxRecords", loaded)
		}
		if err := s.Append(next); err != nil {
			t.Fatalf("Append after open: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = Open(o)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if got, want := s.Len(), min(loaded+1, maxRecords); got != want {
			t.Fatalf("after append and reopen: Len() = %d, want %d", got, want)
		}
		if got := s.Recent(1); len(got) != 1 || !sameRecord(got[0], mustStored(t, next)) {
			t.Fatalf("newest after reopen = %+v, want %+v", got, next)
		}
		s.Close()

		// As an older segment followed by a good one.
		dir = t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segmentName(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, segmentName(2)), good, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err = Open(Options{Dir: dir, MaxRecords: maxRecords, Logger: logger})
		if err != nil {
			t.Fatalf("Open with older segment: %v", err)
		}
		if got := s.Recent(1); len(got) != 1 || got[0].CallID != testRecord(0).CallID {
			t.Fatalf("newest with fuzzed older segment = %+v", got)
		}
		s.Close()
	})
}

func mustStored(t *testing.T, r Record) Record {
	t.Helper()
	_, stored, err := encodeRecordLine(r)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}
