package ozml

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// menu is a UserInput's parameters, read once when it starts.
type menu struct {
	timeout  time.Duration
	repeat   bool
	min, max int // digits to collect
	exact    bool
	backKey  string
	forward  string
	prompts  []*Node
	keys     []string
	bodies   []*Node
}

// userInput runs a DTMF menu (reference 2.4). Decisions where the
// reference is silent:
//   - keys pressed during InitialCommands stop the prompt (barge-in) and
//     count as input; keys pressed before the UserInput are type-ahead;
//   - Digits="n" collects exactly n keys; otherwise MinDigits..MaxDigits,
//     where MaxDigits defaults to the longest Input key, and collection
//     ends at once when the keys equal an Input key no longer key starts
//     with, or at MaxDigits, or after Timeout without a key once MinDigits
//     are in; fewer than MinDigits at a timeout count as no input;
//   - Timeout (default Options.InputTimeout) is both the wait for the
//     first key after the prompts and the wait between keys;
//   - BackKey pressed at any point leaves the menu (to the enclosing one,
//     or past the UserInput at the top level), unless an Input key
//     contains it;
//   - after an Input body the script goes on after the UserInput; a nested
//     UserInput's BackKey replays this menu;
//   - complete input that matches no key goes to ForwardToUrl (DtmfEntered
//     with DtmfDigits; the reply replaces the script, an empty reply goes
//     on after the UserInput); without ForwardToUrl it is replayed when
//     Repeat, else the script goes on;
//   - the digits collected last are in $DtmfDigits.
func (r *run) userInput(ctx context.Context, n *Node) error {
	m, err := r.readMenu(n)
	if err != nil {
		return r.skip(n, "%v", err)
	}
	for {
		if err := r.iterate(); err != nil {
			return err
		}
		digits, back, err := r.collect(ctx, m)
		if err != nil {
			return err
		}
		if back {
			if r.menus > 0 {
				return errBack
			}
			return nil
		}
		if digits == "" { // nothing (or too little) entered
			if m.repeat {
				continue
			}
			return nil
		}
		if err := r.vars.set("dtmfdigits", digits); err != nil {
			return err
		}
		for i, k := range m.keys {
			if k != digits {
				continue
			}
			r.menus++
			err := r.block(ctx, m.bodies[i].Children)
			r.menus--
			if errors.Is(err, errBack) {
				break // replay this menu
			}
			return err
		}
		if r.matches(m, digits) {
			continue // came back from a nested menu
		}
		if m.forward != "" {
			return r.notify(ctx, n, m.forward, "DtmfEntered", url.Values{"DtmfDigits": {digits}})
		}
		if !m.repeat {
			return nil
		}
	}
}

func (r *run) matches(m *menu, digits string) bool {
	for _, k := range m.keys {
		if k == digits {
			return true
		}
	}
	return false
}

