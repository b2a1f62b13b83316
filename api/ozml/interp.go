package ozml

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"path"
	"runtime/debug"
	"strings"
	"time"
)

// Options configure an Interpreter; the zero value works (no data dir, no
// message bus).
type Options struct {
	Limits Limits       // zero fields: DefaultLimits
	Clock  Clock        // nil: SystemClock
	Logger *slog.Logger // nil: slog.Default()
	// RejectCode is the SIP status Reject answers: 603 Decline (default)
	// or 486 Busy Here; other values mean 603.
	RejectCode int
	// DataDir confines DeleteFile, MoveFile, RecordPath and e-mail
	// attachments; empty refuses them.
	DataDir string
	// Bus carries SendMsg and WaitForMsg; nil makes them fail.
	Bus Messenger
	// InputTimeout is UserInput's Timeout when it is absent or 0
	// (default 10 s, the reference's example).
	InputTimeout time.Duration
	// MsgTimeout is WaitForMsg's Timeout when it is absent (default 30 s).
	MsgTimeout time.Duration
}

// Interpreter runs OzML documents. It holds no per-call state: one
// Interpreter serves every call, each Run on its own goroutine.
type Interpreter struct {
	env  Env
	opts Options
}

// New returns an Interpreter that reaches the appliance through env.
func New(env Env, opts Options) *Interpreter {
	opts.Limits = opts.Limits.withDefaults()
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RejectCode != 486 {
		opts.RejectCode = 603
	}
	orDefault(&opts.InputTimeout, 10*time.Second)
	orDefault(&opts.MsgTimeout, 30*time.Second)
	return &Interpreter{env: env, opts: opts}
}

// Limits returns the limits in force (defaults filled in), for parsing
// documents the interpreter will run.
func (in *Interpreter) Limits() Limits { return in.opts.Limits }

// RunOptions describe one run.
type RunOptions struct {
	// Answered: the call is already answered (CallConnected, a Request's
	// OnInCall); otherwise it is answered before the first verb that
	// needs media, and Reject is possible as the first verb.
	Answered bool
	// Vars are initial variables, on top of the call's Info.
	Vars map[string]string
}

// Outcome says how a run left its call.
type Outcome int

const (
	// HungUp: the script ended (end of document, Exit, Hangup, a limit, an
	// error) and the call was hung up.
	HungUp Outcome = iota + 1
	// Rejected: Reject refused the unanswered call.
	Rejected
	// LeftScript: a transfer or forward succeeded; the call goes on
	// without the script.
	LeftScript
	// CallGone: the call ended under the script (the far end hung up) or
	// the run's context ended; nothing was sent.
	CallGone
)

