package gsm

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/gatepbx/gatepbx/hal/gsm/pdu"
)

// readOnly feeds fixed modem output and swallows writes.
type readOnly struct{ io.Reader }

func (readOnly) Write(p []byte) (int, error) { return len(p), nil }

// FuzzModemOutput feeds arbitrary modem output through the line splitter,
// the URC parser and the PDU path: nothing may panic, and a two-line URC
// always carries its PDU line.
func FuzzModemOutput(f *testing.F) {
	for _, s := range []string{
		"\r\nOK\r\n",
		"\r\n+CMTI: \"SM\",3\r\n",
		"\r\n+CMT: ,24\r\n07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07\r\n",
		"\r\n+CDS: 25\r\n0006D60B911326880736F4111011719551401110117195714000\r\n",
		"\r\n+CREG: 1,\"00C3\",\"A1B2\"\r\n+CSQ: 99,99\r\n> ",
		"+CMS ERROR: 500\r\n\r\n+CME ERROR: x\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		m := &Modem{log: slog.New(slog.DiscardHandler), parts: newReassembler(4), urcs: make(chan urc, urcQueue)}
		var urcs []urc
		e := newEngine(readOnly{bytes.NewReader(out)}, m.log, func(u urc) { urcs = append(urcs, u) })
		e.read()
		for _, u := range urcs {
			if urcNames[u.name] && u.pdu == "" {
				t.Fatalf("%s without its PDU", u.name)
			}
			if u.pdu != "" {
				m.handlePDU(u.pdu)
			}
			if u.name == "+CREG" || u.name == "+CSQ" {
				m.handleURC(context.Background(), u)
			}
		}
	})
}

func TestReassemblerEvictsOldest(t *testing.T) {
	r := newReassembler(2)
	part := func(from string, ref uint16, seq uint8) *pdu.Deliver {
		return &pdu.Deliver{From: from, Text: from + string('0'+rune(seq)), Concat: pdu.Concat{Ref: ref, Total: 2, Seq: seq}}
	}
	if got := r.add(part("a", 1, 2)); len(got) != 0 {
		t.Fatal(got)
	}
	r.add(part("b", 1, 1))
	got := r.add(part("c", 1, 1)) // a is given up
	if len(got) != 1 || got[0].From != "a" || !got[0].Incomplete || got[0].Text != "a2" || got[0].Parts != 1 {
		t.Fatalf("evicted %+v", got)
	}
	got = r.add(part("b", 1, 2))
	if len(got) != 1 || got[0].Text != "b1b2" || got[0].Incomplete || got[0].Parts != 2 {
		t.Fatalf("completed %+v", got)
	}
	if got := r.add(part("c", 1, 1)); len(got) != 0 { // a repeated part changes nothing
		t.Fatal(got)
	}
}
