package inbox

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gatepbx/gatepbx/firmware/config"
)

// Folder is where a message is kept.
type Folder string

// The folders of ReceiveMessage.
const (
	Inbox  Folder = "inbox"
	Outbox Folder = "outbox"
	Sent   Folder = "sent"
)

// ParseFolder reads an API Folder value (any case); "" is Inbox.
func ParseFolder(s string) (Folder, error) {
	switch f := Folder(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return Inbox, nil
	case Inbox, Outbox, Sent:
		return f, nil
	}
	return "", fmt.Errorf("%w: folder %q (inbox, outbox or sent)", ErrInvalid, s)
}

// AfterDownload is what Receive does with the messages it returns.
type AfterDownload int

// The ReceiveMessage AfterDownload choices.
const (
	MarkRead AfterDownload = iota // not returned again (the default)
	Delete                        // removed from the store
	Leave                         // returned again next time
)

// ParseAfterDownload reads an API AfterDownload value (any case):
// "delete"; "markread", "markdownloaded", "mark" or "" for MarkRead;
// "leave", "none" or "keep" for Leave.
func ParseAfterDownload(s string) (AfterDownload, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "markread", "markdownloaded", "mark", "read", "downloaded":
		return MarkRead, nil
	case "delete", "remove":
		return Delete, nil
	case "leave", "none", "keep", "nothing":
		return Leave, nil
	}
	return 0, fmt.Errorf("%w: AfterDownload %q (delete, markread or leave)", ErrInvalid, s)
}

