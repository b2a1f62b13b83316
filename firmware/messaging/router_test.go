package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
	"github.com/gatepbx/gatepbx/firmware/inbox"
	"github.com/gatepbx/gatepbx/hal/gsm"
	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
)

// Pure routing and retry logic, with fakes for the routes.

type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(time.Duration) <-chan time.Time { return nil }

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// directory: 101 registered, 102 known but offline.
type directory struct{}

func (directory) SIPExtension(n string) (bool, bool) {
	switch n {
	case "101":
		return true, true
	case "102":
		return true, false
	}
	return false, false
}

type fakeSIP struct {
	mu   sync.Mutex
	sent []string
	err  error
}

func (f *fakeSIP) SendMessage(_ context.Context, to, from, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, from+">"+to+":"+text)
	return nil
}

type fakeModem struct {
	mu    sync.Mutex
	sent  []string
	err   error
	nextR uint8
}

func (f *fakeModem) Send(_ context.Context, to, text string, o gsm.SendOptions) ([]uint8, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	_, parts, err := pdu.Split(text, o.Encoding, 10)
	if err != nil {
		return nil, err
	}
	var refs []uint8
	for range parts {
		f.nextR++
		refs = append(refs, f.nextR)
	}
	f.sent = append(f.sent, fmt.Sprintf("%s:%s:%v", to, text, o.Report))
	return refs, nil
}

type fakeNotifier struct {
	mu sync.Mutex
	ns []notify.Notification
}

func (f *fakeNotifier) Send(n notify.Notification) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ns = append(f.ns, n)
	return nil
}

func (f *fakeNotifier) list() []notify.Notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]notify.Notification(nil), f.ns...)
}

type unitRig struct {
	r     *Router
	store *inbox.Store
	clock *manualClock
	sip   *fakeSIP
	modem *fakeModem
	notes *fakeNotifier
}

func newUnitRig(t *testing.T, tune func(*Options)) *unitRig {
	t.Helper()
	store, err := inbox.Open(inbox.Options{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	u := &unitRig{store: store, clock: &manualClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		sip: &fakeSIP{}, modem: &fakeModem{}, notes: &fakeNotifier{}}
	o := Options{
		Store: store, Directory: directory{}, SIP: u.sip, Notifier: u.notes, Clock: u.clock,
		Logger: slog.New(slog.DiscardHandler), Attempts: 3, MinBackoff: time.Minute, MaxBackoff: 90 * time.Second,
		Secret: func(user string) []byte { return []byte("secret-of-" + user) },
	}
	if tune != nil {
		tune(&o)
	}
	u.r, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	u.r.SetModem(u.modem)
	return u
}

func TestRoute(t *testing.T) {
	tests := []struct {
		name      string
		recipient string
		noModem   bool
		prefixes  []string
		want      string
	}{
		{"registered extension", "101", false, nil, RouteSIP},
		{"offline extension", "102", false, nil, ""},
		{"mobile number", "+36 30 123-4567", false, nil, RouteGSM},
		{"national number", "06301234567", false, nil, RouteGSM},
		{"not a number", "bob", false, nil, ""},
		{"empty", "", false, nil, ""},
		{"no modem", "+36301234567", true, nil, ""},
		{"prefix matches", "+36301234567", false, []string{"+44", "+36"}, RouteGSM},
		{"prefix does not match", "+49301234567", false, []string{"+44", "+36"}, ""},
		{"too long", "+" + strings.Repeat("1", 21), false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUnitRig(t, func(o *Options) { o.ModemPrefixes = tt.prefixes })
			if tt.noModem {
				u.r.SetModem(nil)
			}
			got, err := u.r.Route(tt.recipient)
			if tt.want == "" {
				if !errors.Is(err, ErrNoRoute) {
					t.Fatalf("Route(%q) = %q, %v; want ErrNoRoute", tt.recipient, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Route(%q) = %q, %v; want %q", tt.recipient, got, err, tt.want)
			}
		})
	}
}

func TestSendRefusals(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"gsm7 refuses ő", Request{Recipient: "+36301234567", Text: "ő", Encoding: pdu.GSM7}, ErrCharset},
		{"auto takes ő", Request{Recipient: "+36301234567", Text: "ő"}, nil},
		{"too many parts", Request{Recipient: "+36301234567", Text: strings.Repeat("x", 153*10+1)}, ErrTooLong},
		{"ten parts fit", Request{Recipient: "+36301234567", Text: strings.Repeat("x", 153*10)}, nil},
		{"sip body bound", Request{Recipient: "101", Text: strings.Repeat("x", 1301)}, ErrTooLong},
		{"empty text", Request{Recipient: "101"}, ErrInvalid},
		{"not utf-8", Request{Recipient: "101", Text: "\xff"}, ErrInvalid},
		{"no route", Request{Recipient: "102", Text: "hi"}, ErrNoRoute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUnitRig(t, nil)
			id, err := u.r.Send(tt.req)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (id != "") {
				t.Fatalf("Send = %q, %v; want %v", id, err, tt.want)
			}
			if tt.want != nil && len(u.store.List(inbox.Outbox)) != 0 {
				t.Fatal("a refused message was stored")
			}
		})
	}
}

