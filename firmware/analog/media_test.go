package analog

import (
	"net/netip"
	"testing"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/relay"
)

func TestParseRTP(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pkt     []byte
		ok      bool
		pt      uint8
		ts      uint32
		payload string
	}{
		{"plain", []byte{0x80, 0x88, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 'a', 'b'}, true, 8, 160, "ab"},
		{"csrc", []byte{0x81, 0x00, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 9, 9, 9, 9, 'x'}, true, 0, 1, "x"},
		{"extension", []byte{0x90, 0x00, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 0xbe, 0xde, 0, 1, 7, 7, 7, 7, 'y'}, true, 0, 1, "y"},
		{"padding", []byte{0xa0, 0x00, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 'z', 0, 2}, true, 0, 1, "z"},
		{"short", []byte{0x80, 0}, false, 0, 0, ""},
		{"version 1", []byte{0x40, 0x00, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4}, false, 0, 0, ""},
		{"padding too long", []byte{0xa0, 0x00, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 'z', 9}, false, 0, 0, ""},
		{"extension cut", []byte{0x90, 0x00, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 0xbe}, false, 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, ts, payload, ok := parseRTP(tc.pkt)
			if ok != tc.ok || ok && (pt != tc.pt || ts != tc.ts || string(payload) != tc.payload) {
				t.Fatalf("parseRTP = %d %d %q %v, want %d %d %q %v", pt, ts, payload, ok, tc.pt, tc.ts, tc.payload, tc.ok)
			}
		})
	}
}

func FuzzParseRTP(f *testing.F) {
	f.Add([]byte{0x80, 0x88, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 'a', 'b'})
	f.Add([]byte{0xb1, 0x00, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 9, 9, 9, 9, 0xbe, 0xde, 0, 1, 7, 7, 7, 7, 'y', 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, payload, ok := parseRTP(b); ok && len(payload) > len(b)-rtpHeaderLen {
			t.Fatalf("payload of %d bytes from a %d-byte packet", len(payload), len(b))
		}
	})
}

// newTestMedia is a loopback phone on a started, unbridged relay endpoint
// (which drops what it receives).
func newTestMedia(tb testing.TB) *media {
	tb.Helper()
	pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 45000, Max: 45998})
	if err != nil {
		tb.Fatal(err)
	}
	ep, err := pool.Allocate()
	if err != nil {
		tb.Fatal(err)
	}
	m, err := newMedia(ep)
	if err != nil {
		tb.Fatal(err)
	}
	ep.Start()
	tb.Cleanup(func() { m.close(); ep.Close() })
	return m
}

// The media path (decode, jitter buffer, encode, send) allocates nothing
// per frame.
func TestMediaFrameAllocs(t *testing.T) {
	m := newTestMedia(t)
	var in, out hal.Frame
	if n := testing.AllocsPerRun(200, func() { m.frame(&in, &out) }); n != 0 {
		t.Fatalf("%v allocations per frame", n)
	}
}

// BenchmarkMediaFrame is the per-frame cost of one analog port in a call
// on the adapter's side (the line engine's is hal/line's benchmark).
func BenchmarkMediaFrame(b *testing.B) {
	m := newTestMedia(b)
	var in, out hal.Frame
	for i := range in {
		in[i] = int16(i * 100)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.frame(&in, &out)
	}
}
