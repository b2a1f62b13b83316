package api

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
)

func TestParseParams(t *testing.T) {
	tests := []struct {
		name, raw string
		want      []param // nil with wantErr
		wantErr   string
	}{
		{name: "empty", raw: ""},
		{name: "plain", raw: "command=Hangup&CallId=Nt3uh", want: []param{{key: "command", value: "Hangup"}, {key: "callid", value: "Nt3uh"}}},
		{name: "plus and percent", raw: "CallerDisplayName=John+Smith&Url=http%3a%2f%2fapp%2fx%3fa%3d1", want: []param{{key: "callerdisplayname", value: "John Smith"}, {key: "url", value: "http://app/x?a=1"}}},
		{name: "no value", raw: "flag&x=", want: []param{{key: "flag"}, {key: "x"}}},
		{name: "semicolon is data", raw: "a=1;b=2", want: []param{{key: "a", value: "1;b=2"}}},
		{name: "first wins", raw: "CallId=a&callid=b", want: []param{{key: "callid", value: "a"}}},
		{name: "alias", raw: "TranferorParty=caller&TranferredCallId=x&Dialled=104&enteredUrl=u&DelivaryReportURL=d",
			want: []param{{key: "transferorparty", value: "caller", aliased: true}, {key: "transferredcallid", value: "x", aliased: true},
				{key: "dialed", value: "104", aliased: true}, {key: "forwardtourl", value: "u", aliased: true}, {key: "deliveryreporturl", value: "d", aliased: true}}},
		{name: "canonical beats alias", raw: "TranferorParty=callee&TransferorParty=caller", want: []param{{key: "transferorparty", value: "caller"}}},
		{name: "alias does not beat canonical", raw: "TransferorParty=caller&TranferorParty=callee", want: []param{{key: "transferorparty", value: "caller"}}},
		{name: "empty name skipped", raw: "=x&a=1", want: []param{{key: "a", value: "1"}}},
		{name: "bad escape", raw: "a=%", wantErr: "invalid URL encoding in parameter 'a'"},
		{name: "bad escape in name", raw: "%zz=1", wantErr: "invalid URL encoding in a parameter name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p params
			err := parseParams(&p, tc.raw)
			if tc.wantErr != "" {
				if err == nil || parseDetail(err) != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(p.list, tc.want) {
				t.Fatalf("got %+v %v, want %+v", p.list, err, tc.want)
			}
		})
	}
}

func TestParamsLookupIgnoresCase(t *testing.T) {
	var p params
	if err := parseParams(&p, "USERNAME=u&tranferorPARTY=caller"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Username", "username", "TransferorParty"} {
		if _, ok := p.get(name); !ok {
			t.Errorf("%s not found", name)
		}
	}
}

func TestAppendText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`plain 'quoted' "text"`, `plain 'quoted' "text"`},
		{"a<b>&c", "a&lt;b&gt;&amp;c"},
		{"tab\tnew\nline", "tab\tnew\nline"},
		{"cr\r\n", "cr&#xD;\n"},
		{"nul\x00bell\x07", "nul\uFFFDbell\uFFFD"},
		{"bad \xff\xfe utf8", "bad \uFFFD\uFFFD utf8"},
		{"non-char \uFFFE\uFFFF", "non-char \uFFFD\uFFFD"},
		{"ünïcødé ☎ 𝄞", "ünïcødé ☎ 𝄞"},
	}
	for _, tc := range tests {
		if got := string(appendText(nil, tc.in)); got != tc.want {
			t.Errorf("appendText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// writeTestDocument renders an envelope with one nested text element.
func writeTestDocument(code Code, message, text string) []byte {
	var w xmlWriter
	w.envelope(code, message)
	w.open("Outer")
	w.leaf("Inner", text)
	w.close("Outer")
	w.finish()
	return w.buf
}

type testDocument struct {
	XMLName xml.Name `xml:"Response"`
	Code    int      `xml:"Code"`
	Message string   `xml:"Message"`
	Inner   string   `xml:"Outer>Inner"`
}

// xmlSafe is what appendText promises a parser reads back: each invalid
// byte and each character XML forbids replaced by U+FFFD.
func xmlSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		allowed := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000
		if !allowed {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestXMLWriterRoundTrip(t *testing.T) {
	doc := writeTestDocument(CodeCallNotFound, "a\r\nb <&> 'c' \"d\"\x01", "")
	var got testDocument
	if err := xml.Unmarshal(doc, &got); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if got.Code != 601 || got.Message != xmlSafe("a\r\nb <&> 'c' \"d\"\x01") || got.Inner != "" {
		t.Fatalf("read back %+v", got)
	}
	if !strings.Contains(string(doc), "    <Inner />\n") {
		t.Fatalf("empty element not written as <Inner />:\n%s", doc)
	}
}
