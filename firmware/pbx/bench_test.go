package pbx

import (
	"context"
	"testing"
)

// BenchmarkHoldUnhold measures a call-control round trip through a call's
// owner goroutine: Hold then Unhold of both parties (bridge changes and
// snapshot publication included; the player is a fake).
func BenchmarkHoldUnhold(b *testing.B) {
	r := newXRig(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := r.core.Hold(context.Background(), r.id, PartyBoth); err != nil {
			b.Fatal(err)
		}
		if err := r.core.Unhold(context.Background(), r.id, PartyBoth); err != nil {
			b.Fatal(err)
		}
	}
}
