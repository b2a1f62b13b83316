package simctl

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/sim"
)

var epoch = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func startServer(t *testing.T) (*sim.Board, *sim.ManualClock, string) {
	t.Helper()
	clock := sim.NewManualClock(epoch)
	b, err := sim.NewBoard("sim", 1, 1, clock)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, b, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v", err)
		}
		b.Close()
	})
	return b, clock, ln.Addr().String()
}

func do(t *testing.T, addr string, args ...string) Response {
	t.Helper()
	req, err := ParseArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Do(context.Background(), addr, req)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return resp
}

func TestControlSocket(t *testing.T) {
	b, clock, addr := startServer(t)
	fxs, _ := b.Port("fxs0")
	fxo, _ := b.Port("fxo0")

	do(t, addr, "offhook", "fxs0")
	clock.Advance(100 * time.Millisecond)
	do(t, addr, "dial", "fxs0", "12")
	clock.Advance(time.Second)
	do(t, addr, "dial", "fxs0", "3", "--pulse")
	clock.Advance(2 * time.Second)
	var got []string
	for len(fxs.Events()) > 0 {
		ev := <-fxs.Events()
		got = append(got, ev.Type.String()+string(ev.Digit))
	}
	want := []string{"off-hook\x00", "digit1", "digit2", "digit3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fxs0 events %q, want %q", got, want)
	}
	if st := do(t, addr, "status", "fxs0"); !st.OffHook {
		t.Errorf("status %+v", st)
	}

	do(t, addr, "ring", "fxo0", "--cid", "3612345678", "--name", "Teszt")
	clock.Advance(8 * time.Second)
	var cid *hal.CallerID
	for len(fxo.Events()) > 0 {
		if ev := <-fxo.Events(); ev.Type == hal.CallerIDReceived {
			cid = ev.CallerID
		}
	}
	if cid == nil || cid.Number != "3612345678" || cid.Name != "Teszt" {
		t.Errorf("caller ID %+v", cid)
	}
	if st := do(t, addr, "status", "fxo0"); !st.Ringing || st.Seized {
		t.Errorf("CO status %+v", st)
	}
	do(t, addr, "stopring", "fxo0")
	do(t, addr, "battery", "fxo0", "off")
	do(t, addr, "tone", "fxo0", "busy")

	for _, bad := range []Request{{Op: "offhook", Port: "fxs9"}, {Op: "ring", Port: "fxs0"}, {Op: "offhook", Port: "fxo0"}, {Op: "flash", Port: "fxs0", MS: 99999}} {
		if _, err := Do(context.Background(), addr, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if r := Handle(b, []byte(`{"op":"offhook","port":"fxs0","x":1}`)); r.OK || !strings.Contains(r.Error, "unknown field") {
		t.Errorf("unknown field: %+v", r)
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", ":0", "nonsense"} {
		if ln, err := Listen(addr); err == nil {
			ln.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
	ln, err := Listen("[::1]:0")
	if err == nil {
		ln.Close()
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want Request
		err  string
	}{
		{[]string{"offhook", "fxs1"}, Request{Op: "offhook", Port: "fxs1"}, ""},
		{[]string{"dial", "fxs1", "101"}, Request{Op: "dial", Port: "fxs1", Digits: "101"}, ""},
		{[]string{"dial", "fxs1", "--pulse", "9"}, Request{Op: "dial", Port: "fxs1", Digits: "9", Pulse: true}, ""},
		{[]string{"ring", "fxo1", "--cid", "3612345678"}, Request{Op: "ring", Port: "fxo1", CID: "3612345678"}, ""},
		{[]string{"flash", "fxs0", "250"}, Request{Op: "flash", Port: "fxs0", MS: 250}, ""},
		{[]string{"tone", "fxo0", "busy"}, Request{Op: "tone", Port: "fxo0", Tone: "busy"}, ""},
		{[]string{"offhook"}, Request{}, "usage"},
		{[]string{"jump", "fxs0"}, Request{}, "unknown command"},
		{[]string{"ring", "fxo0", "--cid"}, Request{}, "needs a value"},
		{[]string{"flash", "fxs0", "x"}, Request{}, "flash length"},
		{[]string{"dial", "fxs0", "--fast"}, Request{}, "unknown option"},
	}
	for _, tt := range tests {
		got, err := ParseArgs(tt.args)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseArgs(%q) = %v, want error with %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseArgs(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

func FuzzHandle(f *testing.F) {
	for _, s := range []string{`{"op":"offhook","port":"fxs0"}`, `{"op":"dial","port":"fxs0","digits":"1#"}`,
		`{"op":"ring","port":"fxo0","cid":"1","name":"x"}`, `{"op":"flash","port":"fxs0","ms":-1}`, `{`, `[]`} {
		f.Add([]byte(s))
	}
	clock := sim.NewManualClock(epoch)
	b, err := sim.NewBoard("sim", 1, 1, clock)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { b.Close() })
	f.Fuzz(func(t *testing.T, line []byte) {
		r := Handle(b, line)
		if r.OK == (r.Error != "") {
			t.Fatalf("response %+v: ok and error disagree", r)
		}
		clock.Advance(20 * time.Millisecond)
	})
}

func FuzzParseArgs(f *testing.F) {
	f.Add("dial fxs1 101 --pulse")
	f.Add("ring fxo1 --cid 36 --name a")
	f.Add("flash fxs0 99")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseArgs(strings.Fields(s))
		if err == nil && !knownOp(r.Op) {
			t.Fatalf("accepted unknown op %q", r.Op)
		}
	})
}

// answer and hangup drive the far party of a call out through a CO line.
func TestCallOutOps(t *testing.T) {
	b, clock, addr := startServer(t)
	co, _ := b.CO("fxo0")
	if _, err := Do(context.Background(), addr, Request{Op: "answer", Port: "fxo0"}); err == nil {
		t.Error("answer on an idle line accepted")
	}
	if err := co.Port().Seize(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(100 * time.Millisecond)
	do(t, addr, "answer", "fxo0")
	do(t, addr, "hangup", "fxo0")
	if st := do(t, addr, "status", "fxo0"); !st.Seized {
		t.Errorf("status %+v", st)
	}
	if _, err := Do(context.Background(), addr, Request{Op: "hangup", Port: "fxs0"}); err == nil {
		t.Error("hangup on an FXS port accepted")
	}
}
