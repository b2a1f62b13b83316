package srtp

// maxIndex is the largest SRTP packet index (48 bits: rollover counter and
// sequence number).
const maxIndex = 1<<48 - 1

// replayWindow is the replay detector of one SSRC: a 64-packet sliding
// window over the 48-bit packet index, deciding exactly as pion's
// replaydetector.New(64, maxIndex), which SRTPReplayProtection(64) uses.
// It exists because pion's detector returns a new closure from every
// Check (one allocation per packet); this one returns the same bound
// method each time.
//
// pion calls Check before authenticating and the returned accept only
// after, all within one DecryptRTP call on one goroutine, so remembering
// the pending index in the window is safe.
type replayWindow struct {
	latest  uint64 // highest accepted index
	mask    uint64 // bit i set: index latest-i was accepted
	pending uint64 // index passed to the last successful Check
	accept  func() // w.commit, bound once
	// rejected is the owning Decrypter's flag, set when Check refuses a
	// packet, so the Decrypter can tell a replay from a bad tag.
	rejected *bool
}

func newReplayWindow(rejected *bool) *replayWindow {
	w := &replayWindow{rejected: rejected}
	w.accept = w.commit
	return w
}

// Check implements replaydetector.ReplayDetector.
func (w *replayWindow) Check(index uint64) (accept func(), ok bool) {
	if index > maxIndex || (index <= w.latest && (w.latest-index >= ReplayWindow || w.mask&(1<<(w.latest-index)) != 0)) {
		*w.rejected = true
		return noop, false
	}
	w.pending = index
	return w.accept, true
}

// commit marks the pending index as received.
func (w *replayWindow) commit() {
	if i := w.pending; i > w.latest {
		w.mask <<= i - w.latest // shifts of 64 or more clear the mask
		w.latest = i
	}
	w.mask |= 1 << (w.latest - w.pending)
}

func noop() {}
