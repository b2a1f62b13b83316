package history

// recordIndex keeps the newest capacity records in a ring, with the newest
// record of each call ID findable by ID.
type recordIndex struct {
	capacity   int
	ring       []Record // grows to capacity, then record number n lives at n%capacity
	total      uint64   // records ever added; the next record's number
	newestByID map[string]uint64
}

func newRecordIndex(capacity int) *recordIndex {
	return &recordIndex{capacity: capacity, newestByID: make(map[string]uint64)}
}

func (x *recordIndex) add(r Record) {
	if len(x.ring) < x.capacity {
		x.ring = append(x.ring, r)
	} else {
		slot := int(x.total % uint64(x.capacity))
		evicted := x.ring[slot]
		evictedNumber := x.total - uint64(x.capacity)
		if x.newestByID[evicted.CallID] == evictedNumber {
			delete(x.newestByID, evicted.CallID)
		}
		x.ring[slot] = r
	}
	x.newestByID[r.CallID] = x.total
	x.total++
}

func (x *recordIndex) len() int { return len(x.ring) }

// recent returns at most n records, newest first; n <= 0 means all.
func (x *recordIndex) recent(n int) []Record {
	if n <= 0 || n > len(x.ring) {
		n = len(x.ring)
	}
	out := make([]Record, 0, n)
	for i := range n {
		number := x.total - 1 - uint64(i)
		out = append(out, x.ring[number%uint64(x.capacity)])
	}
	return out
}

func (x *recordIndex) find(callID string) (Record, bool) {
	number, ok := x.newestByID[callID]
	if !ok {
		return Record{}, false
	}
	return x.ring[number%uint64(x.capacity)], true
}
