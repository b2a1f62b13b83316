package digest

import (
	"container/list"
	"math"
	"sync"
	"time"
)

// maxTrackedNonces bounds the nonce-count replay memory.
const maxTrackedNonces = 10000

// nonceCounts remembers the highest nonce count accepted for each
// (username, nonce) so a captured request cannot be replayed. It is bounded:
// entries for expired nonces are dropped lazily, and when it is full the
// oldest entry is evicted early. A nonce issued at or before the newest
// removed entry is answered Stale when it has no entry, instead of being
// trusted, so a full table (or a wall clock stepping back) costs clients a
// re-challenge, never a replay. In normal operation such nonces are expired
// anyway.
type nonceCounts struct {
	mu       sync.Mutex
	capacity int
	lifetime time.Duration
	byKey    map[string]*list.Element // values are *nonceCount
	order    *list.List               // first use order, oldest at the front
	// forgottenUpTo is the newest issue time (Unix ns) of any removed entry.
	forgottenUpTo int64
}

type nonceCount struct {
	key     string
	issued  int64 // Unix ns
	highest uint32
}

func newNonceCounts(capacity int, lifetime time.Duration) *nonceCounts {
	return &nonceCounts{
		capacity:      capacity,
		lifetime:      lifetime,
		byKey:         make(map[string]*list.Element),
		order:         list.New(),
		forgottenUpTo: math.MinInt64,
	}
}

// advance records nc for key (a nonce issued at issued) at time now. It
// returns OK if nc is higher than any count seen before for key, Invalid if
// not, and Stale if key's history may have been evicted.
func (c *nonceCounts) advance(key string, issued int64, nc uint32, now int64) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropExpired(now)
	if e, ok := c.byKey[key]; ok {
		entry := e.Value.(*nonceCount)
		if nc <= entry.highest {
			return Invalid
		}
		entry.highest = nc
		return OK
	}
	if issued <= c.forgottenUpTo {
		return Stale
	}
	if len(c.byKey) >= c.capacity {
		c.remove(c.order.Front())
	}
	c.byKey[key] = c.order.PushBack(&nonceCount{key: key, issued: issued, highest: nc})
	return OK
}

// dropExpired removes expired entries from the front of the use order. The
// order is by first use, not by issue time, so an expired entry behind a
// live one waits its turn; that is harmless because expired nonces are
// answered Stale before their counts are consulted.
func (c *nonceCounts) dropExpired(now int64) {
	for e := c.order.Front(); e != nil; e = c.order.Front() {
		entry := e.Value.(*nonceCount)
		if time.Duration(now-entry.issued) <= c.lifetime {
			return
		}
		c.remove(e)
	}
}

// remove forgets e and raises forgottenUpTo to its issue time.
func (c *nonceCounts) remove(e *list.Element) {
	entry := c.order.Remove(e).(*nonceCount)
	delete(c.byKey, entry.key)
	c.forgottenUpTo = max(c.forgottenUpTo, entry.issued)
}
