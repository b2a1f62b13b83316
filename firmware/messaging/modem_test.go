package messaging

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/firmware/inbox"
)

// TestOpenSimulatedModem: gsm.device "sim" runs the simulated modem behind
// the real driver; a message goes out and its status report comes back,
// an SMS the simulator receives lands in the inbox.
func TestOpenSimulatedModem(t *testing.T) {
	u := newUnitRig(t, nil)
	u.r.SetModem(nil)
	if _, err := u.r.OpenModem(context.Background(), config.GSM{}, nil); err == nil {
		t.Fatal("opened a modem without a device")
	}
	if _, err := u.r.OpenModem(context.Background(), config.GSM{Device: "/nonexistent/tty", Baud: 115200}, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("opened a missing device")
	}
	m, err := u.r.OpenModem(context.Background(), config.GSM{Device: config.GSMSimulated, Baud: 115200}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id, err := u.r.Send(Request{Recipient: "+36301234567", Text: "via the sim", ReportURL: "http://127.0.0.1:1/r"})
	if err != nil {
		t.Fatal(err)
	}
	if n := u.r.DeliverDue(context.Background()); n != 1 {
		t.Fatal("not sent")
	}
	if s := m.Sim.Sent(); len(s) != 1 || s[0].Text != "via the sim" || !s[0].RequestReport {
		t.Fatalf("sim got %+v", s)
	}
	waitFor(t, "delivery report", func() bool { return len(u.notes.list()) == 1 })
	if n := u.notes.list()[0]; n.SmsID != id || n.DeliveryStatus != "Delivered" {
		t.Fatalf("report %+v", n)
	}
	if err := m.Sim.Receive("+36209999999", "incoming"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "incoming SMS stored", func() bool { return len(u.store.List(inbox.Inbox)) == 1 })
	if got := u.store.List(inbox.Inbox)[0]; got.Originator != "+36209999999" || got.Data != "incoming" {
		t.Fatalf("stored %+v", got)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := u.r.Route("+36301234567"); err == nil {
		t.Fatal("route still open after Close")
	}
}

// waitFor polls cond (the modem works on its own goroutines); the deadline
// only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