func (o Outcome) String() string {
	switch o {
	case HungUp:
		return "HungUp"
	case Rejected:
		return "Rejected"
	case LeftScript:
		return "LeftScript"
	case CallGone:
		return "CallGone"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Result is how a run ended.
type Result struct {
	Outcome Outcome
	Reason  string // e.g. "end of script", "Exit", "BlindTransfer to 102", "limit"
	Err     error  // what ended the script abnormally (wraps ErrLimit for a limit), or nil
}

// endSignal unwinds the run to its end.
type endSignal struct {
	outcome Outcome
	reason  string
	hangup  bool // the interpreter still has to hang the call up
	err     error
}

func (e *endSignal) Error() string { return "ozml: " + e.reason }

// gotoSignal unwinds the run to replace its document.
type gotoSignal struct{ doc *Document }

func (*gotoSignal) Error() string { return "ozml: document replaced" }

// errBack unwinds a nested UserInput to its enclosing menu.
var errBack = errors.New("ozml: back key")

// run is the state of one script on one call; it lives on the run's
// goroutine (a barge-in prompt runs on a second goroutine while the first
// only waits for it).
type run struct {
	in       *Interpreter
	lim      Limits
	call     Call // nil when no call is under control (HTTP Request)
	log      *slog.Logger
	vars     *vars
	doc      *Document
	start    time.Time
	executed int // verbs started
	loops    int
	hops     int
	answered bool
	menus    int // UserInputs whose Input body is running
	// prompting: InitialCommands are running on the barge-in goroutine,
	// which must not read Digits itself.
	prompting bool
	err       error // sticky substitution overflow, checked after each verb
}

// Run executes doc on call until the script ends, and reports how. It
// answers the call when needed and hangs it up at the end unless the call
// has left (transfer) or is gone. call may be nil for scripts that control
// no call (an HTTP Request's blocks); verbs that need one are then skipped
// with a logged error.
func (in *Interpreter) Run(ctx context.Context, call Call, doc *Document, ro RunOptions) (res Result) {
	r := &run{
		in:       in,
		lim:      in.opts.Limits,
		call:     call,
		vars:     newVars(in.opts.Limits.MaxVarBytes),
		doc:      doc,
		start:    in.opts.Clock.Now(),
		answered: ro.Answered,
		log:      in.opts.Logger,
	}
	if call != nil {
		info := call.Info()
		r.log = r.log.With("callid", info["CallId"])
		for k, v := range info {
			_ = r.vars.set(k, v) // bounded by the limit; an oversized field is just not a variable
		}
	}
	for k, v := range ro.Vars {
		_ = r.vars.set(k, v)
	}
	defer func() {
		// A bug met by one script must not take the other calls down.
		if p := recover(); p != nil {
			err := fmt.Errorf("internal error: %v", p)
			r.log.Error("ozml: script panicked", "err", err, "stack", string(debug.Stack()))
			res = r.finish(ctx, err)
		}
	}()
	if doc == nil || doc.Root == nil {
		return r.finish(ctx, errors.New("no document"))
	}
	var err error
	for {
		err = r.block(ctx, doc.Root.Children)
		var g *gotoSignal
		if !errors.As(err, &g) {
			break
		}
		r.hops++
		if r.hops > r.lim.MaxGoToHops {
			err = fmt.Errorf("more than %d documents in one run: %w", r.lim.MaxGoToHops, ErrLimit)
			break
		}
		doc, r.doc = g.doc, g.doc
	}
	return r.finish(ctx, err)
}

// guard runs f, turning a panic into an error: used on the helper
// goroutines of a run, which Run's own recover does not cover.
func guard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v\n%s", p, debug.Stack())
		}
	}()
	return f()
}

// finish turns the error that ended the script into a Result, hanging up
// when the script still owns the call.
func (r *run) finish(ctx context.Context, err error) Result {
	res := Result{Outcome: HungUp, Reason: "end of script"}
	hangup := true
	var end *endSignal
	switch {
	case err == nil || errors.Is(err, errBack):
	case errors.As(err, &end):
		res = Result{Outcome: end.outcome, Reason: end.reason, Err: end.err}
		hangup = end.hangup
	case errors.Is(err, ErrCallEnded) || ctx.Err() != nil:
		res = Result{Outcome: CallGone, Reason: "call ended", Err: nil}
		hangup = false
	case errors.Is(err, ErrLimit):
		res = Result{Outcome: HungUp, Reason: "limit", Err: err}
	default:
		res = Result{Outcome: HungUp, Reason: "error", Err: err}
	}
	if hangup && r.call != nil {
		if herr := guard(func() error { return r.call.Hangup(ctx) }); herr != nil && !errors.Is(herr, ErrCallEnded) {
			r.log.Warn("ozml: hangup at the end of the script failed", "err", herr)
		}
	}
	if res.Err != nil {
		r.log.Warn("ozml: script ended", "outcome", res.Outcome, "reason", res.Reason, "err", res.Err)
	} else {
		r.log.Info("ozml: script ended", "outcome", res.Outcome, "reason", res.Reason)
	}
	return res
}

