package apiext

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/media/record"
	"github.com/gatepbx/gatepbx/media/stream"
)

// Record implements ozml.Call: the caller's audio, as it reaches the
// bridge, into a file under the data dir (see NewRecorder).
func (l *Leg) Record(ctx context.Context, opts ozml.RecordOptions) (ozml.RecordResult, error) {
	rec, err := NewRecorder(Recording{
		DataDir: l.o.opts.DataDir, CallID: l.callID, Format: opts.Format, Path: opts.Path, Legs: 1,
		MaxDuration: opts.MaxDuration, Inactivity: opts.Inactivity, Clock: l.o.opts.Clock, Logger: l.log,
	})
	if err != nil {
		return ozml.RecordResult{}, err
	}
	remove := l.media.taps.Add(rec.Tap(0))
	defer remove()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-opts.Stop:
			rec.Stop()
		case <-stopped:
		}
	}()
	res, err := rec.Run(ctx)
	if err != nil {
		return ozml.RecordResult{}, fmt.Errorf("apiext: record: %w", err)
	}
	out := ozml.RecordResult{Path: res.Name, Duration: res.Duration}
	if rest, ok := RecordingURL(res.Name); ok && l.o.opts.RecordURL != nil {
		out.URL = l.o.opts.RecordURL(rest)
	}
	return out, nil
}

// Recording describes a recording of a call.
type Recording struct {
	DataDir string // the recording is written under it (required)
	CallID  string
	Format  string // "mp3" (also when empty) or "wav"
	// Path is the file relative to DataDir; empty names it
	// RecordDir/<call ID>-<32 random hex digits>, a name nobody can
	// guess, since RecordURL serves it without a password.
	Path        string
	Legs        int // 1: one direction; 2: both mixed
	MaxDuration time.Duration
	Inactivity  time.Duration
	Clock       stream.Clock
	Logger      *slog.Logger
}

// NewRecorder prepares a recorder for r. MP3 needs the lame encoder;
// without it the recording is made as WAV (logged).
func NewRecorder(r Recording) (*record.Recorder, error) {
	if r.DataDir == "" {
		return nil, errors.New("apiext: record: no data dir")
	}
	format := record.WAV
	if strings.EqualFold(r.Format, "mp3") || r.Format == "" {
		format = record.MP3
	}
	name := r.Path
	if name == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("apiext: record: %w", err)
		}
		name = path.Join(RecordDir, r.CallID+"-"+hex.EncodeToString(b[:]))
	}
	cfg := record.Config{
		Root: r.DataDir, Name: name, Format: format, Legs: r.Legs, MaxDuration: r.MaxDuration,
		SilenceTimeout: r.Inactivity, Clock: r.Clock,
	}
	rec, err := record.New(cfg)
	if errors.Is(err, record.ErrNoMP3Encoder) {
		if r.Logger != nil {
			r.Logger.Warn("apiext: no MP3 encoder, recording as WAV", "err", err)
		}
		cfg.Format = record.WAV
		rec, err = record.New(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("apiext: record: %w", err)
	}
	return rec, nil
}

// RecordingURL is the name under RecordDir of a recording's file
// (relative to the data dir), or false when it lies elsewhere.
func RecordingURL(name string) (string, bool) {
	return strings.CutPrefix(filepath.ToSlash(name), RecordDir+"/")
}
