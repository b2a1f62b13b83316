package inbox

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T, dir string, max int) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, MaxPerFolder: max, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sms(from, text string) Message {
	return Message{Type: "SMS:TEXT", Originator: from, Recipient: "+3620000000", Data: text, Route: "gsm",
		SentTime: time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC), ReceivedTime: time.Date(2026, 11, 26, 1, 2, 4, 0, time.UTC)}
}

func mustAdd(t *testing.T, s *Store, m Message) Message {
	t.Helper()
	m, err := s.Add(m)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func data(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Data)
	}
	return out
}

func TestAddAndReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	a := mustAdd(t, s, sms("+361", "first"))
	b := mustAdd(t, s, sms("+362", "second"))
	out := mustAdd(t, s, Message{ID: "sms-1", Folder: Outbox, Type: "SMS:TEXT", Recipient: "+363", Data: "going", Status: "queued"})
	if a.ID == "" || a.Folder != Inbox || b.Seq <= a.Seq || out.ID != "sms-1" {
		t.Fatalf("added %+v %+v %+v", a, b, out)
	}
	s2 := open(t, dir, 0)
	if got := s2.List(Inbox); !slices.Equal(data(got), []string{"first", "second"}) || !got[0].SentTime.Equal(a.SentTime) || got[0] != a {
		t.Fatalf("after reopen: %+v", got)
	}
	if got, err := s2.Get("sms-1"); err != nil || got != out {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	c := mustAdd(t, s2, sms("+364", "third"))
	if c.Seq <= out.Seq {
		t.Fatalf("sequence restarted: %d after %d", c.Seq, out.Seq)
	}
}

func TestReceive(t *testing.T) {
	tests := []struct {
		name   string
		q      Query
		first  []string // returned by the first Receive
		second []string // by a second identical one
		left   []string // List(inbox) after a reopen
	}{
		{"mark read (default)", Query{}, []string{"a", "b", "c"}, nil, []string{"a", "b", "c"}},
		{"delete", Query{AfterDownload: Delete}, []string{"a", "b", "c"}, nil, nil},
		{"leave", Query{AfterDownload: Leave}, []string{"a", "b", "c"}, []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"limit then mark", Query{Limit: 2}, []string{"a", "b"}, []string{"c"}, []string{"a", "b", "c"}},
		{"limit then delete", Query{Limit: 2, AfterDownload: Delete}, []string{"a", "b"}, []string{"c"}, nil},
		{"other folder", Query{Folder: Sent}, nil, nil, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := open(t, dir, 0)
			for _, d := range []string{"a", "b", "c"} {
				mustAdd(t, s, sms("+361", d))
			}
			mustAdd(t, s, Message{Folder: Outbox, Data: "not inbox"})
			got, err := s.Receive(tt.q)
			if err != nil || !slices.Equal(data(got), tt.first) {
				t.Fatalf("first Receive = %v, %v", data(got), err)
			}
			for _, m := range got {
				if m.Downloaded {
					t.Errorf("%s returned as already downloaded", m.Data)
				}
			}
			got, err = s.Receive(tt.q)
			if err != nil || !slices.Equal(data(got), tt.second) {
				t.Fatalf("second Receive = %v, %v", data(got), err)
			}
			if left := open(t, dir, 0).List(Inbox); !slices.Equal(data(left), tt.left) {
				t.Fatalf("after reopen %v", data(left))
			}
		})
	}
}

func TestMarkReadSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	mustAdd(t, s, sms("+361", "a"))
	if got, _ := s.Receive(Query{}); len(got) != 1 {
		t.Fatal(got)
	}
	mustAdd(t, s, sms("+361", "b"))
	s2 := open(t, dir, 0)
	if got, _ := s2.Receive(Query{}); !slices.Equal(data(got), []string{"b"}) {
		t.Fatalf("after reopen: %v", data(got))
	}
}

