package stream

import (
	"sync"
	"sync/atomic"
)

// TapFunc is the shape of a relay audio tap (relay.AudioTapFunc): it runs
// on the endpoint's reader goroutine, must not block and must not keep
// payload.
type TapFunc = func(pt uint8, ts uint32, payload []byte)

// TapMux fans one endpoint's audio tap out to several consumers (a
// recorder and a DTMF listener on the same leg). Install m.Tap as the
// endpoint's tap once; Add and remove consumers at any time. Tap takes no
// lock and does not allocate. The zero value is ready to use.
type TapMux struct {
	mu     sync.Mutex // serialises Add and remove
	nextID uint64
	taps   atomic.Pointer[[]muxEntry]
}

type muxEntry struct {
	id uint64
	fn TapFunc
}

// Tap calls every consumer in the order they were added.
func (m *TapMux) Tap(pt uint8, ts uint32, payload []byte) {
	if p := m.taps.Load(); p != nil {
		for _, e := range *p {
			e.fn(pt, ts, payload)
		}
	}
}

// Add adds fn and returns the function that removes it (idempotent).
func (m *TapMux) Add(fn TapFunc) (remove func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	id := m.nextID
	var cur []muxEntry
	if p := m.taps.Load(); p != nil {
		cur = *p
	}
	next := append(append(make([]muxEntry, 0, len(cur)+1), cur...), muxEntry{id: id, fn: fn})
	m.taps.Store(&next)
	return func() { m.remove(id) }
}

func (m *TapMux) remove(id uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.taps.Load()
	if p == nil {
		return
	}
	next := make([]muxEntry, 0, len(*p))
	for _, e := range *p {
		if e.id != id {
			next = append(next, e)
		}
	}
	m.taps.Store(&next)
}

// Len returns the number of consumers.
func (m *TapMux) Len() int {
	if p := m.taps.Load(); p != nil {
		return len(*p)
	}
	return 0
}
