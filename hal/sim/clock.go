package sim

import (
	"time"

	"github.com/gatepbx/gatepbx/hal/vclock"
)

// ManualClock is the virtual clock the simulator is usually driven by.
type ManualClock = vclock.Manual

// NewManualClock returns a virtual clock reading start.
func NewManualClock(start time.Time) *ManualClock { return vclock.New(start) }
