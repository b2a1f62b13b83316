package addressbook

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Contact
	}{
		{
			"canonical",
			"Name,PhoneNumber,Mobile,Email\nJohn Smith,+36 1 234 5678,06-30-123-4567,john@example.com\nReception,101,,\n",
			[]Contact{{"John Smith", "+36 1 234 5678", "06-30-123-4567", "john@example.com"}, {"Reception", "101", "", ""}},
		},
		{
			"headers in any case and spelling",
			"FULL NAME,telephone,Cell Phone,E-Mail\nAnna,(555) 123-4567,555.987.6543,anna@x.org\n",
			[]Contact{{"Anna", "(555) 123-4567", "555.987.6543", "anna@x.org"}},
		},
		{
			"outlook export: first non-empty phone wins, name from parts",
			"First Name,Middle Name,Last Name,Company,Business Phone,Home Phone,Mobile Phone,E-mail Address\n" +
				"Jane,,Doe,ACME,,555-0100,555-0199,jane@acme.com\n" +
				"Bob,Q,Public,,555-0200,555-0201,,\n",
			[]Contact{{"Jane Doe", "555-0100", "555-0199", "jane@acme.com"}, {"Bob Q Public", "555-0200", "", ""}},
		},
		{
			"semicolons, BOM and CRLF",
			"\uFEFFName;Phone;Email\r\n\"Kovács, Éva\";+36 20 111 2222;eva@example.hu\r\n",
			[]Contact{{"Kovács, Éva", "+36 20 111 2222", "", "eva@example.hu"}},
		},
		{
			"tabs",
			"Name\tPhone\nFax\t*99#\n",
			[]Contact{{"Fax", "*99#", "", ""}},
		},
		{
			"blank rows and unknown columns ignored, cells trimmed",
			"Notes,Name,Phone\n,,\nvip,  Boss  , 200 \n\n,,\n",
			[]Contact{{"Boss", "200", "", ""}},
		},
		{
			"quoted header with a comma is one (unknown) column",
			"\"Name, full\",Phone\nA,1\n",
			[]Contact{{PhoneNumber: "1"}},
		},
		{"header only", "Name,Phone\n", nil},
	}
	for _, tt := range tests {
		got, err := ParseCSV(strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestParseCSVErrors(t *testing.T) {
	t.Parallel()
	tooMany := "Name,Phone\n" + strings.Repeat("x,1\n", MaxContacts+1)
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty CSV: want a header row like Name,Phone,Mobile,Email"},
		{"only a BOM", "\uFEFF", "empty CSV"},
		{"no known column", "Foo,Bar\n1,2\n", `line 1: no known column in the header "Foo,Bar"`},
		{"field count", "Name,Phone\nA,1\nB,2,3\n", "line 3: the row has a different number of fields than the header (2)"},
		{"bad quote", "Name,Phone\nA,1\n\"B\"x,2\n", "line 3, column 3: extraneous or missing \" in quoted-field"},
		{"invalid UTF-8", "Name,Phone\nA,1\nB,2\nC\xff,3\n", "line 4: not UTF-8 text"},
		{"letters in a phone number", "Name,Phone\nA,1\nB,call me\n", `line 3: column "Phone": "call me" is not a phone number`},
		{"no digits in a mobile", "Name,Mobile\nA,--\n", `line 2: column "Mobile": "--" is not a phone number`},
		{"bad e-mail", "Name,E-mail\nA,nobody\n", `line 2: column "E-mail": "nobody" is not an e-mail address`},
		{"control character", "Name,Phone\n\"A\x07\",1\n", `line 2: column "Name": control characters`},
		{"line break in a name", "Name,Phone\nA,1\n\"two\nlines\",2\n", `line 3: column "Name": control characters or line breaks`},
		{"long value", "Name,Phone\n" + strings.Repeat("n", MaxFieldBytes+1) + ",1\n", `line 2: column "Name": longer than 256 bytes`},
		{"long name from parts", "First Name,Last Name\n" + strings.Repeat("a", 200) + "," + strings.Repeat("b", 200) + "\n", "line 2: name longer than 256 bytes"},
		{"too many columns", strings.Repeat("Name,", MaxColumns) + "Phone\n", "line 1: 201 columns, at most 200"},
		{"too many contacts", tooMany, fmt.Sprintf("line %d: more than %d contacts in one book", MaxContacts+2, MaxContacts)},
		{"too large", "Name\n" + strings.Repeat("x", MaxFileBytes), "CSV larger than 4194304 bytes"},
	}
	for _, tt := range tests {
		_, err := ParseCSV(strings.NewReader(tt.in))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q...", tt.name, err, tt.want)
		}
	}
}

func TestWriteCSVRoundTrip(t *testing.T) {
	t.Parallel()
	in := []Contact{
		{"Smith, John \"JJ\"", "+1 555 0100", "", "jj@example.com"},
		{"Éva", "", "06 30 123", ""},
		{"", "", "", "only@mail.example"},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "Name,PhoneNumber,Mobile,Email\n") {
		t.Errorf("header: %q", buf.String())
	}
	out, err := ParseCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n got %q\nwant %q", out, in)
	}
}
