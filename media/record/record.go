package record

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/tone"
	"github.com/gatepbx/gatepbx/media/wav"
)

// Format is the container of a recording.
type Format int

// Formats.
const (
	WAV Format = iota + 1
	MP3
)

func (f Format) String() string {
	switch f {
	case WAV:
		return "wav"
	case MP3:
		return "mp3"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat accepts "wav" or "mp3" (any case).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "wav":
		return WAV, nil
	case "mp3":
		return MP3, nil
	}
	return 0, fmt.Errorf("record: unknown format %q (wav or mp3)", s)
}

// StopReason says why a recording ended.
type StopReason int

// Stop reasons.
const (
	Stopped     StopReason = iota + 1 // Stop was called or the context ended
	MaxDuration                       // the duration limit was reached
	Inactivity                        // silence lasted SilenceTimeout
	FinishKey                         // one of FinishKeys was pressed
)

func (r StopReason) String() string {
	switch r {
	case Stopped:
		return "stopped"
	case MaxDuration:
		return "max-duration"
	case Inactivity:
		return "inactivity"
	case FinishKey:
		return "finish-key"
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// Defaults and limits.
const (
	DefaultMaxDuration  = time.Hour
	DefaultSilenceLevel = -40.0 // dBm0
	DefaultQueueSlots   = 64    // per leg: 1.28 s of 20 ms packets
	DefaultLAME         = "lame"
	maxLegs             = 2
	keyBuffer           = 16
	filePerm            = 0o640
	dirPerm             = 0o750
)

// ErrNoMP3Encoder is returned by New for an MP3 recording when the lame
// encoder cannot be found.
var ErrNoMP3Encoder = errors.New("record: MP3 recording needs the lame encoder, which is not installed (use WAV or install lame)")

// Config describes one recording.
type Config struct {
	Root   string // recordings directory; created if missing (required)
	Name   string // file path relative to Root; the format's extension is added when missing (required)
	Format Format // WAV (default) or MP3
	// Encoding of a WAV file's samples: wav.EncodingPCM16 (default),
	// EncodingMuLaw or EncodingALaw.
	Encoding wav.Encoding
	// Legs is how many taps feed the recording: 1 (one direction) or 2
	// (both directions, mixed). Default 1.
	Legs           int
	MaxDuration    time.Duration // default and upper bound DefaultMaxDuration
	SilenceTimeout time.Duration // stop after this much silence; 0: never
	SilenceLevel   float64       // dBm0 below which a frame is silence; default DefaultSilenceLevel
	FinishKeys     string        // DTMF keys (fed through Key) that stop the recording
	JitterDepth    time.Duration // per leg; default stream.DefaultJitterDepth
	QueueSlots     int           // packets buffered per leg between tap and recorder; default 64
	Clock          stream.Clock  // default stream.SystemClock
	LAME           string        // MP3 encoder program; default "lame" from PATH
}

// Result describes a finished recording.
type Result struct {
	Path     string        // the file written
	Name     string        // Path relative to Root
	Duration time.Duration // audio length
	Reason   StopReason
	Key      byte                        // the finish key, when Reason is FinishKey
	Drops    uint64                      // packets dropped between the taps and the recorder (ring full)
	Jitter   [maxLegs]stream.JitterStats // per leg
}

// Recorder records one or two relay taps into a file. Create it with New,
// install Tap(i) on the endpoints, then Run it; Key, Stop and Tap's
// functions may be called from other goroutines.
type Recorder struct {
	cfg                      Config
	name                     string // relative, with extension
	path                     string // final
	lame                     string // resolved encoder path, MP3 only
	clock                    stream.Clock
	legs                     []*stream.Inbound // one per recorded direction
	keys                     chan byte
	stop                     chan struct{}
	stopOnce                 sync.Once
	silence2                 float64 // mean-square threshold
	maxFrames, silenceFrames int64

	// Owned by Run.
	file   *wav.AtomicFile
	frame  [stream.FrameSamples]int16
	mix    [stream.FrameSamples]int16
	frames int64
	quiet  int64
}

// New checks cfg and prepares a recording; nothing is written until Run.
func New(cfg Config) (*Recorder, error) {
	if cfg.Root == "" {
		return nil, errors.New("record: no recordings directory")
	}
	if cfg.Format == 0 {
		cfg.Format = WAV
	}
	if cfg.Format != WAV && cfg.Format != MP3 {
		return nil, fmt.Errorf("record: unknown format %d", cfg.Format)
	}
	if cfg.Encoding == 0 || cfg.Format == MP3 {
		cfg.Encoding = wav.EncodingPCM16
	}
	switch cfg.Encoding {
	case wav.EncodingPCM16, wav.EncodingMuLaw, wav.EncodingALaw:
	default:
		return nil, fmt.Errorf("record: WAV encoding %v not supported for recordings", cfg.Encoding)
	}
	if cfg.Legs == 0 {
		cfg.Legs = 1
	}
	if cfg.Legs < 1 || cfg.Legs > maxLegs {
		return nil, fmt.Errorf("record: %d legs (1 or 2)", cfg.Legs)
	}
	if cfg.MaxDuration <= 0 || cfg.MaxDuration > DefaultMaxDuration {
		cfg.MaxDuration = DefaultMaxDuration
	}
	if cfg.SilenceTimeout < 0 {
		return nil, fmt.Errorf("record: negative silence timeout %v", cfg.SilenceTimeout)
	}
	if cfg.SilenceLevel == 0 {
		cfg.SilenceLevel = DefaultSilenceLevel
	}
	if cfg.SilenceLevel < tone.MinLevel || cfg.SilenceLevel > 0 {
		return nil, fmt.Errorf("record: silence level %g dBm0 outside %g..0", cfg.SilenceLevel, tone.MinLevel)
	}
	for i := range len(cfg.FinishKeys) {
		if !dtmf.ValidDigit(cfg.FinishKeys[i]) {
			return nil, fmt.Errorf("record: finish key %q is not a DTMF key", cfg.FinishKeys[i])
		}
	}
	if cfg.QueueSlots <= 0 {
		cfg.QueueSlots = DefaultQueueSlots
	}
	if cfg.Clock == nil {
		cfg.Clock = stream.SystemClock{}
	}
	name, err := fileName(cfg.Name, cfg.Format)
	if err != nil {
		return nil, err
	}
	r := &Recorder{
		cfg:   cfg,
		name:  name,
		path:  filepath.Join(cfg.Root, name),
		clock: cfg.Clock,
		keys:  make(chan byte, keyBuffer),
		stop:  make(chan struct{}),
	}
	if cfg.Format == MP3 {
		bin := cfg.LAME
		if bin == "" {
			bin = DefaultLAME
		}
		if r.lame, err = exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoMP3Encoder, err)
		}
	}
	rms := tone.Amplitude(cfg.SilenceLevel) / math.Sqrt2
	r.silence2 = rms * rms
	r.maxFrames = int64(cfg.MaxDuration / stream.FrameDuration)
	r.silenceFrames = int64(cfg.SilenceTimeout / stream.FrameDuration)
	for range cfg.Legs {
		in, err := stream.NewInbound(cfg.QueueSlots, cfg.JitterDepth, nil)
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		r.legs = append(r.legs, in)
	}
	return r, nil
}

