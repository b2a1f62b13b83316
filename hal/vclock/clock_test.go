package vclock

import (
	"reflect"
	"testing"
	"time"
)

var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestManualRunsTimersInDueOrder(t *testing.T) {
	c := New(epoch)
	var got []string
	at := func(label string) func() {
		return func() { got = append(got, label+"@"+c.Now().Sub(epoch).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	c.AfterFunc(time.Second, at("b")) // same instant: scheduling order
	c.AfterFunc(2*time.Second, func() {
		got = append(got, "nested-parent@"+c.Now().Sub(epoch).String())
		c.AfterFunc(500*time.Millisecond, at("nested"))
	})
	stopped := c.AfterFunc(time.Second, at("stopped"))
	if !stopped.Stop() {
		t.Fatal("Stop() on pending timer = false")
	}
	if stopped.Stop() {
		t.Fatal("second Stop() = true")
	}

	c.Advance(1500 * time.Millisecond)
	c.Advance(time.Hour)

	want := []string{"a@1s", "b@1s", "nested-parent@2s", "nested@2.5s", "c@3s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
	if now, want := c.Now(), epoch.Add(time.Hour+1500*time.Millisecond); !now.Equal(want) {
		t.Errorf("Now() = %v, want %v", now, want)
	}
	if n := c.Pending(); n != 0 {
		t.Errorf("Pending() = %d, want 0", n)
	}
}

func TestManualLeavesFutureTimers(t *testing.T) {
	c := New(epoch)
	fired := false
	c.AfterFunc(2*time.Second, func() { fired = true })
	c.Advance(time.Second)
	if fired || c.Pending() != 1 {
		t.Fatalf("after 1s: fired=%v pending=%d, want false 1", fired, c.Pending())
	}
	c.Advance(time.Second)
	if !fired || c.Pending() != 0 {
		t.Fatalf("after 2s: fired=%v pending=%d, want true 0", fired, c.Pending())
	}
}
