// Package haltest has helpers for tests of hal ports: collecting the
// events a port has queued and listing their types.
package haltest

import "github.com/gatepbx/gatepbx/hal"

// Drain returns the events queued on ch now, without waiting.
func Drain(ch <-chan hal.Event) []hal.Event {
	var out []hal.Event
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, ev)
		default:
			return out
		}
	}
}

// Types lists the events' types.
func Types(evs []hal.Event) []hal.EventType {
	var out []hal.EventType
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}
