package addressbook

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// FuzzImportCSV: any input is either refused with an error or yields
// contacts within the limits, without control characters, that survive
// WriteCSV and ParseCSV unchanged.
func FuzzImportCSV(f *testing.F) {
	for _, seed := range []string{
		"Name,PhoneNumber,Mobile,Email\nJohn Smith,+36 1 234 5678,06-30-123-4567,john@example.com\n",
		"\uFEFFName;Phone\r\n\"Kovács, Éva\";+36 20 111\r\n",
		"First Name,Last Name,Business Phone,E-mail Address\nJane,Doe,555-0100,jane@acme.com\n",
		"Name\tPhone\nFax\t*99#\n", "Name,Phone\nA,1\nB,2,3\n", "Name,Phone\n\"B\"x,2\n", "", "\"", "Name\n\"\n",
		"Name,Phone\nC\xff,3\n", "a,b\n1,2\n", "Name,Name,Phone,Phone\n,x,,1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		contacts, err := ParseCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(contacts) > MaxContacts {
			t.Fatalf("%d contacts", len(contacts))
		}
		for _, c := range contacts {
			if c == (Contact{}) {
				t.Fatal("empty contact")
			}
			for _, v := range []string{c.Name, c.PhoneNumber, c.Mobile, c.Email} {
				if len(v) > MaxFieldBytes || strings.ContainsFunc(v, unicode.IsControl) || v != strings.TrimSpace(v) {
					t.Fatalf("bad value %q in %+v", v, c)
				}
			}
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, contacts); err != nil {
			t.Fatal(err)
		}
		again, err := ParseCSV(&buf)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(contacts, again) {
			t.Fatalf("round trip:\n got %q\nwant %q", again, contacts)
		}
	})
}
