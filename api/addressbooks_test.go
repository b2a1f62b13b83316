package api

import (
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/api/addressbook"
)

// xmlAddressbooks is what a client decodes from the address-book commands.
type xmlAddressbooks struct {
	XMLName      xml.Name     `xml:"Response"`
	Code         int          `xml:"Code"`
	Message      string       `xml:"Message"`
	Names        []string     `xml:"AddressbookNames>Name"`
	TotalRecords int          `xml:"TotalRecords"`
	Contacts     []xmlContact `xml:"Contacts>Contact"`
}

type xmlContact struct{ Name, PhoneNumber, Email string }

func decodeBooks(t *testing.T, body []byte) xmlAddressbooks {
	t.Helper()
	var r xmlAddressbooks
	if err := xml.Unmarshal(body, &r); err != nil {
		t.Fatalf("response is not XML: %v\n%s", err, body)
	}
	return r
}

// fakeBooks is an address-book source with fixed books.
type fakeBooks struct {
	names []string
	books map[string][]Contact // lower-cased names
}

func (f fakeBooks) AddressbookNames() []string { return append([]string(nil), f.names...) }

func (f fakeBooks) AddressbookContacts(name string) ([]Contact, bool) {
	c, ok := f.books[strings.ToLower(name)]
	return c, ok
}

func testBooks() fakeBooks {
	var office []Contact
	for i, n := range []string{"Reception", "Sales", "Support", "Accounts", "Boss", "Warehouse", "Fax"} {
		office = append(office, Contact{Name: n, PhoneNumber: "10" + string(rune('1'+i)), Email: strings.ToLower(n) + "@example.com"})
	}
	office[4].Mobile = "+44 7700 900123"
	office[6].Email = ""
	return fakeBooks{
		names: []string{"Customers", "Office"},
		books: map[string][]Contact{
			"office": office,
			"customers": {
				{Name: "Jane Doe & Co <ACME>", PhoneNumber: "(555) 010-0100", Email: "jane@acme.com"},
				{Name: "Kovács Éva", Mobile: "+36 20 111 2222"},
			},
		},
	}
}

func TestAddressbookCommands(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.Addressbooks = testBooks() })
	empty := newRig(t, nil)
	tests := []struct {
		golden string
		rig    *rig
		query  string
		code   int
		names  []string // contact names listed
		total  int
	}{
		{"list_addressbook_names", r, "command=ListAddressbookNames", 200, nil, 0},
		{"list_addressbook_names_empty", empty, "command=listaddressbooknames", 200, nil, 0},
		{"list_addressbook_contacts", r, "command=ListAddressbookContacts&AddressbookName=office", 200,
			[]string{"Reception", "Sales", "Support", "Accounts", "Boss", "Warehouse", "Fax"}, 7},
		{"list_addressbook_contacts_escaped", r, "command=ListAddressbokkContacts&addressbookname=CUSTOMERS", 200,
			[]string{"Jane Doe & Co <ACME>", "Kovács Éva"}, 2},
		{"list_addressbook_contacts_page", r, "command=ListAddressbookContacts&AddressbookName=Office&PageNumber=1&RowsPerPage=3", 200,
			[]string{"Accounts", "Boss", "Warehouse"}, 7},
		{"list_addressbook_contacts_past_end", r, "command=ListAddressbookContacts&AddressbookName=Office&PageNumber=9", 200, nil, 7},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Office&PageNumber=2&RowsPerPage=3", 200, []string{"Fax"}, 7},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Office&FullName=S", 200, []string{"Sales", "Support", "Accounts", "Boss", "Warehouse"}, 5},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Office&FullName=s&Email=SU", 200, []string{"Support"}, 1},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Office&Email=example.com", 200,
			[]string{"Reception", "Sales", "Support", "Accounts", "Boss", "Warehouse"}, 6},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Office&PhoneNumber=7700+900", 200, []string{"Boss"}, 1},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Customers&PhoneNumber=555-0100", 200, []string{"Jane Doe & Co <ACME>"}, 1},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Customers&PhoneNumber=%2B3620", 200, []string{"Kovács Éva"}, 1},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Customers&FullName=KOV%C3%81CS+%C3%A9", 200, []string{"Kovács Éva"}, 1},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Customers&FullName=%26+co", 200, []string{"Jane Doe & Co <ACME>"}, 1},
		{"list_addressbook_contacts_no_match", r, "command=ListAddressbookContacts&AddressbookName=Office&FullName=nobody", 200, nil, 0},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Office&RowsPerPage=0", 200,
			[]string{"Reception", "Sales", "Support", "Accounts", "Boss", "Warehouse", "Fax"}, 7},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Office&PageNumber=9223372036854775807&RowsPerPage=1000", 200, nil, 7},
		{"list_addressbook_contacts_missing_book", r, "command=ListAddressbookContacts", 302, nil, 0},
		{"list_addressbook_contacts_unknown_book", r, "command=ListAddressbookContacts&AddressbookName=Nope", 302, nil, 0},
		{"", empty, "command=ListAddressbookContacts&AddressbookName=Office", 302, nil, 0},
		{"list_addressbook_contacts_bad_page", r, "command=ListAddressbookContacts&AddressbookName=Office&PageNumber=-1", 302, nil, 0},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Office&RowsPerPage=x", 302, nil, 0},
		{"", r, "command=ListAddressbookContacts&AddressbookName=Office&PhoneNumber=abc", 302, nil, 0},
	}
	for _, tt := range tests {
		body := tt.rig.get(t, "/api?"+tt.query+appAuth)
		if tt.golden != "" {
			checkGolden(t, tt.golden, body)
		}
		resp := decodeBooks(t, body)
		if resp.Code != tt.code {
			t.Errorf("%s: code %d, want %d: %s", tt.query, resp.Code, tt.code, resp.Message)
			continue
		}
		if tt.code != 200 || strings.Contains(tt.query, "ListAddressbookNames") {
			continue
		}
		var got []string
		for _, c := range resp.Contacts {
			got = append(got, c.Name)
		}
		if !reflect.DeepEqual(got, tt.names) || resp.TotalRecords != tt.total {
			t.Errorf("%s: contacts %q (total %d), want %q (total %d)", tt.query, got, resp.TotalRecords, tt.names, tt.total)
		}
	}
}

