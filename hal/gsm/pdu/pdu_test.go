package pdu

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAlphabetTables(t *testing.T) {
	if len(basic) != 128 {
		t.Fatalf("basic table has %d characters", len(basic))
	}
	seen := map[rune]bool{}
	for i, r := range basic {
		if seen[r] {
			t.Errorf("%q twice (septet %#x)", r, i)
		}
		seen[r] = true
	}
	for s, r := range extension {
		if seen[r] {
			t.Errorf("extension %q (%#x) also in the basic table", r, s)
		}
	}
	all := string(basic[:esc]) + string(basic[esc+1:]) + "^{}\\[~]|€\f"
	sep, _, ok := gsmSeptets(all)
	if !ok {
		t.Fatal("alphabet does not encode")
	}
	if got := gsmText(sep); got != all {
		t.Fatalf("round trip %q", got)
	}
	if IsGSM7("Привет") || !IsGSM7("Hello [world] €5") {
		t.Error("IsGSM7")
	}
}

func TestPackKnownValue(t *testing.T) {
	sep, _, _ := gsmSeptets("hellohello")
	if got := hex.EncodeToString(pack(sep, 0)); got != "e8329bfd4697d9ec37" {
		t.Fatalf("pack = %s", got)
	}
	if got := gsmText(unpack(pack(sep, 3), 3, len(sep))); got != "hellohello" {
		t.Fatalf("with fill bits: %q", got)
	}
}

func TestSubmitKnownVector(t *testing.T) {
	// The classic example: "hellohello" to +46708251358, VP 4 days.
	s := Submit{To: "+46708251358", Validity: 4 * 24 * time.Hour, Text: "hellohello"}
	b, n, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToUpper(hex.EncodeToString(b)); got != "0011000B916407281553F80000AA0AE8329BFD4697D9EC37" {
		t.Fatalf("Encode = %s", got)
	}
	if n != len(b)-1 {
		t.Fatalf("TPDU length %d of %d", n, len(b))
	}
}