func TestOutboxBound(t *testing.T) {
	u := newUnitRig(t, func(o *Options) { o.MaxQueued = 2 })
	for i := range 2 {
		if _, err := u.r.Send(Request{Recipient: "101", Text: "x"}); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if _, err := u.r.Send(Request{Recipient: "101", Text: "x"}); !errors.Is(err, ErrBusy) {
		t.Fatalf("third message: %v, want ErrBusy", err)
	}
	u.r.DeliverDue(context.Background())
	if _, err := u.r.Send(Request{Recipient: "101", Text: "x"}); err != nil {
		t.Fatalf("after delivery: %v", err)
	}
}

func TestSIPRouteDeliversAndReports(t *testing.T) {
	u := newUnitRig(t, nil)
	id, err := u.r.Send(Request{Recipient: "101", Sender: "200", Text: "hello", ReportURL: "http://127.0.0.1:1/r", User: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if n := u.r.DeliverDue(context.Background()); n != 1 {
		t.Fatalf("DeliverDue sent %d", n)
	}
	if strings.Join(u.sip.sent, "|") != "200>101:hello" {
		t.Fatalf("SIP sent %q", u.sip.sent)
	}
	m, _ := u.store.Get(id)
	if m.Folder != inbox.Sent || m.Status != StatusDelivered || m.SentTime.IsZero() {
		t.Fatalf("stored %+v", m)
	}
	ns := u.notes.list()
	if len(ns) != 1 || ns[0].Name != notify.SMSDeliveryReport || ns[0].SmsID != id || ns[0].DeliveryStatus != "Delivered" ||
		string(ns[0].Secret) != "secret-of-app" || ns[0].URL != "http://127.0.0.1:1/r" {
		t.Fatalf("notifications %+v", ns)
	}
}

func TestRetriesThenFails(t *testing.T) {
	u := newUnitRig(t, nil)
	u.modem.err = errors.New("modem answered +CMS ERROR: 331")
	id, err := u.r.Send(Request{Recipient: "+36301234567", Text: "hi", ReportURL: "http://127.0.0.1:1/r"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u.r.DeliverDue(ctx) // attempt 1 fails; next in 1 min
	if n := u.r.DeliverDue(ctx); n != 0 {
		t.Fatal("retried before the backoff")
	}
	u.clock.advance(time.Minute)
	u.r.DeliverDue(ctx) // attempt 2 fails; next in 90 s (capped)
	if next, ok := u.r.nextAttempt(); !ok || next.Sub(u.clock.Now()) != 90*time.Second {
		t.Fatalf("next attempt %v %v", next, ok)
	}
	if m, _ := u.store.Get(id); m.Folder != inbox.Outbox || !strings.Contains(m.Reason, "331") {
		t.Fatalf("after 2 attempts %+v", m)
	}
	u.clock.advance(90 * time.Second)
	u.r.DeliverDue(ctx) // attempt 3: the last
	m, _ := u.store.Get(id)
	if m.Folder != inbox.Sent || m.Status != StatusFailed {
		t.Fatalf("after the last attempt %+v", m)
	}
	ns := u.notes.list()
	if len(ns) != 1 || ns[0].DeliveryStatus != "Failed" || !strings.Contains(ns[0].ErrorMessage, "331") {
		t.Fatalf("notifications %+v", ns)
	}
	if _, ok := u.r.nextAttempt(); ok {
		t.Fatal("a failed message is still scheduled")
	}
}

func TestModemReportsPerPart(t *testing.T) {
	tests := []struct {
		name     string
		statuses []gsm.Report // in arrival order; Ref 1 and 2 are the two parts
		want     string       // DeliveryStatus, "" for none yet
	}{
		{"both delivered", []gsm.Report{{Ref: 1, Final: true, Delivered: true}, {Ref: 2, Final: true, Delivered: true}}, "Delivered"},
		{"one delivered", []gsm.Report{{Ref: 2, Final: true, Delivered: true}}, ""},
		{"still trying", []gsm.Report{{Ref: 1, Status: 0x30}, {Ref: 2, Status: 0x30}}, ""},
		{"one failed", []gsm.Report{{Ref: 1, Final: true, Delivered: true}, {Ref: 2, Status: 0x41, Final: true}}, "Failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUnitRig(t, nil)
			id, err := u.r.Send(Request{Recipient: "+36301234567", Text: strings.Repeat("y", 200), ReportURL: "http://127.0.0.1:1/r"})
			if err != nil {
				t.Fatal(err)
			}
			// The first report arrives before the modem returned the references.
			u.r.ModemReport(tt.statuses[0])
			u.r.DeliverDue(context.Background())
			for _, rep := range tt.statuses[1:] {
				u.r.ModemReport(rep)
			}
			ns := u.notes.list()
			if tt.want == "" {
				if len(ns) != 0 {
					t.Fatalf("early notification %+v", ns)
				}
				return
			}
			if len(ns) != 1 || ns[0].DeliveryStatus != tt.want || ns[0].SmsID != id {
				t.Fatalf("notifications %+v", ns)
			}
			if m, _ := u.store.Get(id); m.Status != strings.ToLower(tt.want) {
				t.Fatalf("stored status %q", m.Status)
			}
		})
	}
}

func TestOutboxSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	open := func() (*Router, *inbox.Store, *fakeModem) {
		store, err := inbox.Open(inbox.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		m := &fakeModem{}
		r, err := New(Options{Store: store, Logger: slog.New(slog.DiscardHandler), Clock: &manualClock{now: time.Unix(1e9, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		r.SetModem(m)
		return r, store, m
	}
	r, _, _ := open()
	id, err := r.Send(Request{Recipient: "+441234", Text: "kept", Encoding: pdu.UCS2})
	if err != nil {
		t.Fatal(err)
	}
	// No delivery: the process stops here.
	r2, store2, modem2 := open()
	if n := r2.DeliverDue(context.Background()); n != 1 || strings.Join(modem2.sent, "|") != "+441234:kept:false" {
		t.Fatalf("after restart: %d sent %q", n, modem2.sent)
	}
	if m, _ := store2.Get(id); m.Status != StatusSent || m.Type != "SMS:TEXT:UCS2" {
		t.Fatalf("stored %+v", m)
	}
}

func TestIncoming(t *testing.T) {
	u := newUnitRig(t, func(o *Options) { o.IncomingURL = "http://127.0.0.1:1/in" })
	u.r.ModemMessage(gsm.Message{From: "+36301234567", Text: "szia", Time: time.Unix(1e9, 0)})
	if err := u.r.SIPMessage("101", "200", "from the phone"); err != nil {
		t.Fatal(err)
	}
	got, err := u.store.Receive(inbox.Query{})
	if err != nil || len(got) != 2 {
		t.Fatalf("inbox %+v %v", got, err)
	}
	if got[0].Originator != "+36301234567" || got[0].Data != "szia" || got[0].Route != RouteGSM || got[0].ReceivedTime.IsZero() ||
		got[1].Route != RouteSIP || got[1].Recipient != "200" {
		t.Fatalf("inbox %+v", got)
	}
	ns := u.notes.list()
	if len(ns) != 2 || ns[0].Name != notify.IncomingSMS || ns[0].Text != "szia" || ns[0].SmsID != got[0].ID || ns[0].URL != "http://127.0.0.1:1/in" {
		t.Fatalf("notifications %+v", ns)
	}
}
