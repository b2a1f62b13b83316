package gsm_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal/gsm"
	"github.com/gatepbx/gatepbx/hal/gsm/gsmsim"
	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
	"github.com/gatepbx/gatepbx/hal/gsm/serial"
)

// rig is a driver talking to a simulated modem through a pseudo-terminal.
type rig struct {
	sim      *gsmsim.Sim
	modem    *gsm.Modem
	messages chan gsm.Message
	reports  chan gsm.Report
}

func newRig(t *testing.T, so gsmsim.Options, mo gsm.Options, before func(*gsmsim.Sim)) *rig {
	t.Helper()
	sim, err := gsmsim.Start(so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	if before != nil {
		before(sim)
	}
	port, err := serial.Open(sim.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{sim: sim, messages: make(chan gsm.Message, 16), reports: make(chan gsm.Report, 16)}
	mo.OnMessage = func(m gsm.Message) { r.messages <- m }
	mo.OnReport = func(rep gsm.Report) { r.reports <- rep }
	mo.Logger = slog.New(slog.DiscardHandler)
	m, err := gsm.Open(context.Background(), port, mo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	r.modem = m
	return r
}

// wait guards against hangs; it is not a timing assertion.
const wait = 20 * time.Second

func (r *rig) message(t *testing.T) gsm.Message {
	t.Helper()
	select {
	case m := <-r.messages:
		return m
	case <-time.After(wait):
		t.Fatal("no message")
		return gsm.Message{}
	}
}

func (r *rig) report(t *testing.T) gsm.Report {
	t.Helper()
	select {
	case m := <-r.reports:
		return m
	case <-time.After(wait):
		t.Fatal("no report")
		return gsm.Report{}
	}
}

// eventually polls cond (state the driver reaches asynchronously).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOpenInitialisesAndReportsHealth(t *testing.T) {
	r := newRig(t, gsmsim.Options{RSSI: 17, Operator: "TestNet"}, gsm.Options{}, nil)
	cmds := strings.Join(r.sim.Commands(), "|")
	for _, want := range []string{"ATE0", "AT+CMEE=1", "AT+CMGF=0", "AT+CNMI=2,1,0,1,0", "AT+CREG=1", "AT+CMGL=4"} {
		if !strings.Contains(cmds, want) {
			t.Errorf("%s not sent (%s)", want, cmds)
		}
	}
	h := r.modem.Status()
	if h.RSSI != 17 || h.SignalDBm != -79 || h.Registration != gsm.Home || h.Operator != "TestNet" || h.Checked.IsZero() {
		t.Errorf("Status = %+v", h)
	}
	r.sim.SetSignal(3)
	h, err := r.modem.Health(context.Background())
	if err != nil || h.RSSI != 3 || !h.Registration.Registered() {
		t.Errorf("Health = %+v, %v", h, err)
	}
	r.sim.SetRegistration(int(gsm.Searching))
	eventually(t, "+CREG seen", func() bool { return r.modem.Status().Registration == gsm.Searching })
	r.sim.Unsolicited("+CSQ: 9,99")
	eventually(t, "+CSQ seen", func() bool { return r.modem.Status().RSSI == 9 })
}

func TestSend(t *testing.T) {
	r := newRig(t, gsmsim.Options{Reports: true}, gsm.Options{}, nil)
	ctx := context.Background()
	long := strings.Repeat("0123456789", 40)
	tests := []struct {
		name, to, text string
		opts           gsm.SendOptions
		wantTo         string
		parts          int
		enc            pdu.Encoding
	}{
		{"short", "+36 30 123-4567", "Alarm: zone 3 [open]", gsm.SendOptions{}, "+36301234567", 1, pdu.GSM7},
		{"concatenated", "+36301234567", long, gsm.SendOptions{}, "+36301234567", 3, pdu.GSM7},
		{"ucs2", "06301234567", "Riasztás: 3. zóna ✓", gsm.SendOptions{}, "06301234567", 1, pdu.UCS2},
		{"with report", "+441234567", "report me", gsm.SendOptions{Report: true}, "+441234567", 1, pdu.GSM7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.sim.Sent())
			refs, err := r.modem.Send(ctx, tt.to, tt.text, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			sent := r.sim.Sent()[before:]
			if len(refs) != tt.parts || len(sent) != tt.parts {
				t.Fatalf("refs %v, sent %d", refs, len(sent))
			}
			var text strings.Builder
			for i, s := range sent {
				if s.Ref != refs[i] || s.To != tt.wantTo || s.Encoding != tt.enc || s.RequestReport != tt.opts.Report {
					t.Errorf("part %d: %+v (ref %d)", i+1, s, refs[i])
				}
				if tt.parts > 1 && (s.Concat.Total != uint8(tt.parts) || s.Concat.Seq != uint8(i+1) || s.Concat.Ref != sent[0].Concat.Ref) {
					t.Errorf("part %d concat %+v", i+1, s.Concat)
				}
				text.WriteString(s.Text)
			}
			if text.String() != tt.text {
				t.Errorf("sent %q", text.String())
			}
			if tt.opts.Report {
				rep := r.report(t)
				if rep.Ref != refs[0] || rep.Recipient != tt.wantTo || !rep.Delivered || !rep.Final {
					t.Errorf("report %+v", rep)
				}
			}
		})
	}
	// A failed delivery report (0x41: incompatible destination).
	if err := r.sim.Report(77, "+1555", 0x41); err != nil {
		t.Fatal(err)
	}
	if rep := r.report(t); rep.Ref != 77 || rep.Delivered || !rep.Final || rep.Status != 0x41 {
		t.Errorf("failure report %+v", rep)
	}
}

func TestSendRefused(t *testing.T) {
	r := newRig(t, gsmsim.Options{}, gsm.Options{CommandTimeout: 500 * time.Millisecond, SendTimeout: 500 * time.Millisecond, MaxParts: 2}, nil)
	ctx := context.Background()
	r.sim.Reject("+36309999999", gsmsim.CMSUnknown)
	var atErr *gsm.ATError
	if _, err := r.modem.Send(ctx, "+36309999999", "x", gsm.SendOptions{}); !errors.As(err, &atErr) || !atErr.CMS || atErr.Code != 500 {
		t.Errorf("rejected recipient: %v", err)
	}
	for _, tc := range []struct {
		name, to, text string
		opts           gsm.SendOptions
		want           error
	}{
		{"letters", "+36abc", "x", gsm.SendOptions{}, pdu.ErrAddress},
		{"empty", "", "x", gsm.SendOptions{}, pdu.ErrAddress},
		{"charset", "123", "Привет", gsm.SendOptions{Encoding: pdu.GSM7}, pdu.ErrCharset},
		{"too long", "123", strings.Repeat("x", 153*2+1), gsm.SendOptions{}, pdu.ErrTooLong},
	} {
		if _, err := r.modem.Send(ctx, tc.to, tc.text, tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := r.modem.Command(ctx, "AT+BOGUS", ""); !errors.As(err, &atErr) || atErr.Code != -1 || atErr.Line != "ERROR" {
		t.Errorf("unknown command: %v", err)
	}

	r.sim.SetRegistration(0)
	eventually(t, "deregistered", func() bool { return r.modem.Status().Registration == gsm.NotRegistered })
	if _, err := r.modem.Send(ctx, "+361", "x", gsm.SendOptions{}); !errors.As(err, &atErr) || atErr.Code != gsmsim.CMSNoNetworkService {
		t.Errorf("not registered: %v", err)
	}
	r.sim.SetRegistration(1)

	r.sim.SetSilent(true)
	if _, err := r.modem.Send(ctx, "+361", "x", gsm.SendOptions{}); !errors.Is(err, gsm.ErrTimeout) {
		t.Errorf("silent modem: %v", err)
	}
	if _, err := r.modem.Health(ctx); !errors.Is(err, gsm.ErrTimeout) {
		t.Errorf("silent modem health: %v", err)
	}
	r.sim.SetSilent(false)
	if _, err := r.modem.Health(ctx); err != nil {
		t.Errorf("after the modem recovered: %v", err)
	}
	if refs, err := r.modem.Send(ctx, "+361", "x", gsm.SendOptions{}); err != nil || len(refs) != 1 {
		t.Errorf("send after recovery: %v %v", refs, err)
	}
}

func TestIncoming(t *testing.T) {
	ucs := strings.Repeat("Üzenet ✉ ", 20) // 180 UCS-2 units: 3 parts
	r := newRig(t, gsmsim.Options{}, gsm.Options{}, func(s *gsmsim.Sim) {
		if err := s.StoreText("+3611111111", "arrived while off"); err != nil {
			t.Fatal(err)
		}
	})
	if m := r.message(t); m.From != "+3611111111" || m.Text != "arrived while off" {
		t.Errorf("stored before Open: %+v", m)
	}
	tests := []struct {
		name    string
		deliver func(from, text string) error
		from    string
		text    string
		parts   int
	}{
		{"stored and announced", r.sim.Receive, "+36301234567", "Hello {world}", 1},
		{"concatenated UCS-2", r.sim.Receive, "+447700900123", ucs, 3},
		{"direct +CMT", r.sim.ReceiveDirect, "12345", "direct", 1},
		{"direct concatenated", r.sim.ReceiveDirect, "12345", strings.Repeat("d", 200), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.deliver(tt.from, tt.text); err != nil {
				t.Fatal(err)
			}
			m := r.message(t)
			if m.From != tt.from || m.Text != tt.text || m.Parts != tt.parts || m.Incomplete || m.Time.IsZero() || m.SMSC == "" {
				t.Errorf("got %+v", m)
			}
		})
	}
	eventually(t, "stored messages deleted", func() bool { return r.sim.Stored() == 0 })
}

// TestEngineRouting drives the AT engine with a scripted modem on a pipe,
// for orders a simulator does not produce on demand: URCs inside a
// response, a +CMT arriving just before a final result.
func TestEngineRouting(t *testing.T) {
	got := make(chan gsm.Message, 4)
	deliver, _ := pdu.Deliver{From: "+3612", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Text: "inside"}.Encode()
	hexPDU := strings.ToUpper(hexString(deliver))
	m, _ := openScripted(t, func(o *gsm.Options) { o.OnMessage = func(m gsm.Message) { got <- m } }, [][2]string{
		{"AT", "AT\r\r\nOK\r\n"}, // echo on
		{"ATE0", "ATE0\r\r\nOK\r\n"},
		{"AT+CMEE=1", "\r\nOK\r\n"},
		{"AT+CMGF=0", "\r\n+CREG: 2\r\n\r\nOK\r\n"}, // URC before OK
		{"AT+CNMI=2,1,0,1,0", "\r\nOK\r\n"},
		{"AT+CREG=1", "\r\nOK\r\n"},
		{"AT+CSQ", "\r\n+CSQ: 11,99\r\n\r\n+CMT: ,20\r\n" + hexPDU + "\r\n\r\nOK\r\n"}, // +CMT inside a response
		{"AT+CREG?", "\r\n+CREG: 1,5\r\n\r\nOK\r\n"},
		{"AT+COPS?", "\r\n+CME ERROR: 30\r\n"},
		{"AT+CMGL=4", "\r\nOK\r\n"},
	})
	select {
	case msg := <-got:
		if msg.Text != "inside" || msg.From != "+3612" {
			t.Errorf("message %+v", msg)
		}
	case <-time.After(wait):
		t.Fatal("+CMT inside a response lost")
	}
	h := m.Status()
	if h.RSSI != 11 || h.Registration != gsm.Roaming || h.Operator != "" {
		t.Errorf("health %+v", h)
	}
}

// TestPromptThenURC: a modem may put an unsolicited line right behind
// the AT+CMGS prompt, in the same write; the prompt must still be seen
// (the message once hung there until its timeout).
func TestPromptThenURC(t *testing.T) {
	const ok = "\r\nOK\r\n"
	m, script := openScripted(t, nil, [][2]string{
		{"AT", ok}, {"ATE0", ok}, {"AT+CMEE=1", ok}, {"AT+CMGF=0", ok}, {"AT+CNMI=2,1,0,1,0", ok}, {"AT+CREG=1", ok},
		{"AT+CSQ", "\r\n+CSQ: 20,99\r\n" + ok}, {"AT+CREG?", "\r\n+CREG: 1,1\r\n" + ok}, {"AT+COPS?", ok}, {"AT+CMGL=4", ok},
	})
	sent := make(chan error, 1)
	go func() {
		_, err := m.Send(context.Background(), "+3612", "hi", gsm.SendOptions{})
		sent <- err
	}()
	for _, reply := range []string{"\r\n> \r\n+CREG: 5\r\n", "\r\n+CMGS: 7\r\n\r\nOK\r\n"} { // AT+CMGS=n, then the PDU
		select {
		case <-script.lines:
		case <-time.After(wait):
			t.Fatal("driver sent nothing")
		}
		if _, err := io.WriteString(script.port, reply); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-sent:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait):
		t.Fatal("the PDU was never sent after the prompt")
	}
}

// openScripted opens a modem (options changed by opt) on a scripted port
// that answers the start-up commands with replies ({command, reply}),
// and closes it at the end of the test.
func openScripted(t *testing.T, opt func(*gsm.Options), replies [][2]string) (*gsm.Modem, *script) {
	t.Helper()
	drv, port := pipePair()
	script := newScript(t, port)
	o := gsm.Options{CommandTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	if opt != nil {
		opt(&o)
	}
	done := make(chan *gsm.Modem, 1)
	go func() {
		m, err := gsm.Open(context.Background(), drv, o)
		if err != nil {
			t.Error(err)
		}
		done <- m
	}()
	for _, r := range replies {
		script.expect(r[0], r[1])
	}
	m := <-done
	if m == nil {
		t.FailNow()
	}
	t.Cleanup(func() { m.Close() })
	return m, script
}

// pipePair returns the driver's and the scripted modem's ends.
func pipePair() (io.ReadWriteCloser, io.ReadWriteCloser) {
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	return &duplex{ar, aw}, &duplex{br, bw}
}

type duplex struct {
	*io.PipeReader
	*io.PipeWriter
}

func (d *duplex) Close() error {
	d.PipeReader.Close()
	return d.PipeWriter.Close()
}

// script answers each expected command line with a canned reply.
type script struct {
	t     *testing.T
	lines chan string
	port  io.ReadWriteCloser
}

func newScript(t *testing.T, port io.ReadWriteCloser) *script {
	s := &script{t: t, lines: make(chan string, 16), port: port}
	go func() {
		buf := make([]byte, 256)
		var line []byte
		for {
			n, err := port.Read(buf)
			for _, c := range buf[:n] {
				if c == '\r' || c == 0x1a { // a command line, or a PDU after the prompt
					s.lines <- string(line)
					line = nil
					continue
				}
				line = append(line, c)
			}
			if err != nil {
				close(s.lines)
				return
			}
		}
	}()
	t.Cleanup(func() { port.Close() })
	return s
}

func (s *script) expect(cmd, reply string) {
	s.t.Helper()
	select {
	case got := <-s.lines:
		if got != cmd {
			s.t.Fatalf("driver sent %q, want %q", got, cmd)
		}
	case <-time.After(wait):
		s.t.Fatalf("driver never sent %q", cmd)
	}
	if _, err := io.WriteString(s.port, reply); err != nil {
		s.t.Fatal(err)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

func TestSerialOpenErrors(t *testing.T) {
	if _, err := serial.Open("/nonexistent/tty", 115200); err == nil {
		t.Error("opened a missing device")
	}
	sim, err := gsmsim.Start(gsmsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if _, err := serial.Open(sim.Path(), 12345); err == nil {
		t.Error("odd speed accepted")
	}
}
