// Package history is the durable, bounded call-history store under the data
// dir.
//
// Each finished call is one Record, appended as one JSON line to a segment
// file (history-00000001.jsonl, history-00000002.jsonl, ...) and fsync'ed
// before Append returns, so a record that was acknowledged survives kill -9
// and power loss. When the newest segment is full a new one is started; when
// the oldest whole segments are no longer needed to hold the newest
// MaxRecords records they are deleted. Open reads every segment back,
// skipping corrupt lines and repairing a torn last line, and keeps the
// newest MaxRecords records in memory for Recent and Find.
package history
