package addressbook

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// syncBuffer collects log output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func openStore(t *testing.T, dir string) (*Store, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	s, err := Open(dir, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func TestOpenLoadsDroppedFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "addressbooks") // made by Open
	if err := os.MkdirAll(filepath.Join(dir, "folder.csv"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "office.csv"), "Name\nduplicate\n") // OFFICE.csv comes first
	writeFile(t, filepath.Join(dir, "Family.CSV"), "Name;Mobile\nMum;+44 7700 900123\n")
	writeFile(t, filepath.Join(dir, "broken.csv"), "Name,Phone\nA,1\nB,two\n")
	writeFile(t, filepath.Join(dir, ".office.csv.tmp-123"), "Name\nx\n")
	writeFile(t, filepath.Join(dir, ".hidden.csv"), "Name\nx\n")
	writeFile(t, filepath.Join(dir, "notes.txt"), "not a book")
	writeFile(t, filepath.Join(dir, "OFFICE.csv"), "Name,Phone\nReception,101\nSales,102\n")
	s, logs := openStore(t, dir)

	if got, want := s.Names(), []string{"Family", "OFFICE"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	for _, name := range []string{"office", "OFFICE", "Office"} {
		if c, ok := s.Contacts(name); !ok || len(c) != 2 || c[1] != (Contact{Name: "Sales", PhoneNumber: "102"}) {
			t.Errorf("Contacts(%q) = %v, %v", name, c, ok)
		}
	}
	if c, ok := s.Contacts("family"); !ok || c[0].Mobile != "+44 7700 900123" {
		t.Errorf("Contacts(family) = %v, %v", c, ok)
	}
	if _, ok := s.Contacts("broken"); ok {
		t.Error("the broken book was loaded")
	}
	out := logs.String()
	for _, want := range []string{`file=broken.csv err="line 3: column \"Phone\": \"two\" is not a phone number`, "same book name", "books=2"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestImportIsDurable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, _ := openStore(t, dir)
	n, err := s.Import("Customers", strings.NewReader("Company,Full Name,Telephone,E-mail Address\nACME,Jane Doe,555-0100,jane@acme.com\n"))
	if err != nil || n != 1 {
		t.Fatalf("Import = %d, %v", n, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "Customers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Name,PhoneNumber,Mobile,Email\nJane Doe,555-0100,,jane@acme.com\n"; string(data) != want {
		t.Errorf("stored file %q, want %q", data, want)
	}
	if fi, err := os.Stat(filepath.Join(dir, "Customers.csv")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v", fi.Mode(), err)
	}
	again, _ := openStore(t, dir) // as after a restart
	c1, _ := s.Contacts("customers")
	c2, ok := again.Contacts("customers")
	if !ok || !reflect.DeepEqual(c1, c2) {
		t.Errorf("after reopening: %v %v, want %v", c2, ok, c1)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the book (no temporary files)", len(entries))
	}
}

func TestImportReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "office.csv"), "Name,Phone\nOld,1\n")
	s, _ := openStore(t, dir)
	if _, err := s.Import("OFFICE", strings.NewReader("Name,Phone\nNew,2\n")); err != nil {
		t.Fatal(err)
	}
	if got := s.Names(); !reflect.DeepEqual(got, []string{"office"}) {
		t.Errorf("Names() = %q: the book keeps its spelling", got)
	}
	if c, _ := s.Contacts("office"); len(c) != 1 || c[0].Name != "New" {
		t.Errorf("contacts %v", c)
	}
	// A failed import changes nothing, on disk or in memory.
	before, _ := os.ReadFile(filepath.Join(dir, "office.csv"))
	if _, err := s.Import("office", strings.NewReader("Name,Phone\nX,abc\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad import: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "office.csv"))
	if !bytes.Equal(before, after) {
		t.Error("a failed import changed the file")
	}
	if c, _ := s.Contacts("office"); c[0].Name != "New" {
		t.Errorf("a failed import changed the book: %v", c)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	s, _ := openStore(t, t.TempDir())
	for _, bad := range []string{"", "../etc", "a/b", `a\b`, ".hidden", "trailing.", " lead", "tab\there", "q?", strings.Repeat("n", MaxNameLen+1), "\xff"} {
		if _, err := s.Import(bad, strings.NewReader("Name\nx\n")); err == nil {
			t.Errorf("Import(%q) accepted", bad)
		}
	}
	for _, good := range []string{"Office", "Kovács család", "team-2 (old)", "a.b"} {
		if _, err := s.Import(good, strings.NewReader("Name\nx\n")); err != nil {
			t.Errorf("Import(%q): %v", good, err)
		}
	}
	if got, want := s.Names(), []string{"a.b", "Kovács család", "Office", "team-2 (old)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, _ := openStore(t, dir)
	if _, err := s.Import("temp", strings.NewReader("Name\nx\n")); err != nil {
		t.Fatal(err)
	}
	// The administrator removes one book and drops in another.
	if err := os.Remove(filepath.Join(dir, "temp.csv")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "late.csv"), "Name,Email\nLate,late@example.com\n")
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := s.Names(); !reflect.DeepEqual(got, []string{"late"}) {
		t.Errorf("after Reload: %q", got)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err == nil {
		t.Error("Reload of a missing directory succeeded")
	}
	if got := s.Names(); !reflect.DeepEqual(got, []string{"late"}) {
		t.Errorf("a failed Reload dropped the books: %q", got)
	}
}

// TestConcurrentReaders runs readers against imports (meant for -race).
func TestConcurrentReaders(t *testing.T) {
	t.Parallel()
	s, _ := openStore(t, t.TempDir())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, n := range s.Names() {
					c, _ := s.Contacts(n)
					_ = len(c)
				}
			}
		})
	}
	for i := range 20 {
		if _, err := s.Import("book"+string(rune('a'+i%3)), strings.NewReader("Name\nx\n")); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if len(s.Names()) != 3 {
		t.Errorf("Names() = %q", s.Names())
	}
}
