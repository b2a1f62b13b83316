package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Errors of Send.
var (
	ErrFull     = errors.New("bus: mailbox full")
	ErrTooMany  = errors.New("bus: too many mailboxes")
	ErrTooLarge = errors.New("bus: message too large")
)

// Limits bound the bus's memory: MaxMailboxes × MaxQueued × MaxMessageBytes.
type Limits struct {
	MaxMailboxes    int // default 256
	MaxQueued       int // messages waiting in one mailbox; default 64
	MaxMessageBytes int // default 4096
}

// Bus routes messages between scripts. Mailbox names are case-insensitive
// ("admin@localhost"). A mailbox exists while it holds messages or has a
// receiver waiting. Safe for concurrent use.
type Bus struct {
	lim   Limits
	mu    sync.Mutex
	boxes map[string]*mailbox
}

type mailbox struct {
	ch      chan string
	waiters int // receivers holding the mailbox (under Bus.mu)
}

// New returns an empty bus.
func New(lim Limits) *Bus {
	if lim.MaxMailboxes <= 0 {
		lim.MaxMailboxes = 256
	}
	if lim.MaxQueued <= 0 {
		lim.MaxQueued = 64
	}
	if lim.MaxMessageBytes <= 0 {
		lim.MaxMessageBytes = 4096
	}
	return &Bus{lim: lim, boxes: map[string]*mailbox{}}
}

// box returns the mailbox for name, creating it; the caller holds b.mu.
func (b *Bus) box(name string) (*mailbox, error) {
	if m, ok := b.boxes[name]; ok {
		return m, nil
	}
	if len(b.boxes) >= b.lim.MaxMailboxes {
		return nil, ErrTooMany
	}
	m := &mailbox{ch: make(chan string, b.lim.MaxQueued)}
	b.boxes[name] = m
	return m, nil
}

// Send queues text for the mailbox to, without waiting.
func (b *Bus) Send(to, text string) error {
	if len(text) > b.lim.MaxMessageBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(text), b.lim.MaxMessageBytes)
	}
	name := strings.ToLower(to)
	b.mu.Lock()
	defer b.mu.Unlock()
	m, err := b.box(name)
	if err != nil {
		return fmt.Errorf("send to %q: %w", to, err)
	}
	select {
	case m.ch <- text:
		return nil
	default:
		return fmt.Errorf("send to %q: %w", to, ErrFull)
	}
}

// Receive takes the oldest message for name, waiting until one comes or
// ctx ends. A message already queued is returned even if ctx has ended.
func (b *Bus) Receive(ctx context.Context, name string) (string, error) {
	name = strings.ToLower(name)
	b.mu.Lock()
	m, err := b.box(name)
	if err != nil {
		b.mu.Unlock()
		return "", fmt.Errorf("receive on %q: %w", name, err)
	}
	m.waiters++
	b.mu.Unlock()
	defer b.release(name, m)
	select {
	case s := <-m.ch:
		return s, nil
	default:
	}
	select {
	case s := <-m.ch:
		return s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// release drops a receiver's hold and removes the mailbox when it is idle.
func (b *Bus) release(name string, m *mailbox) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m.waiters--
	if m.waiters == 0 && len(m.ch) == 0 && b.boxes[name] == m {
		delete(b.boxes, name)
	}
}

// Len is the number of mailboxes in use.
func (b *Bus) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.boxes)
}