// TestAddressbookMessages checks the 302 texts name the parameter.
func TestAddressbookMessages(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.Addressbooks = testBooks() })
	for query, want := range map[string]string{
		"command=ListAddressbookContacts":                                       "Missing or invalid parameter 'AddressbookName' for command 'ListAddressbookContacts'",
		"command=ListAddressbookContacts&AddressbookName=Nope":                  "Missing or invalid parameter 'AddressbookName' for command 'ListAddressbookContacts'",
		"command=ListAddressbookContacts&AddressbookName=Office&RowsPerPage=-5": "Missing or invalid parameter 'RowsPerPage' for command 'ListAddressbookContacts'",
		"command=ListAddressbookContacts&AddressbookName=Office&PhoneNumber=--": "Missing or invalid parameter 'PhoneNumber' for command 'ListAddressbookContacts'",
	} {
		if got := decodeBooks(t, r.get(t, "/api?"+query+appAuth)).Message; got != want {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}
}

// storeBooks adapts addressbook.Store as the firmware's wiring does.
type storeBooks struct{ s *addressbook.Store }

func (b storeBooks) AddressbookNames() []string { return b.s.Names() }

func (b storeBooks) AddressbookContacts(name string) ([]Contact, bool) {
	cs, ok := b.s.Contacts(name)
	out := make([]Contact, len(cs))
	for i, c := range cs {
		out[i] = Contact(c)
	}
	return out, ok
}

// TestAddressbookFromCSV runs an imported CSV through the real store and
// the API, over HTTP with POST.
func TestAddressbookFromCSV(t *testing.T) {
	t.Parallel()
	store, err := addressbook.Open(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	csv := "First Name;Last Name;Business Phone;Mobile Phone;E-mail Address\n" +
		"Jane;Doe;;+1 555 0199;jane@acme.com\nJohn;Smith;+1 555 0100;;\n"
	if _, err := store.Import("Partners", strings.NewReader(csv)); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, func(o *Options) { o.Addressbooks = storeBooks{store} })
	body := r.post(t, "/api", "application/x-www-form-urlencoded",
		"Command=ListAddressbookContacts&AddressbookName=partners&PhoneNumber=5550199"+appAuth)
	resp := decodeBooks(t, body)
	want := []xmlContact{{Name: "Jane Doe", PhoneNumber: "+1 555 0199", Email: "jane@acme.com"}}
	if resp.Code != 200 || resp.TotalRecords != 1 || !reflect.DeepEqual(resp.Contacts, want) {
		t.Errorf("got %+v\n%s", resp, body)
	}
	names := decodeBooks(t, r.get(t, "/api?command=ListAddressbookNames"+appAuth)).Names
	if !reflect.DeepEqual(names, []string{"Partners"}) {
		t.Errorf("names %q", names)
	}
	res, err := http.Get(r.srv.URL + "/api?command=ListAddressbookNames")
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeBooks(t, readAPIBody(t, res)); got.Code != 304 {
		t.Errorf("without credentials: %d", got.Code)
	}
}

// BenchmarkListAddressbookContacts: a phone-number search through a full
// book (10 000 contacts), the first page of the matches.
func BenchmarkListAddressbookContacts(b *testing.B) {
	book := make([]Contact, addressbook.MaxContacts)
	for i := range book {
		book[i] = Contact{Name: "Contact " + strconv.Itoa(i), PhoneNumber: "+1 555 " + strconv.Itoa(100000+i), Email: "c" + strconv.Itoa(i) + "@example.com"}
	}
	h := New(Options{Addressbooks: fakeBooks{names: []string{"big"}, books: map[string][]Contact{"big": book}},
		Users: testUsers, CheckPassword: (&fakeChecker{}).check, Location: time.UTC})
	req := httptest.NewRequest(http.MethodGet, "/api?command=ListAddressbookContacts&AddressbookName=big&PhoneNumber=555+1099"+appAuth, nil)
	w := &discardResponse{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