func TestDeliverKnownVector(t *testing.T) {
	v, err := Decode(mustHex(t, "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := v.(*Deliver)
	if !ok {
		t.Fatalf("%T", v)
	}
	if d.SMSC != "+27381000015" || d.From != "27838890001" || d.Text != "hellohello" || d.Encoding != GSM7 {
		t.Fatalf("%+v", d)
	}
	if _, off := d.Time.Zone(); off != 2*3600 || d.Time.Month() != 3 || d.Time.Day() != 29 || d.Time.Hour() != 15 || d.Time.Second() != 59 {
		t.Fatalf("time %v", d.Time)
	}
}

func TestRoundTrip(t *testing.T) {
	ts := time.Date(2026, 11, 26, 9, 30, 15, 0, time.FixedZone("", -5*3600-30*60))
	tests := []struct {
		name string
		pdu  interface{ Encode() ([]byte, error) }
		want any
	}{
		{"deliver gsm7", Deliver{SMSC: "+3612345678", From: "+36301234567", Time: ts, Text: "Alarm: {zone 3} €"},
			&Deliver{SMSC: "+3612345678", From: "+36301234567", Time: ts, Encoding: GSM7, Text: "Alarm: {zone 3} €"}},
		{"deliver ucs2 with emoji", Deliver{From: "112", Time: ts, Text: "Привет 👋"},
			&Deliver{From: "112", Time: ts, Encoding: UCS2, Text: "Привет 👋"}},
		{"deliver concatenated part", Deliver{From: "+441234", Time: ts, Text: strings.Repeat("a", 153), Concat: Concat{Ref: 7, Total: 3, Seq: 2}},
			&Deliver{From: "+441234", Time: ts, Encoding: GSM7, Text: strings.Repeat("a", 153), Concat: Concat{Ref: 7, Total: 3, Seq: 2}}},
		{"deliver 16-bit reference", Deliver{From: "+441234", Time: ts, Text: "x", Encoding: UCS2, Concat: Concat{Ref: 0x1234, Total: 2, Seq: 1}},
			&Deliver{From: "+441234", Time: ts, Encoding: UCS2, Text: "x", Concat: Concat{Ref: 0x1234, Total: 2, Seq: 1}}},
		{"deliver 8-bit", Deliver{From: "123", Time: ts, Encoding: EightBit, Data: []byte{0, 1, 0xff}},
			&Deliver{From: "123", Time: ts, Encoding: EightBit, Data: []byte{0, 1, 0xff}}},
		{"status report", StatusReport{Ref: 42, Recipient: "+36301234567", Time: ts, Discharge: ts.Add(time.Minute), Status: 0},
			&StatusReport{Ref: 42, Recipient: "+36301234567", Time: ts, Discharge: ts.Add(time.Minute), Status: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.pdu.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			normalizeTimes(got)
			normalizeTimes(tt.want)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// normalizeTimes makes times comparable with DeepEqual.
func normalizeTimes(v any) {
	switch p := v.(type) {
	case *Deliver:
		p.Time = p.Time.UTC()
	case *StatusReport:
		p.Time, p.Discharge = p.Time.UTC(), p.Discharge.UTC()
	}
}

func TestSubmitRoundTrip(t *testing.T) {
	tests := []Submit{
		{To: "+36301234567", RequestReport: true, Validity: 24 * time.Hour, Text: "plain"},
		{To: "06301234567", Text: "Ünïcødé ☃", Encoding: Auto},
		{To: "+1", Text: strings.Repeat("b", 153), Concat: Concat{Ref: 200, Total: 2, Seq: 1}, RequestReport: true},
		{To: "*100#", Text: "ussd-ish"},
	}
	for _, s := range tests {
		b, n, err := s.Encode()
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		if n != len(b)-int(b[0])-1 {
			t.Fatalf("TPDU length %d for %d octets", n, len(b))
		}
		v, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		got := v.(*Submit)
		want := s
		if want.Encoding == Auto {
			want.Encoding, _ = resolve(Auto, s.Text)
		}
		if got.To != want.To || got.Text != want.Text || got.Encoding != want.Encoding || got.Concat != want.Concat ||
			got.RequestReport != want.RequestReport || got.Validity < want.Validity {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		s    Submit
		want error
	}{
		{"letters in number", Submit{To: "+36abc", Text: "x"}, ErrAddress},
		{"empty number", Submit{To: "+", Text: "x"}, ErrAddress},
		{"21 digits", Submit{To: strings.Repeat("1", 21), Text: "x"}, ErrAddress},
		{"not GSM", Submit{To: "1", Text: "Привет", Encoding: GSM7}, ErrCharset},
		{"161 septets", Submit{To: "1", Text: strings.Repeat("a", 161)}, ErrTooLong},
		{"71 UCS-2", Submit{To: "1", Text: strings.Repeat("ж", 71)}, ErrTooLong},
	}
	for _, tt := range tests {
		if _, _, err := tt.s.Encode(); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		enc      Encoding
		wantEnc  Encoding
		partLens []int // in characters
		err      error
	}{
		{"160 fits", strings.Repeat("a", 160), Auto, GSM7, []int{160}, nil},
		{"161 splits", strings.Repeat("a", 161), Auto, GSM7, []int{153, 8}, nil},
		{"escape pair not split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), Auto, GSM7, []int{152, 11}, nil},
		{"extension counts twice", strings.Repeat("€", 80), Auto, GSM7, []int{80}, nil},
		{"81 euros split", strings.Repeat("€", 81), Auto, GSM7, []int{76, 5}, nil},
		{"70 UCS-2 fits", strings.Repeat("ж", 70), Auto, UCS2, []int{70}, nil},
		{"71 UCS-2 splits", strings.Repeat("ж", 71), Auto, UCS2, []int{67, 4}, nil},
		{"surrogate pair not split", strings.Repeat("ж", 66) + "👋" + "жжж", Auto, UCS2, []int{66, 4}, nil},
		{"forced UCS-2", "abc", UCS2, UCS2, []int{3}, nil},
		{"too many parts", strings.Repeat("a", 153*3+1), Auto, 0, nil, ErrTooLong},
		{"charset", "Привет", GSM7, 0, nil, ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, parts, err := Split(tt.text, tt.enc, 3)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if enc != tt.wantEnc || strings.Join(parts, "") != tt.text {
				t.Fatalf("enc %v, parts %q", enc, parts)
			}
			var lens []int
			for i, p := range parts {
				lens = append(lens, utf8.RuneCountInString(p))
				c := Concat{}
				if len(parts) > 1 {
					c = Concat{Ref: 1, Total: uint8(len(parts)), Seq: uint8(i + 1)}
				}
				if _, _, err := (Submit{To: "1", Text: p, Encoding: enc, Concat: c}).Encode(); err != nil {
					t.Fatalf("part %d does not encode: %v", i+1, err)
				}
			}
			if !reflect.DeepEqual(lens, tt.partLens) {
				t.Fatalf("part lengths %v, want %v", lens, tt.partLens)
			}
		})
	}
}

func TestValidityPeriod(t *testing.T) {
	for _, d := range []time.Duration{time.Minute, 5 * time.Minute, 11 * time.Hour, 12 * time.Hour, 13 * time.Hour,
		24 * time.Hour, 4 * 24 * time.Hour, 30 * 24 * time.Hour, 31 * 24 * time.Hour, 63 * 7 * 24 * time.Hour, 1000 * 24 * time.Hour} {
		got := decodeValidity(encodeValidity(d))
		if got < d && d <= 63*7*24*time.Hour {
			t.Errorf("%v encodes as %v", d, got)
		}
	}
	if encodeValidity(4*24*time.Hour) != 0xAA || encodeValidity(24*time.Hour) != 0xA7 {
		t.Error("known values")
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, h := range []string{
		"", "00", "0004", "00040B91", // truncated
		"00040B916407281553F80000993092516195800AE8329B", // user data short
		"00440B916407281553F800009930925161958002FF00",   // header longer than data
		"0007", // reserved type
		"00040B916407281553F800209930925161958000", // compressed
	} {
		if v, err := Decode(mustHex(t, h)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%s) = %+v, %v", h, v, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, h := range []string{
		"0011000B916407281553F80000AA0AE8329BFD4697D9EC37",
		"07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
		"0006002A0B916303214365F7621162900351006211629003610000",
		"0044039121F30000622111292075000A0500030703026131",
		"004403912143000862211129207500080608041234020100780000",
	} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		switch p := v.(type) {
		case *Deliver:
			if !utf8.ValidString(p.Text) && p.Encoding != UCS2 {
				t.Fatalf("invalid text %q", p.Text)
			}
		case *Submit, *StatusReport:
		default:
			t.Fatalf("Decode returned %T", v)
		}
	})
}
