package digest

import (
	"testing"
	"time"
)

func TestNonceCountsEviction(t *testing.T) {
	const lifetime = time.Minute
	c := newNonceCounts(2, lifetime)
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	at := func(d time.Duration) int64 { return base + int64(d) }
	steps := []struct {
		name   string
		key    string
		issued int64
		nc     uint32
		now    int64
		want   Result
	}{
		{"first nonce", "a", at(0), 1, at(0), OK},
		{"second nonce", "b", at(1 * time.Second), 1, at(1 * time.Second), OK},
		{"third nonce evicts the first", "c", at(2 * time.Second), 1, at(2 * time.Second), OK},
		{"evicted nonce is not trusted", "a", at(0), 2, at(3 * time.Second), Stale},
		{"kept nonce still counts", "c", at(2 * time.Second), 1, at(3 * time.Second), Invalid},
		{"newer nonce is fine", "d", at(3 * time.Second), 1, at(3 * time.Second), OK},
		{"after expiry entries are dropped, not evicted", "e", at(2 * time.Minute), 1, at(2 * time.Minute), OK},
	}
	for _, step := range steps {
		if got := c.advance(step.key, step.issued, step.nc, step.now); got != step.want {
			t.Errorf("%s: advance = %v, want %v", step.name, got, step.want)
		}
	}
	if len(c.byKey) != 1 || c.order.Len() != 1 {
		t.Errorf("after expiry: %d entries (%d in order), want 1", len(c.byKey), c.order.Len())
	}
}
