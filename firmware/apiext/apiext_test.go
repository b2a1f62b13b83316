package apiext

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"testing"

	"github.com/gatepbx/gatepbx/api/ozml"
	"github.com/gatepbx/gatepbx/api/ozml/fetch"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

func TestPickFormats(t *testing.T) {
	te := sdp.Format{PT: 101, Name: "telephone-event"}
	g729 := sdp.Format{PT: 18, Name: "G729"}
	tests := []struct {
		name          string
		offer         []sdp.Format
		audio, events uint8
		ok            bool
	}{
		{"PCMA and events", []sdp.Format{sdp.PCMA, te}, 8, 101, true},
		{"first G.711 wins", []sdp.Format{g729, sdp.PCMU, sdp.PCMA}, 0, 0, true},
		{"events first", []sdp.Format{te, sdp.PCMU}, 0, 101, true},
		{"no G.711", []sdp.Format{g729, te}, 0, 0, false},
		{"nothing", nil, 0, 0, false},
	}
	for _, tc := range tests {
		audio, events, ok := pickFormats(tc.offer)
		if ok != tc.ok || (ok && (audio.PT != tc.audio || events.PT != tc.events)) {
			t.Errorf("%s: %v %v %v", tc.name, audio, events, ok)
		}
	}
}

func TestHostAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0.0.0.0:4000", "127.0.0.1:4000"},
		{"[::]:4000", "[::1]:4000"},
		{"[::ffff:0.0.0.0]:4000", "127.0.0.1:4000"},
		{"192.0.2.7:4000", "192.0.2.7:4000"},
		{"[2001:db8::1]:4000", "[2001:db8::1]:4000"},
	}
	for _, tc := range tests {
		if got := hostAddr(netip.MustParseAddrPort(tc.in)).String(); got != tc.want {
			t.Errorf("hostAddr(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestFirstFailure(t *testing.T) {
	_, perr := ozml.Parse([]byte("<Response><Nope/></Response>"), ozml.Limits{})
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"empty reply", fmt.Errorf("IncomingCall: %w", ozml.ErrEmpty), 480},
		{"HTTP status", fmt.Errorf("x: %w", &fetch.StatusError{URL: "http://app", Code: 500}), 502},
		{"bad document", fmt.Errorf("x: %w", perr), 500},
		{"limit", fmt.Errorf("x: %w", ozml.ErrLimit), 500},
		{"too large", fmt.Errorf("x: %w", fetch.ErrTooLarge), 500},
		{"unreachable", errors.New("dial tcp: connection refused"), 503},
	}
	for _, tc := range tests {
		if code, _ := firstFailure(tc.err); code != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.code)
		}
	}
}

// frames is a source of n frames of value v.
type frames struct {
	n int
	v int16
}

func (f *frames) ReadFrame(dst []int16) (int, error) {
	if f.n == 0 {
		return 0, io.EOF
	}
	f.n--
	for i := range dst {
		dst[i] = f.v
	}
	return len(dst), nil
}

func TestFeed(t *testing.T) {
	var f feed
	dst := make([]int16, 160)
	read := func() int16 {
		t.Helper()
		if n, err := f.ReadFrame(dst); n != len(dst) || err != nil {
			t.Fatalf("ReadFrame: %d %v", n, err)
		}
		return dst[0]
	}
	if read() != 0 {
		t.Fatal("no source: not silence")
	}
	done := make(chan error, 1)
	f.set(&frames{n: 2, v: 7}, done)
	if read() != 7 || read() != 7 {
		t.Fatal("source frames not played")
	}
	if read() != 0 {
		t.Fatal("after the source: not silence")
	}
	if err := <-done; err != nil {
		t.Fatalf("done: %v", err)
	}
	done = make(chan error, 1)
	f.set(&frames{n: 100, v: 3}, done)
	read()
	f.set(nil, nil) // barge-in
	if read() != 0 {
		t.Fatal("a stopped source still plays")
	}
	select {
	case err := <-done:
		t.Fatalf("a stopped source reported %v", err)
	default:
	}
}

func TestOriginHelpers(t *testing.T) {
	for in, want := range map[string]string{"102": "102", "102@localhost": "102", "sip:102@host": "102", " sips:7@x ": "7", "": ""} {
		if got := addressNumber(in); got != want {
			t.Errorf("addressNumber(%q) = %q, want %q", in, got, want)
		}
	}
	for code, want := range map[int]string{404: "NotFound", 480: "NotAvailable", 486: "Busy", 603: "Rejected", 503: "Error", 488: "Rejected"} {
		if got := failState(code); got != want {
			t.Errorf("failState(%d) = %q, want %q", code, got, want)
		}
	}
	ext := config.Extension{Number: "200", DisplayName: "IVR"}
	if p := callerOf(ext, "", ""); p.Number != "200" || p.DisplayName != "IVR" {
		t.Errorf("default caller %+v", p)
	}
	if p := callerOf(ext, " 555 ", "Shop"); p.Number != "555" || p.DisplayName != "Shop" {
		t.Errorf("given caller %+v", p)
	}
}
