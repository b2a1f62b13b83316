package bus

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

func TestSendReceive(t *testing.T) {
	b := New(Limits{MaxQueued: 2, MaxMailboxes: 2, MaxMessageBytes: 8})
	if err := b.Send("Admin@localhost", "one"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send("admin@LOCALHOST", "two"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send("admin@localhost", "three"); !errors.Is(err, ErrFull) {
		t.Errorf("third message: %v, want ErrFull", err)
	}
	if err := b.Send("x", "123456789"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large message: %v", err)
	}
	if err := b.Send("b", "1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send("c", "1"); !errors.Is(err, ErrTooMany) {
		t.Errorf("third mailbox: %v, want ErrTooMany", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, want := range []string{"one", "two"} { // queued messages come even after ctx ended
		if got, err := b.Receive(ctx, "ADMIN@localhost"); got != want || err != nil {
			t.Errorf("Receive = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := b.Receive(ctx, "admin@localhost"); !errors.Is(err, context.Canceled) {
		t.Errorf("empty mailbox, ended ctx: %v", err)
	}
	if b.Len() != 1 { // "b" still holds a message; the drained mailbox is gone
		t.Errorf("Len = %d, want 1", b.Len())
	}
}

// TestConcurrent runs many senders and receivers on a few mailboxes:
// every message is received exactly once (run with -race).
func TestConcurrent(t *testing.T) {
	const boxes, perBox = 4, 200
	b := New(Limits{MaxQueued: 8})
	var wg sync.WaitGroup
	got := make([]map[string]int, boxes)
	var mu sync.Mutex
	for i := range boxes {
		got[i] = map[string]int{}
		name := fmt.Sprintf("box%d", i)
		for range 3 { // receivers
			wg.Go(func() {
				for {
					msg, err := b.Receive(t.Context(), name)
					if err != nil {
						t.Error(err)
						return
					}
					if msg == "stop" {
						return
					}
					mu.Lock()
					got[i][msg]++
					mu.Unlock()
				}
			})
		}
		wg.Go(func() { // sender, retrying while the mailbox is full
			send := func(m string) {
				for b.Send(name, m) != nil {
					runtime.Gosched()
				}
			}
			for j := range perBox {
				send(fmt.Sprint(j))
			}
			for range 3 {
				send("stop")
			}
		})
	}
	wg.Wait()
	for i := range boxes {
		if len(got[i]) != perBox {
			t.Errorf("box %d got %d distinct messages", i, len(got[i]))
		}
		for m, n := range got[i] {
			if n != 1 {
				t.Errorf("box %d message %s received %d times", i, m, n)
			}
		}
	}
	if b.Len() != 0 {
		t.Errorf("Len = %d after all drained", b.Len())
	}
}