func (r *run) readMenu(n *Node) (*menu, error) {
	m := &menu{
		repeat:  r.flag(n, "repeat"),
		backKey: strings.TrimSpace(r.str(n, "backkey")),
		forward: strings.TrimSpace(r.str(n, "forwardtourl")),
	}
	t, ok, err := r.seconds(n, "timeout")
	if err != nil {
		return nil, err
	}
	m.timeout = t
	if !ok || t == 0 {
		m.timeout = r.in.opts.InputTimeout
	}
	if ic := n.Child("initialcommands"); ic != nil {
		m.prompts = ic.Children
	}
	longest := 1
	if in := n.Child("inputs"); in != nil {
		for _, c := range in.Children {
			k := strings.ToUpper(strings.TrimSpace(r.str(c, "key")))
			if k == "" {
				continue
			}
			m.keys = append(m.keys, k)
			m.bodies = append(m.bodies, c)
			longest = max(longest, len(k))
		}
	}
	if len(m.backKey) != 1 || !strings.Contains(dtmfKeys, strings.ToUpper(m.backKey)) {
		m.backKey = ""
	}
	m.backKey = strings.ToUpper(m.backKey)
	for _, k := range m.keys {
		if m.backKey != "" && strings.Contains(k, m.backKey) {
			m.backKey = "" // an ordinary key in this menu
		}
	}
	count := func(name string) (int, bool, error) {
		s := strings.TrimSpace(r.str(n, name))
		if s == "" {
			return 0, false, nil
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 64 {
			return 0, false, errors.New(name + " must be a number from 1 to 64")
		}
		return v, true, nil
	}
	digits, hasDigits, err := count("digits")
	if err != nil {
		return nil, err
	}
	lo, hasMin, err := count("mindigits")
	if err != nil {
		return nil, err
	}
	hi, hasMax, err := count("maxdigits")
	if err != nil {
		return nil, err
	}
	switch {
	case hasDigits:
		m.min, m.max, m.exact = digits, digits, true
	default:
		m.min, m.max = 1, longest
		if hasMin {
			m.min = lo
			m.max = max(m.max, lo)
		}
		if hasMax {
			m.max = max(hi, m.min)
		}
	}
	return m, nil
}

// collect plays the prompts (stopped by the first key) and collects keys
// until the input is complete, the time runs out, or BackKey is pressed.
// It returns "" when too few keys came.
func (r *run) collect(ctx context.Context, m *menu) (string, bool, error) {
	var got []byte
	if d, ok, err := r.pendingDigit(); err != nil {
		return "", false, err
	} else if ok {
		got = append(got, d) // type-ahead: no prompt
	} else if len(m.prompts) > 0 {
		d, ok, err := r.prompt(ctx, m.prompts)
		if err != nil {
			return "", false, err
		}
		if ok {
			got = append(got, d)
		}
	}
	for {
		if len(got) > 0 && m.backKey != "" && got[len(got)-1] == m.backKey[0] {
			return "", true, nil
		}
		if r.complete(m, string(got)) {
			return string(got), false, nil
		}
		d, ok, err := r.nextDigit(ctx, m.timeout)
		if err != nil {
			return "", false, err
		}
		if !ok { // timeout
			if len(got) >= m.min && !m.exact {
				return string(got), false, nil
			}
			return "", false, nil
		}
		got = append(got, d)
	}
}

// complete reports whether got needs no more keys.
func (r *run) complete(m *menu, got string) bool {
	if len(got) >= m.max {
		return true
	}
	if m.exact || len(got) < m.min {
		return false
	}
	matched := false
	for _, k := range m.keys {
		if k == got {
			matched = true
		} else if strings.HasPrefix(k, got) {
			return false // a longer key may follow
		}
	}
	return matched
}

// prompt runs the prompts until they end or a key is pressed; a key stops
// them (barge-in) and is returned.
func (r *run) prompt(ctx context.Context, prompts []*Node) (byte, bool, error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	r.prompting = true
	defer func() { r.prompting = false }() // after done was received: the goroutine has ended
	go func() { done <- guard(func() error { return r.block(pctx, prompts) }) }()
	digits := r.call.Digits()
	for {
		select {
		case err := <-done:
			return 0, false, err
		case d, ok := <-digits:
			if !ok {
				digits = nil // the call is ending: the prompt fails soon
				continue
			}
			if d = normDigit(d); d == 0 {
				continue
			}
			cancel()
			err := <-done
			if ctx.Err() != nil {
				return 0, false, ctx.Err()
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				return 0, false, err
			}
			return d, true, nil
		}
	}
}

// pendingDigit returns a key already pressed, without waiting.
func (r *run) pendingDigit() (byte, bool, error) {
	return r.readDigit(context.Background(), nil, false)
}

// nextDigit waits up to timeout for a key; a key already pressed wins
// over a timer that has also fired.
func (r *run) nextDigit(ctx context.Context, timeout time.Duration) (byte, bool, error) {
	if d, ok, err := r.pendingDigit(); ok || err != nil {
		return d, ok, err
	}
	return r.readDigit(ctx, r.in.opts.Clock.After(min(timeout, r.remaining())), true)
}

// readDigit takes the next key, skipping anything that is not a DTMF key.
// Without wait it returns at once when none is queued; with wait it
// returns when timer fires (after a last look) or ctx ends.
func (r *run) readDigit(ctx context.Context, timer <-chan time.Time, wait bool) (byte, bool, error) {
	ch := r.call.Digits()
	for {
		var d byte
		var ok bool
		if wait {
			select {
			case d, ok = <-ch:
			case <-timer:
				return r.pendingDigit()
			case <-ctx.Done():
				return 0, false, ctx.Err()
			}
		} else {
			select {
			case d, ok = <-ch:
			default:
				return 0, false, nil
			}
		}
		if !ok {
			return 0, false, ErrCallEnded
		}
		if d = normDigit(d); d != 0 {
			return d, true, nil
		}
	}
}

// normDigit returns the upper-case DTMF key, or 0 for anything else.
func normDigit(d byte) byte {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	if strings.IndexByte(dtmfKeys, d) < 0 {
		return 0
	}
	return d
}