// fileName checks that name stays inside the root and gives it the
// format's extension.
func fileName(name string, f Format) (string, error) {
	if name == "" || !filepath.IsLocal(name) || strings.ContainsAny(name, "\x00") {
		return "", fmt.Errorf("record: file name %q is not a path inside the recordings directory", name)
	}
	ext := "." + f.String()
	if !strings.EqualFold(filepath.Ext(name), ext) {
		name += ext
	}
	name = filepath.Clean(name)
	if !filepath.IsLocal(name) {
		return "", fmt.Errorf("record: file name %q is not a path inside the recordings directory", name)
	}
	return name, nil
}

// Tap returns the audio tap for leg i (0 <= i < Config.Legs), to install with
// relay.Endpoint.SetAudioTap (or a stream.TapMux). It never blocks: when
// the recorder falls behind, packets are dropped and counted.
func (r *Recorder) Tap(i int) stream.TapFunc { return r.legs[i].Tap }

// Key reports a DTMF key pressed on the call; one of FinishKeys stops the
// recording. It never blocks (keys beyond a small buffer are dropped).
func (r *Recorder) Key(d byte) {
	select {
	case r.keys <- d:
	default:
	}
}

// Stop ends the recording; Run then finishes the file and returns.
func (r *Recorder) Stop() { r.stopOnce.Do(func() { close(r.stop) }) }

// Path returns where the recording will be (or is) written.
func (r *Recorder) Path() string { return r.path }

