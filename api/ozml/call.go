package ozml

import (
	"context"
	"errors"
	"time"
)

// ErrCallEnded is wrapped by Call methods when the call is gone (the far
// end hung up, the core ended it): the script stops without hanging up.
var ErrCallEnded = errors.New("ozml: call ended")

// Call is one call leg under script control, implemented by the call
// core. Every method blocks until its action is done, fails, or ctx ends;
// a method interrupted by ctx returns ctx's error. Methods are called from
// one goroutine at a time, except that Digits is read while a prompt
// plays.
type Call interface {
	// Answer answers the incoming call (200 OK). The interpreter calls
	// it once, before the first verb that needs media.
	Answer(ctx context.Context) error
	// Reject refuses the unanswered call with a SIP status (603 or 486).
	Reject(ctx context.Context, code int) error
	// Hangup ends the call (BYE; or a final status when unanswered).
	Hangup(ctx context.Context) error

	// Speak says text with text-to-speech; language and voice may be empty.
	Speak(ctx context.Context, text, language, voice string) error
	// Play plays audio: a path relative to the content store (checked
	// local by the interpreter) or an http(s) URL. repeat loops it until
	// timeout (0: no timeout) or ctx ends.
	Play(ctx context.Context, audio string, repeat bool, timeout time.Duration) error
	// Beep plays the short beep tone (1 kHz, 500 ms).
	Beep(ctx context.Context) error
	// Record records the caller until MaxDuration, Inactivity seconds of
	// silence, Stop being closed, or ctx ending; in every case but an
	// error it returns what was recorded.
	Record(ctx context.Context, opts RecordOptions) (RecordResult, error)
	// Digits delivers the caller's DTMF keys ('0'-'9', '*', '#', 'A'-'D'),
	// from RFC 4733 events and in-band detection alike, merged by the
	// media layer. The channel is closed when the call ends. Keys pressed
	// while nothing reads are kept (type-ahead) as far as its buffer goes.
	Digits() <-chan byte

	// BlindTransfer connects the caller to target. nil means the target
	// answered and the call has left the script; any other error means
	// the caller is still here and the script goes on.
	BlindTransfer(ctx context.Context, target string) error
	// AttendedTransfer joins the parties of two calls and leaves both;
	// nil means this call has left the script.
	AttendedTransfer(ctx context.Context, transferredCallID, targetCallID string) error
	// ForwardCall redirects the still ringing call to destination; nil
	// means the call has left the script.
	ForwardCall(ctx context.Context, destination string) error
	Hold(ctx context.Context) error
	Unhold(ctx context.Context) error
	// SendDTMF sends keys to the caller.
	SendDTMF(ctx context.Context, keys string) error

	// Info describes the call for notifications and $variables, with the
	// reference's field names: CallId, Caller, CallerId,
	// CallerDisplayName, Callee, Dialed, ApiExtension, ... Each field
	// becomes a variable of the lower-cased name ($callid, $caller, ...)
	// and a form field of every notification the script sends.
	Info() map[string]string
}

// RecordOptions are Record's parameters, already validated.
type RecordOptions struct {
	Format      string        // "mp3" (Ozeki's default) or "wav"
	MaxDuration time.Duration // always set: Duration, capped by the limits
	Inactivity  time.Duration // 0: no silence detection
	// Path is where to store the file: a local path (filepath.IsLocal)
	// relative to the data dir, to be opened through os.Root; empty lets
	// the call choose.
	Path string
	// Stop is closed when one of FinishDigits is pressed; the recording
	// then ends normally.
	Stop <-chan struct{}
}

// RecordResult describes a finished recording.
type RecordResult struct {
	Path     string        // relative to the data dir
	URL      string        // where the application can download it (RecordURL)
	Duration time.Duration // length of the audio
}

// Clock is the time source of the interpreter (Delay, timeouts, the run
// time limit). pbx.SystemClock satisfies it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After waits for d on the real clock.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
