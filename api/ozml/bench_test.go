package ozml

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

func BenchmarkParseSeed(b *testing.B) {
	body := []byte(seedExample)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Parse(body, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMenu(b *testing.B) {
	body := []byte(twoLevelMenu)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Parse(body, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// nopCall answers every method at once; BlindTransfer fails so the seed
// example runs to its end.
type nopCall struct{ digits chan byte }

func (nopCall) Answer(context.Context) error                            { return nil }
func (nopCall) Reject(context.Context, int) error                       { return nil }
func (nopCall) Hangup(context.Context) error                            { return nil }
func (nopCall) Speak(context.Context, string, string, string) error     { return nil }
func (nopCall) Play(context.Context, string, bool, time.Duration) error { return nil }
func (nopCall) Beep(context.Context) error                              { return nil }
func (nopCall) Record(context.Context, RecordOptions) (RecordResult, error) {
	return RecordResult{}, nil
}
func (c nopCall) Digits() <-chan byte                                  { return c.digits }
func (nopCall) BlindTransfer(context.Context, string) error            { return errFake }
func (nopCall) AttendedTransfer(context.Context, string, string) error { return nil }
func (nopCall) ForwardCall(context.Context, string) error              { return nil }
func (nopCall) Hold(context.Context) error                             { return nil }
func (nopCall) Unhold(context.Context) error                           { return nil }
func (nopCall) SendDTMF(context.Context, string) error                 { return nil }
func (nopCall) Info() map[string]string                                { return map[string]string{"CallId": "b"} }

// BenchmarkRunSeed runs the seed example (transfer failing) on a call
// that costs nothing: the interpreter's own overhead per script.
func BenchmarkRunSeed(b *testing.B) {
	d, err := Parse([]byte(seedExample), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	in := New(nil, Options{Logger: slog.New(slog.DiscardHandler), Clock: newAutoClock()})
	call := nopCall{digits: make(chan byte)}
	for b.Loop() {
		if res := in.Run(b.Context(), call, d, RunOptions{}); res.Outcome != HungUp {
			b.Fatal(res)
		}
	}
}