// Run records until a stop condition, then writes the file atomically and
// returns what happened. Every 20 ms of the clock it takes one frame from
// each leg's jitter buffer, mixes them and appends the mix. A cancelled
// ctx stops the recording like Stop (the file is kept). Run may be called
// once.
func (r *Recorder) Run(ctx context.Context) (Result, error) {
	res := Result{Name: r.name, Path: r.path}
	if err := r.makeDir(); err != nil {
		return res, err
	}
	target := r.path
	if r.cfg.Format == MP3 {
		target = filepath.Join(filepath.Dir(r.path), "."+filepath.Base(r.path)+".wav")
	}
	f, err := wav.CreateAtomic(target, r.cfg.Encoding, filePerm)
	if err != nil {
		return res, fmt.Errorf("record: %w", err)
	}
	r.file = f
	ticker := r.clock.NewTicker(stream.FrameDuration)
	reason, key, err := r.loop(ctx, ticker)
	ticker.Stop()
	res.Reason, res.Key = reason, key
	res.Duration = time.Duration(r.frames) * stream.FrameDuration
	for i, l := range r.legs {
		res.Drops += l.Drops()
		res.Jitter[i] = l.Stats()
	}
	if err != nil {
		return res, errors.Join(err, r.file.Abort())
	}
	if err := r.file.Commit(); err != nil {
		return res, fmt.Errorf("record: %w", err)
	}
	if r.cfg.Format == MP3 {
		defer os.Remove(target)
		if err := encodeMP3(ctx, r.lame, target, r.path); err != nil {
			return res, err
		}
	}
	return res, nil
}

// makeDir creates the root and the file's directory inside it. Going
// through os.Root refuses a directory that a symbolic link takes outside
// the root.
func (r *Recorder) makeDir() error {
	if err := os.MkdirAll(r.cfg.Root, dirPerm); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	root, err := os.OpenRoot(r.cfg.Root)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	defer root.Close()
	dir := filepath.Dir(r.name)
	if err := root.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if _, err := root.Stat(dir); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// loop runs the ticks until a stop condition.
func (r *Recorder) loop(ctx context.Context, ticker stream.Ticker) (StopReason, byte, error) {
	for {
		select {
		case <-ctx.Done():
			return Stopped, 0, nil
		case <-r.stop:
			return Stopped, 0, nil
		case k := <-r.keys:
			if strings.IndexByte(r.cfg.FinishKeys, k) >= 0 {
				return FinishKey, k, nil
			}
		case <-ticker.C():
			reason, err := r.tick()
			if err != nil || reason != 0 {
				return reason, 0, err
			}
		}
	}
}

// tick records one frame and reports a stop condition, if any.
func (r *Recorder) tick() (StopReason, error) {
	clear(r.mix[:])
	for _, l := range r.legs {
		l.ReadFrame(r.frame[:])
		for k, s := range r.frame {
			r.mix[k] = saturate(int32(r.mix[k]) + int32(s))
		}
	}
	if err := r.file.WriteSamples(r.mix[:]); err != nil {
		return 0, fmt.Errorf("record: write %s: %w", r.path, err)
	}
	r.frames++
	if r.silenceFrames > 0 {
		if meanSquare(r.mix[:]) < r.silence2 {
			r.quiet++
		} else {
			r.quiet = 0
		}
		if r.quiet >= r.silenceFrames {
			return Inactivity, nil
		}
	}
	if r.frames >= r.maxFrames {
		return MaxDuration, nil
	}
	return 0, nil
}

func saturate(v int32) int16 {
	return int16(min(max(v, math.MinInt16), math.MaxInt16))
}

func meanSquare(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return sum / float64(len(s))
}

// encodeMP3 encodes the WAV at src into an MP3 at dst atomically (a
// temporary file in dst's directory, fsynced, then renamed). The output is
// 16 kHz mono MPEG-2 layer III at 32 kbit/s, which common players and the
// appliance's own MP3 player decode.
func encodeMP3(ctx context.Context, lame, src, dst string) error {
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("record: mp3: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // a no-op after the rename
	cmd := exec.CommandContext(context.WithoutCancel(ctx), lame, "--quiet", "-m", "m", "--resample", "16", "-b", "32", src, tmpName)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("record: mp3: lame: %w: %s", err, strings.TrimSpace(string(out)))
	}
	f, err := os.OpenFile(tmpName, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("record: mp3: %w", err)
	}
	err = errors.Join(f.Chmod(filePerm), f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmpName, dst)
	}
	if err == nil {
		err = wav.SyncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("record: mp3: %w", err)
	}
	return nil
}
