package ozml

import (
	"context"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

func (r *run) speak(ctx context.Context, n *Node) error {
	text := r.str(n, "text")
	if strings.TrimSpace(text) == "" {
		return r.skip(n, "no text")
	}
	return r.callErr(ctx, n, r.call.Speak(ctx, text, r.str(n, "language"), r.str(n, "voice")))
}

func (r *run) play(ctx context.Context, n *Node) error {
	audio := strings.TrimSpace(r.str(n, "audiofile"))
	if audio == "" {
		return r.skip(n, "no AudioFile")
	}
	if !isWebURL(audio) && !filepath.IsLocal(filepath.FromSlash(audio)) {
		return r.skip(n, "AudioFile %q is neither an http(s) URL nor a path inside the content store", audio)
	}
	timeout, ok, err := r.seconds(n, "timeout")
	if err != nil {
		return r.skip(n, "%v", err)
	}
	if !ok || timeout == 0 || timeout > r.remaining() {
		timeout = r.remaining()
	}
	return r.callErr(ctx, n, r.call.Play(ctx, audio, r.flag(n, "repeat"), timeout))
}

func (r *run) delay(ctx context.Context, n *Node) error {
	d, ok, err := r.seconds(n, "time")
	if err != nil || !ok {
		return r.skip(n, "Time missing or invalid (%v)", err)
	}
	return r.wait(ctx, d)
}

// isWebURL reports whether s is an absolute http or https URL.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// record runs Record: FinishDigits stop it, type-ahead is discarded first
// so that an old key does not end it at once, and FinishedUrl gets the
// RecordCompleted notification whose reply, if any, replaces the script.
func (r *run) record(ctx context.Context, n *Node) error {
	opts := RecordOptions{Format: strings.ToLower(strings.TrimSpace(r.str(n, "format")))}
	switch opts.Format {
	case "":
		opts.Format = "mp3"
	case "mp3", "wav":
	default:
		return r.skip(n, "Format %q is not mp3 or wav", opts.Format)
	}
	d, ok, err := r.seconds(n, "duration")
	if err != nil {
		return r.skip(n, "%v", err)
	}
	if !ok || d == 0 || d > r.lim.MaxRecordDuration {
		d = r.lim.MaxRecordDuration
	}
	opts.MaxDuration = min(d, r.remaining())
	if opts.Inactivity, _, err = r.seconds(n, "inactivity"); err != nil {
		return r.skip(n, "%v", err)
	}
	if p := strings.TrimSpace(r.str(n, "recordpath")); p != "" {
		rel, err := r.dataPath(p)
		if err != nil {
			return r.skip(n, "RecordPath: %v", err)
		}
		opts.Path = rel
	}
	finish := r.str(n, "finishdigits")
	stop := make(chan struct{})
	opts.Stop = stop
	r.drainDigits()

	type outcome struct {
		res RecordResult
		err error
	}
	done := make(chan outcome, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		var res RecordResult
		err := guard(func() (err error) {
			res, err = r.call.Record(rctx, opts)
			return err
		})
		done <- outcome{res, err}
	}()
	digits := r.call.Digits()
	var out outcome
	for waiting := true; waiting; {
		select {
		case out = <-done:
			waiting = false
		case d, ok := <-digits:
			if !ok {
				digits = nil // the call is ending; Record returns soon
				continue
			}
			if stop != nil && finish != "" && strings.IndexByte(finish, d) >= 0 {
				close(stop)
				stop = nil
			}
		}
	}
	if out.err != nil {
		return r.callErr(ctx, n, out.err)
	}
	if err := r.vars.set("recordurl", out.res.URL); err != nil {
		return err
	}
	r.log.Info("ozml: recorded", "path", out.res.Path, "duration", out.res.Duration)
	if target := strings.TrimSpace(r.str(n, "finishedurl")); target != "" {
		return r.notify(ctx, n, target, "RecordCompleted", url.Values{
			"RecordURL": {out.res.URL},
			"Duration":  {strconv.FormatFloat(out.res.Duration.Seconds(), 'f', 3, 64)},
		})
	}
	return nil
}

// drainDigits discards keys pressed before now.
func (r *run) drainDigits() {
	ch := r.call.Digits()
	for range 256 {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		default:
			return
		}
	}
}
