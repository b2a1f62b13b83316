package pbx

import (
	"slices"
	"sync"
	"time"

	"github.com/gatepbx/gatepbx/firmware/dialplan"
	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// hunt is a callee leg made of other callee legs: an extension with busy
// or no-answer forwarding (one leg, replaced by the forward target's when
// it is busy or does not answer in time) or a ring group (several legs at
// once, or one after another). The first to answer wins and the others
// are cancelled; the call sees one leg. Its goroutine owns the inner
// legs; the call's goroutine only reads its events and calls its methods.
type hunt struct {
	core   *Core
	events chan ua.Event
	in     chan huntEvent
	hangup chan struct{}
	once   sync.Once
	done   chan struct{}

	mu     sync.Mutex
	cur    CalleeLeg   // the winner, or the leg whose media the caller may hear
	all    []CalleeLeg // every inner leg made, for BindCall
	callID string
	winner string // the number of the inner leg that answered

	// set before start
	busyFwd  bool                                                        // a busy answer goes to fallback(Busy)
	noAnsFwd bool                                                        // running out of steps goes to fallback(NoAnswer)
	group    bool                                                        // a ring group: its no-answer number takes busy members too
	fallback func(dialplan.Condition) (CalleeLeg, string, *ConnectError) // the forward target's leg and number
	next     func() ([]CalleeLeg, []string, time.Duration)               // the next ring group step (legs, numbers), nil legs when none
	ring     time.Duration                                               // the first step's ring time, 0: the core's ring timeout
}

type huntEvent struct {
	id   int
	ev   ua.Event
	done bool
}

func (c *Core) newHunt(first CalleeLeg) *hunt {
	return &hunt{core: c, events: make(chan ua.Event, 32), in: make(chan huntEvent), hangup: make(chan struct{}),
		done: make(chan struct{}), cur: first}
}

func (h *hunt) Events() <-chan ua.Event { return h.events }
func (h *hunt) Done() <-chan struct{}   { return h.done }
func (h *hunt) Hangup()                 { h.once.Do(func() { close(h.hangup) }) }

func (h *hunt) Endpoint() *relay.Endpoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur.Endpoint()
}

func (h *hunt) Formats() []sdp.Format {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur.Formats()
}

// BindCall implements CallBinder for the inner legs, now and later; each
// is bound once.
func (h *hunt) BindCall(callID string) {
	h.mu.Lock()
	h.callID = callID
	all := slices.Clone(h.all)
	h.mu.Unlock()
	for _, l := range all {
		bindCall(l, callID)
	}
}

// AnsweredBy is the number of the extension (or outside number) whose
// inner leg answered, "" before an answer; for a nested hunt, the number
// its own winner answered as.
func (h *hunt) AnsweredBy() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.winner
}

func (h *hunt) setCur(l CalleeLeg) {
	h.mu.Lock()
	h.cur = l
	h.mu.Unlock()
}

// adopt records an inner leg and binds it when the call's ID is known.
func (h *hunt) adopt(l CalleeLeg) {
	h.mu.Lock()
	h.all = append(h.all, l)
	id := h.callID
	h.mu.Unlock()
	if id != "" {
		bindCall(l, id)
	}
}

func (h *hunt) setWinner(number string) {
	h.mu.Lock()
	h.winner = number
	h.mu.Unlock()
}

// emit hands ev to the call; it never blocks the hunt.
func (h *hunt) emit(ev ua.Event) {
	select {
	case h.events <- ev:
	default:
		h.core.log.Warn("hunt leg event dropped", "event", ev.Kind.String())
	}
}

// pump copies one inner leg's events to the hunt until the leg is done.
func (h *hunt) pump(id int, l CalleeLeg) {
	for {
		select {
		case ev := <-l.Events():
			h.in <- huntEvent{id: id, ev: ev}
		case <-l.Done():
			for {
				select {
				case ev := <-l.Events():
					h.in <- huntEvent{id: id, ev: ev}
				default:
					h.in <- huntEvent{id: id, done: true}
					return
				}
			}
		}
	}
}

func (h *hunt) start(first []CalleeLeg, numbers []string) { go h.run(first, numbers) }

// hopTimer bounds one hop's ringing: ring, or the core's ring timeout
// when ring is 0. A nested hunt bounds its own hops (nil).
func (h *hunt) hopTimer(l CalleeLeg, ring time.Duration) <-chan time.Time {
	if _, nested := l.(*hunt); nested {
		return nil
	}
	if ring <= 0 {
		ring = h.core.opts.RingTimeout
	}
	return h.core.opts.Clock.After(ring)
}

