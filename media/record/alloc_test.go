package record

import (
	"path/filepath"
	"testing"

	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/media/wav"
)

func TestTickDoesNotAllocate(t *testing.T) {
	r, err := New(Config{Root: t.TempDir(), Name: "a", Legs: 2, SilenceTimeout: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	f, err := wav.CreateAtomic(filepath.Join(r.cfg.Root, "a.wav"), wav.EncodingPCM16, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	r.file = f
	payload := make([]byte, stream.FrameSamples)
	ts := uint32(0)
	a := testing.AllocsPerRun(500, func() {
		r.Tap(0)(stream.PayloadPCMU, ts, payload)
		r.Tap(1)(stream.PayloadPCMA, ts+7, payload)
		ts += stream.FrameSamples
		if _, err := r.tick(); err != nil {
			t.Fatal(err)
		}
	})
	if a != 0 {
		t.Fatalf("%v allocations per recorded frame", a)
	}
}

func BenchmarkRecordFrame(b *testing.B) {
	r, _ := New(Config{Root: b.TempDir(), Name: "a", Legs: 2})
	f, _ := wav.CreateAtomic(filepath.Join(r.cfg.Root, "a.wav"), wav.EncodingPCM16, 0o600)
	defer f.Abort()
	r.file = f
	r.maxFrames = 1 << 62
	payload := make([]byte, stream.FrameSamples)
	ts := uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		r.Tap(0)(stream.PayloadPCMU, ts, payload)
		r.Tap(1)(stream.PayloadPCMA, ts, payload)
		ts += stream.FrameSamples
		r.tick()
	}
}
