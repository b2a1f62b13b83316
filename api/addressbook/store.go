package addressbook

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/gatepbx/gatepbx/firmware/config"
)

// Limits of a store.
const (
	MaxBooks    = 100 // books in one directory
	MaxNameLen  = 64  // bytes of a book name
	fileSuffix  = ".csv"
	filePerm    = 0o600 // contacts are personal data
	dirPerm     = 0o700
	nameSpecial = `/\:*?"<>|` // not in book names: they are file names
)

// Book is one address book. A Book is never changed once made.
type Book struct {
	Name     string // as the file is named, without ".csv"
	Contacts []Contact
	file     string // base name of its file in the directory
}

// Store holds the address books of one directory: <dir>/<name>.csv per
// book. Readers never wait: they see an immutable snapshot that writers
// replace whole. Book names are matched case-insensitively.
type Store struct {
	dir   string
	log   *slog.Logger
	mu    sync.Mutex // serialises Reload and Import
	books atomic.Pointer[snapshot]
}

// snapshot is the books at one moment, keyed by lower-cased name.
type snapshot struct {
	byName map[string]*Book
	names  []string // sorted case-insensitively
}

func newSnapshot(books map[string]*Book) *snapshot {
	s := &snapshot{byName: books}
	for _, b := range books {
		s.names = append(s.names, b.Name)
	}
	slices.SortFunc(s.names, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a), strings.ToLower(b)), cmp.Compare(a, b))
	})
	return s
}

// Open makes the directory if it is missing and loads every book in it
// (see Reload). A nil logger means slog.Default().
func Open(dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("addressbook: %w", err)
	}
	s := &Store{dir: dir, log: log}
	s.books.Store(newSnapshot(map[string]*Book{}))
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir is the directory the store reads and writes.
func (s *Store) Dir() string { return s.dir }

// Reload reads the directory again: every regular file named
// <book name>.csv (any case of ".csv"; names starting with "." are
// skipped) is parsed with ParseCSV and becomes the book of that name. A
// file that fails is logged, with the line of the problem, and skipped;
// the other books are served. Of two files whose names differ only in
// case, the first in byte order (upper case first) is the book. The error is for an unreadable directory
// only, and then the books served before stay.
func (s *Store) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("addressbook: %w", err)
	}
	books := map[string]*Book{}
	for _, e := range entries {
		name, ok := bookName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if err := CheckName(name); err != nil {
			s.log.Warn("addressbook: file skipped", "file", e.Name(), "err", err)
			continue
		}
		key := strings.ToLower(name)
		if other, dup := books[key]; dup {
			s.log.Warn("addressbook: file skipped: another file has the same book name", "file", e.Name(), "other", other.file)
			continue
		}
		if len(books) == MaxBooks {
			s.log.Warn("addressbook: file skipped: too many books", "file", e.Name(), "max", MaxBooks)
			continue
		}
		contacts, err := s.readFile(e.Name())
		if err != nil {
			s.log.Warn("addressbook: file skipped", "file", e.Name(), "err", err)
			continue
		}
		books[key] = &Book{Name: name, Contacts: contacts, file: e.Name()}
	}
	s.books.Store(newSnapshot(books))
	s.log.Info("addressbook: books loaded", "dir", s.dir, "books", len(books))
	return nil
}

func (s *Store) readFile(file string) ([]Contact, error) {
	f, err := os.Open(filepath.Join(s.dir, file))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseCSV(f)
}

// bookName is the book name of a file name, if it is a book file.
func bookName(file string) (string, bool) {
	if strings.HasPrefix(file, ".") || len(file) <= len(fileSuffix) ||
		!strings.EqualFold(file[len(file)-len(fileSuffix):], fileSuffix) {
		return "", false
	}
	return file[:len(file)-len(fileSuffix)], true
}

// CheckName reports whether name can name a book (and its file): 1 to
// MaxNameLen bytes of UTF-8, no control characters, none of / \ : * ? " <
// > |, not starting with "." or a space and not ending with "." or a
// space.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("addressbook: empty book name")
	case len(name) > MaxNameLen:
		return fmt.Errorf("addressbook: book name longer than %d bytes", MaxNameLen)
	case !utf8.ValidString(name), strings.ContainsFunc(name, unicode.IsControl), strings.ContainsAny(name, nameSpecial):
		return fmt.Errorf("addressbook: book name %q has characters a file name cannot have", name)
	case strings.HasPrefix(name, "."), strings.HasPrefix(name, " "), strings.HasSuffix(name, "."), strings.HasSuffix(name, " "):
		return fmt.Errorf("addressbook: book name %q starts or ends with a dot or a space", name)
	}
	return nil
}

// Names lists the books' names, sorted without regard to case.
func (s *Store) Names() []string {
	return slices.Clone(s.books.Load().names)
}

// Contacts returns the contacts of the named book (any case), in file
// order; ok is false when there is no such book. The slice is shared:
// do not modify it.
func (s *Store) Contacts(name string) (contacts []Contact, ok bool) {
	b, ok := s.books.Load().byName[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return b.Contacts, true
}

// Import reads a CSV (see ParseCSV) and makes it the book called name,
// replacing a book of that name in any case (which keeps its spelling
// and file). The book is written as <dir>/<name>.csv in the canonical
// form (WriteCSV) atomically: after a crash the file holds the old book
// or the new one. It returns the number of contacts.
func (s *Store) Import(name string, r io.Reader) (int, error) {
	if err := CheckName(name); err != nil {
		return 0, err
	}
	contacts, err := ParseCSV(r)
	if err != nil {
		return 0, fmt.Errorf("addressbook: import %q: %w", name, err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, contacts); err != nil {
		return 0, fmt.Errorf("addressbook: import %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.books.Load()
	key := strings.ToLower(name)
	book := &Book{Name: name, Contacts: contacts, file: name + fileSuffix}
	if prev, ok := old.byName[key]; ok {
		book.Name, book.file = prev.Name, prev.file
	} else if len(old.byName) >= MaxBooks {
		return 0, fmt.Errorf("addressbook: import %q: already %d books", name, MaxBooks)
	}
	if err := config.WriteFileAtomic(filepath.Join(s.dir, book.file), buf.Bytes(), filePerm); err != nil {
		return 0, fmt.Errorf("addressbook: import %q: %w", name, err)
	}
	books := maps.Clone(old.byName)
	books[key] = book
	s.books.Store(newSnapshot(books))
	s.log.Info("addressbook: book imported", "book", book.Name, "contacts", len(contacts))
	return len(contacts), nil
}