// run is the hunt's goroutine.
func (h *hunt) run(first []CalleeLeg, numbers []string) {
	defer close(h.done)
	var (
		legs     = map[int]CalleeLeg{} // every inner leg whose pump runs
		nums     = map[int]string{}    // the number each inner leg rings
		live     = map[int]bool{}      // those still in the running
		nextID   int
		pumps    int
		answered = -1
		ringing  bool
		final    bool // the call has its outcome (answered or failed)
		stopping bool
		fellBack bool
		lastFail = ua.Event{Kind: ua.EventFailed, Code: 480, Reason: "Temporarily Unavailable"}
		timer    <-chan time.Time
		hangup   = h.hangup
	)
	add := func(ls []CalleeLeg, numbers []string) {
		for i, l := range ls {
			id := nextID
			nextID++
			legs[id], live[id], nums[id] = l, true, numbers[i]
			pumps++
			if len(ls) == 1 {
				h.setCur(l)
			}
			h.adopt(l)
			go h.pump(id, l)
		}
	}
	drop := func() { // hang up every leg still in the running
		for id := range live {
			legs[id].Hangup()
			delete(live, id)
		}
	}
	fail := func(ev ua.Event) {
		if !final {
			final = true
			h.emit(ev)
		}
	}
	fallTo := func(cond dialplan.Condition) {
		fellBack = true
		l, number, err := h.fallback(cond)
		if err != nil {
			fail(ua.Event{Kind: ua.EventFailed, Code: err.Code, Reason: err.Reason})
			return
		}
		timer = h.hopTimer(l, 0) // the forward target rings its own time
		add([]CalleeLeg{l}, []string{number})
	}
	// advance moves on when nobody is left in the running.
	advance := func(timedOut bool) {
		busy := lastFail.Code == 486 || lastFail.Code == 600
		switch {
		case final, stopping:
			fail(lastFail)
		case !timedOut && busy && h.busyFwd && !fellBack:
			fallTo(dialplan.Busy)
			return
		}
		if final {
			return
		}
		if h.next != nil {
			if ls, numbers, ring := h.next(); len(ls) > 0 {
				add(ls, numbers)
				timer = h.hopTimer(ls[0], ring)
				return
			}
		}
		if h.noAnsFwd && !fellBack && (timedOut || !busy || h.group) {
			fallTo(dialplan.NoAnswer)
			return
		}
		if timedOut {
			lastFail = ua.Event{Kind: ua.EventFailed, Code: 480, Reason: "Temporarily Unavailable"}
		}
		fail(lastFail)
	}
	add(first, numbers)
	timer = h.hopTimer(first[0], h.ring)
	for pumps > 0 {
		select {
		case e := <-h.in:
			if e.done {
				pumps--
				wasLive := live[e.id]
				delete(live, e.id)
				delete(legs, e.id)
				delete(nums, e.id)
				if wasLive && answered < 0 && len(live) == 0 {
					advance(false)
				}
				continue
			}
			if answered >= 0 {
				if e.id == answered {
					h.emit(e.ev)
				}
				continue
			}
			if !live[e.id] {
				continue
			}
			switch e.ev.Kind {
			case ua.EventRinging:
				if !ringing {
					ringing = true
					h.emit(e.ev)
				}
			case ua.EventEarlyMedia:
				if len(live) == 1 {
					h.setCur(legs[e.id])
					h.emit(e.ev)
				}
			case ua.EventAnswered:
				answered, final, timer = e.id, true, nil
				delete(live, e.id)
				drop()
				h.setCur(legs[e.id])
				h.setWinner(answeredBy(legs[e.id], nums[e.id]))
				h.emit(e.ev)
			case ua.EventFailed, ua.EventHangup:
				lastFail = e.ev
				if e.ev.Kind == ua.EventHangup {
					lastFail = ua.Event{Kind: ua.EventFailed, Code: 480, Reason: "Temporarily Unavailable"}
				}
				delete(live, e.id)
				if len(live) == 0 {
					advance(false)
				}
			}
		case <-timer:
			timer = nil
			if answered < 0 && !stopping {
				drop()
				advance(true)
			}
		case <-hangup:
			hangup, stopping = nil, true
			if answered >= 0 {
				legs[answered].Hangup()
				continue
			}
			for id := range live {
				legs[id].Hangup() // CANCEL; the failure that follows is passed on
			}
		}
	}
	if !final {
		h.emit(lastFail)
	}
}