// Message is one stored message, with the fields of the Ozeki gateway's
// ReceiveMessage answer.
type Message struct {
	ID           string    `json:"id"`
	Folder       Folder    `json:"folder"`
	Type         string    `json:"type"` // e.g. "SMS:TEXT", "SIP:MESSAGE"
	Originator   string    `json:"originator"`
	Recipient    string    `json:"recipient"`
	Data         string    `json:"data"`
	SentTime     time.Time `json:"sent_time,omitzero"`
	ReceivedTime time.Time `json:"received_time,omitzero"`
	// Route is how it came or goes ("gsm", "sip"); Status and Reason
	// describe an outgoing message's fate (queued, sent, delivered,
	// failed).
	Route  string `json:"route,omitempty"`
	Status string `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	// ReportURL and User belong to an outgoing message: where its
	// delivery report goes, and the API user who sent it (whose secret
	// signs the report).
	ReportURL string `json:"report_url,omitempty"`
	User      string `json:"user,omitempty"`
	// Downloaded is set once Receive returned it with MarkRead.
	Downloaded bool   `json:"downloaded,omitempty"`
	Seq        uint64 `json:"seq"` // store order
}

// Errors of the store.
var (
	ErrInvalid  = errors.New("inbox: invalid request")
	ErrNotFound = errors.New("inbox: no such message")
	ErrTooLarge = errors.New("inbox: message too large")
)

// Options configure Open.
type Options struct {
	Dir          string // created 0700 if missing
	MaxPerFolder int    // 1000 when 0
	// MaxData bounds a message's text in bytes (64 KiB when 0).
	MaxData int
	Logger  *slog.Logger // slog.Default() when nil
}

// Store is the message store. It is safe for concurrent use.
type Store struct {
	opts Options
	log  *slog.Logger

	mu   sync.Mutex
	msgs map[string]*Message
	seq  uint64
}

const ext = ".json"

// Open loads the store in o.Dir.
func Open(o Options) (*Store, error) {
	if o.Dir == "" {
		return nil, errors.New("inbox: no directory")
	}
	if o.MaxPerFolder <= 0 {
		o.MaxPerFolder = 1000
	}
	if o.MaxData <= 0 {
		o.MaxData = 64 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	s := &Store{opts: o, log: o.Logger.With("component", "inbox"), msgs: map[string]*Message{}}
	entries, err := os.ReadDir(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(o.Dir, name)
		switch {
		case strings.HasPrefix(name, "."): // an interrupted write
			os.Remove(path)
		case strings.HasSuffix(name, ext):
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("inbox: %w", err)
			}
			var m Message
			if err := json.Unmarshal(data, &m); err != nil || m.ID+ext != name || !validFolder(m.Folder) {
				s.log.Error("setting aside unreadable message file", "file", name, "err", err)
				os.Rename(path, path+".bad")
				continue
			}
			s.msgs[m.ID] = &m
			s.seq = max(s.seq, m.Seq)
		}
	}
	return s, nil
}

func validFolder(f Folder) bool { return f == Inbox || f == Outbox || f == Sent }

// validID keeps IDs usable as file names.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Add stores m durably and returns it with its ID (a new UUID when empty),
// Folder (Inbox when empty) and Seq set. An ID already stored is
// ErrInvalid.
func (s *Store) Add(m Message) (Message, error) {
	if m.Folder == "" {
		m.Folder = Inbox
	}
	if !validFolder(m.Folder) {
		return Message{}, fmt.Errorf("%w: folder %q", ErrInvalid, m.Folder)
	}
	if len(m.Data) > s.opts.MaxData {
		return Message{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(m.Data), s.opts.MaxData)
	}
	if m.ID == "" {
		m.ID = uuid.NewString()
	}
	if !validID(m.ID) {
		return Message{}, fmt.Errorf("%w: id %q", ErrInvalid, m.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.msgs[m.ID]; dup {
		return Message{}, fmt.Errorf("%w: id %q already stored", ErrInvalid, m.ID)
	}
	s.seq++
	m.Seq = s.seq
	if err := s.write(&m); err != nil {
		return Message{}, err
	}
	s.msgs[m.ID] = &m
	s.prune(m.Folder)
	return m, nil
}

// write stores one message file atomically. Called with mu held.
func (s *Store) write(m *Message) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	if err := config.WriteFileAtomic(filepath.Join(s.opts.Dir, m.ID+ext), data, 0o600); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// remove deletes one message file. Called with mu held; the caller syncs
// the directory.
func (s *Store) remove(id string) error {
	if err := os.Remove(filepath.Join(s.opts.Dir, id+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("inbox: %w", err)
	}
	delete(s.msgs, id)
	return nil
}

// prune drops the oldest messages of folder beyond MaxPerFolder,
// downloaded ones first. Called with mu held.
func (s *Store) prune(f Folder) {
	in := s.folder(f)
	excess := len(in) - s.opts.MaxPerFolder
	if excess <= 0 {
		return
	}
	slices.SortStableFunc(in, func(a, b *Message) int {
		if a.Downloaded != b.Downloaded {
			if a.Downloaded {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	for _, m := range in[:excess] {
		s.log.Info("folder full, dropping oldest message", "folder", f, "id", m.ID)
		if err := s.remove(m.ID); err != nil {
			s.log.Error("cannot drop message", "id", m.ID, "err", err)
		}
	}
	if err := config.SyncDir(s.opts.Dir); err != nil {
		s.log.Error("cannot sync store", "err", err)
	}
}

// folder returns the messages in f, in store order. Called with mu held.
func (s *Store) folder(f Folder) []*Message {
	var out []*Message
	for _, m := range s.msgs {
		if m.Folder == f {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b *Message) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// Get returns a message by ID.
func (s *Store) Get(id string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return Message{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return *m, nil
}

// Update changes a message durably: edit gets a copy and may change any
// field but ID and Seq (a Folder change moves it; Data stays bounded).
func (s *Store) Update(id string, edit func(*Message)) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.msgs[id]
	if !ok {
		return Message{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	m := *old
	edit(&m)
	m.ID, m.Seq = old.ID, old.Seq
	if !validFolder(m.Folder) {
		return Message{}, fmt.Errorf("%w: folder %q", ErrInvalid, m.Folder)
	}
	if len(m.Data) > s.opts.MaxData {
		return Message{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(m.Data))
	}
	if err := s.write(&m); err != nil {
		return Message{}, err
	}
	s.msgs[id] = &m
	if m.Folder != old.Folder {
		s.prune(m.Folder)
	}
	return m, nil
}

// Delete removes a message durably.
func (s *Store) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.msgs[id]; !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err := s.remove(id); err != nil {
		return err
	}
	return config.SyncDir(s.opts.Dir)
}

// List returns every message of a folder, downloaded or not, oldest first.
func (s *Store) List(f Folder) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.folder(f)
	out := make([]Message, len(in))
	for i, m := range in {
		out[i] = *m
	}
	return out
}

// Query is a ReceiveMessage request.
type Query struct {
	Folder        Folder // "" is Inbox
	Limit         int    // at most this many; 0 or less: all
	AfterDownload AfterDownload
}

// Receive returns the oldest messages of q.Folder not yet downloaded and
// applies q.AfterDownload to them before returning. The returned messages
// show their state before the download.
func (s *Store) Receive(q Query) ([]Message, error) {
	if q.Folder == "" {
		q.Folder = Inbox
	}
	if !validFolder(q.Folder) {
		return nil, fmt.Errorf("%w: folder %q", ErrInvalid, q.Folder)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.folder(q.Folder) {
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
		if !m.Downloaded {
			out = append(out, *m)
		}
	}
	switch q.AfterDownload {
	case Delete:
		for _, m := range out {
			if err := s.remove(m.ID); err != nil {
				return nil, err
			}
		}
		if len(out) > 0 {
			if err := config.SyncDir(s.opts.Dir); err != nil {
				return nil, err
			}
		}
	case MarkRead:
		for _, m := range out {
			c := *s.msgs[m.ID]
			c.Downloaded = true
			if err := s.write(&c); err != nil {
				return nil, err
			}
			s.msgs[m.ID] = &c
		}
	}
	return out, nil
}
