package history

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

const (
	segmentPrefix = "history-"
	segmentSuffix = ".jsonl"
)

// segment is one history-NNNNNNNN.jsonl file.
type segment struct {
	seq     uint64
	path    string
	lines   int   // complete lines, corrupt ones included; drives rotation
	records int   // valid records; drives the bound
	size    int64 // bytes up to and including the last complete line
	// appendable is false when the file's tail could not be repaired or a
	// write to it failed; the next Append then starts a new segment.
	appendable bool
}

func segmentName(seq uint64) string {
	return fmt.Sprintf("%s%08d%s", segmentPrefix, seq, segmentSuffix)
}

// parseSegmentName returns the sequence number of a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, segmentPrefix)
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, segmentSuffix)
	if !ok || digits == "" {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	return seq, true
}

// badLine is a line of a segment that did not hold a valid record.
type badLine struct {
	number int // 1-based
	err    error
}

// parsedSegment is what parseSegment found in a segment file's bytes.
type parsedSegment struct {
	records      []Record
	lines        int       // complete (newline-terminated) lines
	completeSize int64     // bytes up to and including the last newline
	bad          []badLine // complete lines that were skipped
	// tail is the bytes after the last newline: a line cut short by a crash
	// (or, rarely, a whole line whose newline never reached the disk).
	tail []byte
	// tailErr is why tail is not a valid record; nil when tail is empty or
	// holds a valid record (which is then the last element of records).
	tailErr error
}

// parseSegment splits a segment file into records. It never fails: lines
// that are not valid records are reported in bad or tailErr.
func parseSegment(data []byte) parsedSegment {
	var p parsedSegment
	rest := data
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := rest[:i]
		rest = rest[i+1:]
		p.lines++
		r, err := decodeRecordLine(line)
		if err != nil {
			p.bad = append(p.bad, badLine{number: p.lines, err: err})
			continue
		}
		p.records = append(p.records, r)
	}
	p.completeSize = int64(len(data) - len(rest))
	if len(rest) > 0 {
		p.tail = rest
		r, err := decodeRecordLine(rest)
		if err != nil {
			p.tailErr = err
		} else {
			p.records = append(p.records, r)
		}
	}
	return p
}
