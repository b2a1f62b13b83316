package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Record is the history of one finished call.
type Record struct {
	CallID     string    `json:"call_id"`
	Direction  string    `json:"direction"` // "internal", "inbound", "outbound"
	Caller     string    `json:"caller"`
	CallerName string    `json:"caller_name,omitempty"`
	Callee     string    `json:"callee"` // who took the call: the extension that answered (forward target, ring group member, picker)
	Dialed     string    `json:"dialed"` // what the caller dialled (a trunk call's DID)
	Start      time.Time `json:"start"`
	Answer     time.Time `json:"answer,omitzero"`
	End        time.Time `json:"end"`
	// State is how the call ended, e.g. CallerHangUp, CalleeHangUp, Busy,
	// NoAnswer, NotFound, NotRegistered, Cancelled, Rejected, Error,
	// MediaTimeout, Shutdown.
	State string `json:"state"`
	// Cause is free text such as "486 Busy Here".
	Cause string `json:"cause,omitempty"`
	// RTP packets the appliance relayed, per party and direction.
	RTPFromCaller uint64 `json:"rtp_from_caller,omitempty"`
	RTPToCaller   uint64 `json:"rtp_to_caller,omitempty"`
	RTPFromCallee uint64 `json:"rtp_from_callee,omitempty"`
	RTPToCallee   uint64 `json:"rtp_to_callee,omitempty"`
}

var (
	errBlankLine     = errors.New("blank line")
	errMissingCallID = errors.New("record has no call_id")
)

// encodeRecordLine returns r as one JSON line (with its trailing newline)
// and r as it will read back from disk, so that what is kept in memory
// equals what a later Open returns.
func encodeRecordLine(r Record) (line []byte, stored Record, err error) {
	if r.CallID == "" {
		return nil, Record{}, errMissingCallID
	}
	line, err = json.Marshal(r)
	if err != nil {
		return nil, Record{}, fmt.Errorf("encode record: %w", err)
	}
	stored, err = decodeRecordLine(line)
	if err != nil {
		return nil, Record{}, fmt.Errorf("re-read encoded record: %w", err)
	}
	return append(line, '\n'), stored, nil
}

// decodeRecordLine parses one line (without its newline) of a segment file.
func decodeRecordLine(line []byte) (Record, error) {
	if len(bytes.TrimSpace(line)) == 0 {
		return Record{}, errBlankLine
	}
	var r Record
	if err := json.Unmarshal(line, &r); err != nil {
		return Record{}, err
	}
	if r.CallID == "" {
		return Record{}, errMissingCallID
	}
	return r, nil
}
