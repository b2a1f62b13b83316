package mailq

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// TestSetRelay: mail queued while the relay is unreachable goes to the
// relay SetRelay names, at once (its backoff is dropped), with the
// envelope sender it was accepted with; new mail takes the new sender;
// without a relay host nothing is attempted and Enqueue says ErrNoRelay.
func TestSetRelay(t *testing.T) {
	clock := newFakeClock()
	dead := Relay{Host: "127.0.0.1", Port: portOf(t, deadPort(t)), DialTimeout: 5 * time.Second}
	q := openQueue(t, t.TempDir(), dead, clock, "")
	ctx := context.Background()
	old := mustEnqueue(t, q, Email{Recipient: "a@example.org", Subject: "queued before", Message: "m"})
	if n := q.DeliverDue(ctx); n != 0 {
		t.Fatalf("dead relay: sent %d", n)
	}

	q.SetRelay(Relay{}, from)
	if _, err := q.Enqueue(Email{Recipient: "a@example.org", Message: "m"}); !errors.Is(err, ErrNoRelay) {
		t.Fatalf("Enqueue without relay: %v", err)
	}
	clock.Advance(time.Hour)
	if n := q.DeliverDue(ctx); n != 0 {
		t.Fatalf("no relay: sent %d", n)
	}
	if st, err := q.Status(old); err != nil || st.Attempts != 1 || st.State != Queued {
		t.Fatalf("no relay: %+v %v", st, err)
	}

	ts := startServer(t, serverConfig{})
	q.SetRelay(ts.relay(), "new@example.com")
	fresh := mustEnqueue(t, q, Email{Recipient: "b@example.org", Subject: "queued after", Message: "m"})
	if n := q.DeliverDue(ctx); n != 2 {
		t.Fatalf("new relay: sent %d", n)
	}
	for _, want := range []struct{ from, subject string }{{from, "queued before"}, {"new@example.com", "queued after"}} {
		d := ts.next(t)
		if d.from != want.from || !bytes.Contains(d.data, []byte("Subject: "+want.subject)) {
			t.Errorf("delivered from %q: %s", d.from, d.data)
		}
	}
	for _, id := range []string{old, fresh} {
		if _, err := q.Status(id); err == nil {
			t.Errorf("%s still queued", id)
		}
	}
}