// block runs verbs in order.
func (r *run) block(ctx context.Context, nodes []*Node) error {
	for _, n := range nodes {
		if err := r.checkTime(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := r.verb(ctx, n)
		if r.err != nil && err == nil {
			err, r.err = r.err, nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkTime ends a run that has used its time.
func (r *run) checkTime() error {
	if r.in.opts.Clock.Now().Sub(r.start) >= r.lim.MaxRunTime {
		return fmt.Errorf("script ran longer than %v: %w", r.lim.MaxRunTime, ErrLimit)
	}
	return nil
}

// remaining is the run time left, at least a millisecond, to cap waits.
func (r *run) remaining() time.Duration {
	return max(r.lim.MaxRunTime-r.in.opts.Clock.Now().Sub(r.start), time.Millisecond)
}

// iterate counts one loop iteration against the limit.
func (r *run) iterate() error {
	r.loops++
	if r.loops > r.lim.MaxLoopIterations {
		return fmt.Errorf("more than %d loop iterations: %w", r.lim.MaxLoopIterations, ErrLimit)
	}
	return r.checkTime()
}

// wait blocks for d (capped by the run time left) or until ctx ends.
func (r *run) wait(ctx context.Context, d time.Duration) error {
	select {
	case <-r.in.opts.Clock.After(min(d, r.remaining())):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// verb runs one verb.
func (r *run) verb(ctx context.Context, n *Node) error {
	r.executed++
	spec := elements[n.Name]
	if n.Name == "reject" {
		return r.reject(ctx, n, r.executed == 1 && !r.answered)
	}
	if r.prompting && (n.Name == "userinput" || n.Name == "record") {
		return r.skip(n, "not allowed inside InitialCommands")
	}
	if spec.answers {
		if r.call == nil {
			return r.skip(n, "needs a call")
		}
		if !r.answered {
			if err := r.call.Answer(ctx); err != nil {
				return fmt.Errorf("answer: %w", err)
			}
			r.answered = true
		}
	}
	switch n.Name {
	case "speak":
		return r.speak(ctx, n)
	case "play":
		return r.play(ctx, n)
	case "delay":
		return r.delay(ctx, n)
	case "beep":
		return r.callErr(ctx, n, r.call.Beep(ctx))
	case "record":
		return r.record(ctx, n)
	case "userinput":
		return r.userInput(ctx, n)
	case "blindtransfer", "attendedtransfer", "forwardcall":
		return r.transfer(ctx, n)
	case "hangup":
		return r.hangup(ctx, n)
	case "hold":
		return r.callErr(ctx, n, r.call.Hold(ctx))
	case "unhold":
		return r.callErr(ctx, n, r.call.Unhold(ctx))
	case "senddtmf":
		return r.sendDTMF(ctx, n)
	case "route":
		return r.skip(n, "Route only answers a RoutingInterception")
	case "call":
		return r.originate(ctx, n)
	case "callsetup":
		return r.callSetup(ctx, n)
	case "request":
		return r.request(ctx, n)
	case "sendsms", "sendemail", "sendalarmnotification", "receivealarmnotification":
		return r.messaging(ctx, n)
	case "sendmsg":
		return r.sendMsg(n)
	case "waitformsg":
		return r.waitForMsg(ctx, n)
	case "var":
		return r.setVar(n)
	case "array":
		return r.setArray(n)
	case "foreach":
		return r.forEach(ctx, n)
	case "goto":
		return r.goTo(ctx, n)
	case "exit":
		return &endSignal{outcome: HungUp, reason: "Exit", hangup: true}
	case "deletefile":
		return r.deleteFile(n)
	case "movefile":
		return r.moveFile(n)
	}
	return r.skip(n, "not a verb") // unreachable: Parse admits only known verbs
}

// str returns a parameter with $variables substituted ("" when absent).
func (r *run) str(n *Node, name string) string {
	raw, _ := n.Param(name)
	s, err := r.vars.subst(raw)
	if err != nil && r.err == nil {
		r.err = err
	}
	return s
}

// skip logs why a verb did nothing; the script goes on.
func (r *run) skip(n *Node, format string, args ...any) error {
	r.log.Warn("ozml: verb skipped", "verb", n.DisplayName(), "line", n.Line, "reason", fmt.Sprintf(format, args...))
	return nil
}

// callErr handles the error of a call method: the script stops when the
// call or the context is gone, and goes on (logged) after any other
// failure.
func (r *run) callErr(ctx context.Context, n *Node, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, ErrCallEnded):
		return err
	}
	r.log.Warn("ozml: verb failed, continuing", "verb", n.DisplayName(), "line", n.Line, "err", err)
	return nil
}

// seconds reads a parameter in seconds (decimals allowed); ok is false
// when it is absent or empty.
func (r *run) seconds(n *Node, name string) (d time.Duration, ok bool, err error) {
	s := strings.TrimSpace(r.str(n, name))
	if s == "" {
		return 0, false, nil
	}
	d, err = parseSeconds(s)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", name, err)
	}
	return d, true, nil
}

// flag reads a boolean parameter: true, yes, on or 1 (any case).
func (r *run) flag(n *Node, name string) bool {
	switch strings.ToLower(strings.TrimSpace(r.str(n, name))) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}

// Load sends a notification to target for call (call may be nil): a form
// with NotificationName, every field of the call's Info and extra. It
// parses the reply within the interpreter's limits and records target as
// the document's Source. An empty reply is ErrEmpty. The firmware uses it
// for IncomingCall and CallConnected; scripts for GoTo, ForwardToUrl and
// FinishedUrl.
func (in *Interpreter) Load(ctx context.Context, target, notification string, call Call, extra url.Values) (*Document, error) {
	form := url.Values{}
	if call != nil {
		for k, v := range call.Info() {
			form.Set(k, v)
		}
	}
	maps.Copy(form, extra)
	form.Set("NotificationName", notification)
	body, err := in.env.Fetch(ctx, target, form)
	if err != nil {
		return nil, fmt.Errorf("%s to %s: %w", notification, target, err)
	}
	doc, err := Parse(body, in.opts.Limits)
	if err != nil {
		if errors.Is(err, ErrEmpty) {
			return nil, ErrEmpty
		}
		return nil, fmt.Errorf("%s reply from %s: %w", notification, target, err)
	}
	doc.Source = target
	return doc, nil
}

// load is Load for this run's call, target relative to the current
// document's source.
func (r *run) load(ctx context.Context, target, notification string, extra url.Values) (*Document, error) {
	return r.in.Load(ctx, resolve(r.doc.Source, target), notification, r.call, extra)
}

// notify sends a notification whose reply, when not empty, replaces the
// current document (ForwardToUrl, FinishedUrl). A failed or unusable
// reply is logged and the current script goes on.
func (r *run) notify(ctx context.Context, n *Node, target, notification string, extra url.Values) error {
	doc, err := r.load(ctx, target, notification, extra)
	switch {
	case err == nil:
		return &gotoSignal{doc: doc}
	case errors.Is(err, ErrEmpty):
		return nil
	}
	return r.callErr(ctx, n, err)
}

// resolve makes target absolute against base: URL references against an
// http(s) base, relative script paths against a script's directory.
func resolve(base, target string) string {
	if name, ok := strings.CutPrefix(target, localScheme); ok {
		return name // an on-device script, from any document
	}
	t, err := url.Parse(target)
	if err != nil || t.Scheme != "" || base == "" {
		return target
	}
	b, err := url.Parse(base)
	if err != nil {
		return target
	}
	switch {
	case b.Scheme == "http" || b.Scheme == "https":
		return b.ResolveReference(t).String()
	case b.Scheme == "" && !path.IsAbs(target):
		return path.Join(path.Dir(base), target)
	}
	return target
}

// localScheme marks a GoTo/ForwardToUrl target as an on-device script
// path even in a document fetched from a URL ("script:ivr/menu.ozml").
const localScheme = "script:"

// parseSeconds reads a non-negative number of seconds, decimals allowed.
func parseSeconds(s string) (time.Duration, error) {
	var whole, frac int64
	var scale int64 = 1
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if whole > 1e7 {
			return 0, fmt.Errorf("%q is too many seconds", s)
		}
		whole = whole*10 + int64(s[i]-'0')
	}
	digits := i
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if scale < 1e9 {
				frac = frac*10 + int64(s[i]-'0')
				scale *= 10
			}
			digits++
		}
	}
	if i != len(s) || digits == 0 {
		return 0, fmt.Errorf("%q is not a number of seconds", s)
	}
	return time.Duration(whole)*time.Second + time.Duration(frac*int64(time.Second)/scale), nil
}
