package ozml

import (
	"errors"
	"time"
)

// ErrLimit is wrapped by every error that reports a limit being exceeded,
// at parse time or while a script runs.
var ErrLimit = errors.New("limit exceeded")

// Limits bound what one document and one run may cost. Zero fields take
// the value of DefaultLimits.
type Limits struct {
	MaxDocumentBytes int // size of one document
	MaxDepth         int // element nesting, the root counting as 1
	MaxElements      int // elements in one document

	MaxLoopIterations int           // ForEach items plus UserInput rounds, for the whole run
	MaxGoToHops       int           // documents replaced (GoTo, ForwardToUrl and FinishedUrl replies) in one run
	MaxRunTime        time.Duration // from the start of the run, on the interpreter's clock
	MaxVarBytes       int           // all variables and arrays together; also the longest substituted value
	MaxRecordDuration time.Duration // a Record without Duration stops after this
}

// DefaultLimits are generous for real IVRs and small enough that a
// hostile document cannot hurt a Pi.
var DefaultLimits = Limits{
	MaxDocumentBytes:  256 << 10,
	MaxDepth:          32,
	MaxElements:       10000,
	MaxLoopIterations: 10000,
	MaxGoToHops:       100,
	MaxRunTime:        4 * time.Hour,
	MaxVarBytes:       1 << 20,
	MaxRecordDuration: time.Hour,
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	orDefault(&l.MaxDocumentBytes, d.MaxDocumentBytes)
	orDefault(&l.MaxDepth, d.MaxDepth)
	orDefault(&l.MaxElements, d.MaxElements)
	orDefault(&l.MaxLoopIterations, d.MaxLoopIterations)
	orDefault(&l.MaxGoToHops, d.MaxGoToHops)
	orDefault(&l.MaxRunTime, d.MaxRunTime)
	orDefault(&l.MaxVarBytes, d.MaxVarBytes)
	orDefault(&l.MaxRecordDuration, d.MaxRecordDuration)
	return l
}

// orDefault sets *v to def unless it is positive.
func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