func TestBounded(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 3)
	for _, d := range []string{"a", "b", "c"} {
		mustAdd(t, s, sms("+361", d))
	}
	s.Receive(Query{Limit: 1}) // a is downloaded
	mustAdd(t, s, sms("+361", "d"))
	if got := data(s.List(Inbox)); !slices.Equal(got, []string{"b", "c", "d"}) {
		t.Fatalf("downloaded dropped first: %v", got)
	}
	mustAdd(t, s, sms("+361", "e"))
	if got := data(s.List(Inbox)); !slices.Equal(got, []string{"c", "d", "e"}) {
		t.Fatalf("then the oldest: %v", got)
	}
	for range 3 {
		mustAdd(t, s, Message{Folder: Sent, Data: "s"})
	}
	if got := data(open(t, dir, 3).List(Inbox)); !slices.Equal(got, []string{"c", "d", "e"}) {
		t.Fatalf("other folders do not count; after reopen %v", got)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 6 {
		t.Fatalf("%d files on disk", len(files))
	}
}

func TestUpdateMovesAndPersists(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	m := mustAdd(t, s, Message{Folder: Outbox, Recipient: "+361", Data: "hi", Status: "queued"})
	got, err := s.Update(m.ID, func(m *Message) {
		m.Folder, m.Status, m.ID, m.Seq = Sent, "delivered", "hijack", 99
	})
	if err != nil || got.Folder != Sent || got.ID != m.ID || got.Seq != m.Seq {
		t.Fatalf("Update = %+v, %v", got, err)
	}
	s2 := open(t, dir, 0)
	if len(s2.List(Outbox)) != 0 || len(s2.List(Sent)) != 1 || s2.List(Sent)[0].Status != "delivered" {
		t.Fatalf("after reopen: outbox %v sent %v", s2.List(Outbox), s2.List(Sent))
	}
	if _, err := s2.Update(m.ID, func(m *Message) { m.Folder = "trash" }); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad folder: %v", err)
	}
	if err := s2.Delete(m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, dir, 0).Get(m.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted message back: %v", err)
	}
}

func TestOpenCleansDebris(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	good := mustAdd(t, s, sms("+361", "good"))
	os.WriteFile(filepath.Join(dir, ".x.json.tmp-123"), []byte(`{"id":`), 0o600)
	os.WriteFile(filepath.Join(dir, "torn.json"), []byte(`{"id":"torn","fol`), 0o600)
	os.WriteFile(filepath.Join(dir, "renamed.json"), []byte(`{"id":"other","folder":"inbox"}`), 0o600)
	s2 := open(t, dir, 0)
	if got := s2.List(Inbox); len(got) != 1 || got[0].ID != good.ID {
		t.Fatalf("loaded %+v", got)
	}
	for name, want := range map[string]bool{".x.json.tmp-123": false, "torn.json.bad": true, "renamed.json.bad": true, "torn.json": false} {
		_, err := os.Stat(filepath.Join(dir, name))
		if (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", name, err == nil, want)
		}
	}
}

func TestErrors(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), MaxData: 10, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, Message{ID: "x1"})
	for _, tc := range []struct {
		name string
		m    Message
		want error
	}{
		{"folder", Message{Folder: "trash"}, ErrInvalid},
		{"path in id", Message{ID: "../../etc/passwd"}, ErrInvalid},
		{"duplicate id", Message{ID: "x1"}, ErrInvalid},
		{"too large", Message{Data: strings.Repeat("x", 11)}, ErrTooLarge},
	} {
		if _, err := s.Add(tc.m); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := s.Receive(Query{Folder: "spam"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Receive bad folder: %v", err)
	}
	if err := s.Delete("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete: %v", err)
	}
	if _, err := s.Update("nope", func(*Message) {}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update: %v", err)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Folder{"": Inbox, "INBOX": Inbox, "outbox": Outbox, " Sent ": Sent} {
		if got, err := ParseFolder(in); err != nil || got != want {
			t.Errorf("ParseFolder(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFolder("deleted"); !errors.Is(err, ErrInvalid) {
		t.Error("ParseFolder(deleted)")
	}
	for in, want := range map[string]AfterDownload{"": MarkRead, "MarkRead": MarkRead, "markdownloaded": MarkRead, "delete": Delete, "leave": Leave, "none": Leave} {
		if got, err := ParseAfterDownload(in); err != nil || got != want {
			t.Errorf("ParseAfterDownload(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseAfterDownload("shred"); !errors.Is(err, ErrInvalid) {
		t.Error("ParseAfterDownload(shred)")
	}
}

func TestConcurrentAdds(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 10 {
				if _, err := s.Add(sms("+36", fmt.Sprintf("%d-%d", g, i))); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(open(t, dir, 0).List(Inbox)); n != 40 {
		t.Fatalf("%d messages", n)
	}
}
