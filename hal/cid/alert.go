package cid

import "github.com/gatepbx/gatepbx/media/tone"

// DTASSpec is the ETSI dual-tone alerting signal, 2130 + 2750 Hz for 100 ms
// (EN 300 659-1 allows 88-110 ms), played once.
const DTASSpec = "!2130+2750/100"

// RenderDTAS returns the DT-AS alert tone at level dBm0 per component.
func RenderDTAS(level float64) ([]int16, error) {
	return renderAlert("DT-AS", DTASSpec, tone.SampleRate/10, level)
}
