package player

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gatepbx/gatepbx/media/stream"
)

// OpenFunc opens a fresh Source from its start; Repeat and Loop call it
// once per pass.
type OpenFunc func() (Source, error)

// Repeat plays what open opens n times in a row (n <= 0: forever). A pass
// that yields no audio at all ends the repetition, so a broken or empty
// file cannot spin. Close closes the current pass.
func Repeat(n int, open OpenFunc) Source {
	return &repeat{open: open, left: n, forever: n <= 0}
}

// Loop plays what open opens forever: music on hold. Stop it by closing or
// by cancelling the pacer's context.
func Loop(open OpenFunc) Source { return Repeat(0, open) }

type repeat struct {
	open    OpenFunc
	cur     Source
	left    int
	forever bool
	got     bool // the current pass produced audio
}

func (r *repeat) ReadFrame(dst []int16) (int, error) {
	for range 2 {
		if r.cur == nil {
			if !r.forever && r.left <= 0 {
				return 0, io.EOF
			}
			src, err := r.open()
			if err != nil {
				return 0, fmt.Errorf("player: repeat: %w", err)
			}
			r.cur, r.got = src, false
			r.left--
		}
		n, err := r.cur.ReadFrame(dst)
		if n > 0 {
			r.got = true
		}
		if err == nil {
			return n, nil
		}
		empty := !r.got
		cerr := r.cur.Close()
		r.cur = nil
		if !errors.Is(err, io.EOF) {
			return n, errors.Join(err, cerr)
		}
		if n > 0 {
			return n, nil // the pass's last frame; the next call opens the next pass
		}
		if empty {
			return 0, io.EOF
		}
	}
	return 0, io.EOF
}

func (r *repeat) Close() error {
	r.left, r.forever = 0, false
	if r.cur == nil {
		return nil
	}
	err := r.cur.Close()
	r.cur = nil
	return err
}

// Timeout ends src after d of audio (counted in samples, not wall-clock
// time: a paused pacer does not eat into it). The last frame is cut short
// at the limit. Close closes src.
func Timeout(src Source, d time.Duration) Source {
	return &timeout{src: src, left: int64(d / (time.Second / stream.SampleRate))}
}

type timeout struct {
	src  Source
	left int64 // samples still allowed
}

func (t *timeout) ReadFrame(dst []int16) (int, error) {
	if t.left <= 0 {
		return 0, io.EOF
	}
	n, err := t.src.ReadFrame(dst)
	if int64(n) >= t.left {
		n, err = int(t.left), nil
	}
	t.left -= int64(n)
	return n, err
}

func (t *timeout) Close() error { return t.src.Close() }

// nopCloser gives a plain stream.Source a no-op Close.
type nopCloser struct{ stream.Source }

func (nopCloser) Close() error { return nil }

// NopCloser returns src as a Source whose Close does nothing.
func NopCloser(src stream.Source) Source { return nopCloser{src} }
