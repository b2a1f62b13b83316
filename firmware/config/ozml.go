package config

import (
	"time"

	"github.com/gatepbx/gatepbx/api/ozml"
)

// OzML bounds what one OzML script may cost (api.ozml): exceeding a
// limit ends the script with a logged reason and hangs the call up. It
// also says how Reject answers and how long an application may take.
type OzML struct {
	MaxDocumentBytes  int           `yaml:"max_document_bytes"`  // one document, fetched or on the device
	MaxDepth          int           `yaml:"max_depth"`           // element nesting, the root counting as 1
	MaxElements       int           `yaml:"max_elements"`        // elements in one document
	MaxLoopIterations int           `yaml:"max_loop_iterations"` // ForEach items plus UserInput rounds, per run
	MaxGoToHops       int           `yaml:"max_goto_hops"`       // documents replaced (GoTo, ForwardToUrl, FinishedUrl) per run
	MaxRunTime        time.Duration `yaml:"max_run_time"`        // one run, start to end
	MaxVariableBytes  int           `yaml:"max_variable_bytes"`  // all variables together
	MaxRecordDuration time.Duration `yaml:"max_record_duration"` // a Record without Duration
	// RejectCode is the SIP status <Reject> answers: 603 (Decline) or 486
	// (Busy Here).
	RejectCode int `yaml:"reject_code"`
	// AnswerTimeout bounds each request to an application (IncomingCall,
	// GoTo, ForwardToUrl ...), its body included.
	AnswerTimeout time.Duration `yaml:"answer_timeout"`
}

// defaultOzML are the limits api.ozml starts from: the interpreter's own
// defaults, so the two cannot drift apart.
var defaultOzML = OzML{
	MaxDocumentBytes:  ozml.DefaultLimits.MaxDocumentBytes,
	MaxDepth:          ozml.DefaultLimits.MaxDepth,
	MaxElements:       ozml.DefaultLimits.MaxElements,
	MaxLoopIterations: ozml.DefaultLimits.MaxLoopIterations,
	MaxGoToHops:       ozml.DefaultLimits.MaxGoToHops,
	MaxRunTime:        ozml.DefaultLimits.MaxRunTime,
	MaxVariableBytes:  ozml.DefaultLimits.MaxVarBytes,
	MaxRecordDuration: ozml.DefaultLimits.MaxRecordDuration,
	RejectCode:        603,
	AnswerTimeout:     10 * time.Second,
}

// ozml checks api.ozml: every limit positive and within what a Pi can
// bear, Reject's status one of the two.
func (k *checker) ozml(o *OzML) {
	ints := []struct {
		field     string
		v, lo, hi int
	}{
		{"max_document_bytes", o.MaxDocumentBytes, 1 << 10, 16 << 20},
		{"max_depth", o.MaxDepth, 2, 1000},
		{"max_elements", o.MaxElements, 2, 1000000},
		{"max_loop_iterations", o.MaxLoopIterations, 1, 10000000},
		{"max_goto_hops", o.MaxGoToHops, 1, 100000},
		{"max_variable_bytes", o.MaxVariableBytes, 1 << 10, 64 << 20},
	}
	for _, f := range ints {
		if f.v < f.lo || f.v > f.hi {
			k.addf("api.ozml."+f.field, "must be %d to %d, got %d", f.lo, f.hi, f.v)
		}
	}
	durations := []struct {
		field     string
		v, lo, hi time.Duration
	}{
		{"max_run_time", o.MaxRunTime, time.Second, 7 * 24 * time.Hour},
		{"max_record_duration", o.MaxRecordDuration, time.Second, time.Hour},
		{"answer_timeout", o.AnswerTimeout, 100 * time.Millisecond, time.Minute},
	}
	for _, f := range durations {
		if f.v < f.lo || f.v > f.hi {
			k.addf("api.ozml."+f.field, "must be %s to %s, got %s", f.lo, f.hi, f.v)
		}
	}
	if o.RejectCode != 603 && o.RejectCode != 486 {
		k.addf("api.ozml.reject_code", "must be 603 (Decline) or 486 (Busy Here), got %d", o.RejectCode)
	}
}
