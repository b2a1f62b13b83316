package contactid

import (
	"errors"
	"strings"
	"testing"
)

func TestEncodeKnownMessages(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"published example", Message{Account: "1234", Qualifier: NewEvent, Event: 131, Partition: 1, Zone: 15}, "1234181131010158"},
		{"zeros are worth ten", Message{Account: "0000", Qualifier: NewEvent}, "0000181000000005"},
		{"A is zero", Message{Account: "A0a0", Qualifier: NewEvent}, "0000181000000005"},
		{"hex account, type 98, restore", Message{Account: "BCDF", Type: 98, Qualifier: NewRestore, Event: 602}, "*#AC98360200000*"},
		{"hex account lower case", Message{Account: "bcdf", Type: 98, Qualifier: NewRestore, Event: 602}, "*#AC98360200000*"},
		{"status report, all nines", Message{Account: "9999", Qualifier: StatusReport, Event: 999, Partition: 99, Zone: 999}, "999918699999999#"},
		{"checksum 15 sent as C", Message{Account: "1000", Qualifier: NewEvent, Event: 401, Partition: 2, Zone: 2}, "100018140102002C"},
		{"checksum 10 sent as 0", Message{Account: "1000", Qualifier: NewEvent, Event: 401, Partition: 2, Zone: 7}, "1000181401020070"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Encode = %s, want %s", got, tt.want)
			}
			back, err := Decode(got)
			if err != nil {
				t.Fatalf("Decode(%s): %v", got, err)
			}
			again, _ := back.Encode()
			if again != got {
				t.Fatalf("round trip %s -> %+v -> %s", got, back, again)
			}
		})
	}
}

func TestDecodeFields(t *testing.T) {
	m, err := Decode("1234181131010158")
	if err != nil {
		t.Fatal(err)
	}
	want := Message{Account: "1234", Type: 18, Qualifier: NewEvent, Event: 131, Partition: 1, Zone: 15}
	if m != want {
		t.Fatalf("Decode = %+v, want %+v", m, want)
	}
	if m.Name() != "Perimeter" || m.String() != "1234 18 1 131 01 015" {
		t.Fatalf("Name %q String %q", m.Name(), m.String())
	}
	if m, err := Decode("*#AC98360200000*"); err != nil || m.Account != "BCDF" {
		t.Fatalf("hex account: %+v %v", m, err)
	}
	if m, err := Decode("0000181000000005"); err != nil || m.Account != "0000" {
		t.Fatalf("zero account: %+v %v", m, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, digits string
		checksum     bool
	}{
		{"short", "123418113101015", false},
		{"long", "12341811310101580", false},
		{"checksum off by one", "1234181131010159", true},
		{"two digits swapped keep the sum", "2134181131010158", false},
		{"D carries no value", "D234181131010158", false},
		{"not a key", "x234181131010158", false},
		{"hex in the event code", "12341811*1010158", false},
		{"qualifier 2", "1234182131010157", false},
		{"message type 17", "1234171131010159", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.digits)
			if tt.name == "two digits swapped keep the sum" {
				// A transposition the checksum cannot see: decodes to a
				// different, valid account.
				if err != nil || m.Account != "2134" {
					t.Fatalf("got %+v, %v", m, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode(%q) = %+v, %v; want ErrInvalid", tt.digits, m, err)
			}
			if errors.Is(err, ErrChecksum) != tt.checksum {
				t.Fatalf("Decode(%q): %v; checksum error %v, want %v", tt.digits, err, errors.Is(err, ErrChecksum), tt.checksum)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := Message{Account: "1234", Qualifier: NewEvent, Event: 130, Partition: 1, Zone: 1}
	tests := []struct {
		name string
		edit func(*Message)
	}{
		{"short account", func(m *Message) { m.Account = "123" }},
		{"bad account digit", func(m *Message) { m.Account = "12G4" }},
		{"type", func(m *Message) { m.Type = 17 }},
		{"qualifier", func(m *Message) { m.Qualifier = 2 }},
		{"event", func(m *Message) { m.Event = 1000 }},
		{"negative event", func(m *Message) { m.Event = -1 }},
		{"partition", func(m *Message) { m.Partition = 100 }},
		{"zone", func(m *Message) { m.Zone = 1000 }},
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.edit(&m)
			if _, err := m.Encode(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Encode(%+v) = %v, want ErrInvalid", m, err)
			}
		})
	}
}

func TestParseQualifier(t *testing.T) {
	tests := []struct {
		in   string
		want Qualifier
		err  bool
	}{
		{"", NewEvent, false}, {"NewEvent", NewEvent, false}, {"newrestore", NewRestore, false},
		{"StatusReport", StatusReport, false}, {"1", NewEvent, false}, {"3", NewRestore, false},
		{"6", StatusReport, false}, {"2", 0, true}, {"Restore", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseQualifier(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseQualifier(%q) = %v, %v", tt.in, got, err)
		}
		if err == nil && got.String() == "" {
			t.Errorf("%v has no name", got)
		}
	}
}

func TestEventTable(t *testing.T) {
	for i := 1; i < len(eventNames); i++ {
		if eventNames[i-1].code >= eventNames[i].code {
			t.Fatalf("table not sorted at %d", eventNames[i].code)
		}
	}
	for _, e := range eventNames {
		if e.code < 100 || e.code > 999 || strings.TrimSpace(e.name) == "" {
			t.Fatalf("bad row %+v", e)
		}
	}
	for code, want := range map[int]string{110: "Fire", 130: "Burglary", 602: "Periodic test report", 401: "Open/close by user", 999: ""} {
		if got := EventName(code); got != want {
			t.Errorf("EventName(%d) = %q, want %q", code, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"1234181131010158", "*#AC98360200000*", "0000181000000005", "1234181131010159", "", "D", "999918699999999#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, digits string) {
		m, err := Decode(digits)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", m, err)
		}
		if enc != strings.ToUpper(digits) {
			t.Fatalf("Decode(%q) -> %+v -> %q", digits, m, enc)
		}
	})
}
