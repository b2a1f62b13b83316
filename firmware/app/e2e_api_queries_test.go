package app

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// queryAnswer is what a third-party client decodes of the query
// commands' answers (net/http and encoding/xml only).
type queryAnswer struct {
	Code         int    `xml:"Code"`
	Message      string `xml:"Message"`
	TotalRecords int    `xml:"TotalRecords"`
	History      []struct {
		Source, Destination, State, Dialed, CallId, Direction string
	} `xml:"CallHistory>Call"`
	Contacts []struct {
		Name, PhoneNumber, Email string
	} `xml:"Contacts>Contact"`
	Types      []string `xml:"ExtensionTypes>ExtensionType"`
	Extensions []struct {
		PhoneNumber, Type, State string
	} `xml:"Extensions>ExtensionSummary"`
}

// queryPost POSTs a form to /api, as applications that keep credentials
// out of URLs do, and decodes the answer.
func queryPost(t *testing.T, a *App, pairs ...string) queryAnswer {
	t.Helper()
	form := url.Values{"Username": {apiTestUser}, "Password": {apiTestPassword}}
	for i := 0; i+1 < len(pairs); i += 2 {
		form.Set(pairs[i], pairs[i+1])
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+a.APIAddr()+"/api", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	body := rawAPI(t, req)
	var q queryAnswer
	if err := xml.Unmarshal([]byte(body), &q); err != nil {
		t.Fatalf("%v: not XML: %v\n%s", pairs, err, body)
	}
	return q
}

// TestAPIQueries: the query commands on the running firmware. Two failed
// calls from 101 (to unregistered 103, to unknown 555) are in the
// history, found by filters and pages (also by GetCallHistory's General);
// a CSV address book dropped in the data dir is listed, filtered and
// paged (also by the ListAddressbokkContacts spelling); ListExtensions
// filters by Type and shows 101's live registration; ListExtensionTypes
// lists the types.
func TestAPIQueries(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := apiTestConfig(t)
	if err := os.MkdirAll(cfg.AddressbookDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	csv := "Full Name;Work Phone;Mobile;E-mail\nReception;101;;reception@example.com\nAlice Smith;(555) 010-0100;+36301112222;alice@example.com\nBob;;+36309998888;bob@example.org\n"
	if err := os.WriteFile(filepath.Join(cfg.AddressbookDir(), "Office.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startTestApp(t, cfg)
	for _, c := range []struct{ dialed, code string }{{"103", "480"}, {"555", "404"}} {
		if err := caller(t, a, "uac_fail.xml", "", c.dialed, map[string]string{"CODE": c.code}).Wait(); err != nil {
			t.Fatalf("call to %s: %v", c.dialed, err)
		}
	}
	waitFor(t, "two history records", func() bool { return a.hist.Len() >= 2 })

	history := func(q queryAnswer) string {
		var s []string
		for _, h := range q.History {
			s = append(s, h.Dialed+":"+h.State)
		}
		return strings.Join(s, ",")
	}
	contacts := func(q queryAnswer) string {
		var s []string
		for _, c := range q.Contacts {
			s = append(s, c.Name+"/"+c.PhoneNumber)
		}
		return strings.Join(s, ",")
	}
	const lch, lac = "ListCallHistory", "ListAddressbookContacts"
	for _, tc := range []struct {
		name   string
		pairs  []string // command first
		render func(queryAnswer) string
		total  int
		want   string
	}{
		{"history, newest first", []string{lch}, history, 2, "555:NotFound,103:NotRegistered"},
		{"history by state", []string{lch, "State", "notfound"}, history, 1, "555:NotFound"},
		{"history by source", []string{lch, "Source", "101", "Direction", "Internal"}, history, 2, "555:NotFound,103:NotRegistered"},
		{"history, second page of one", []string{lch, "RowsPerPage", "1", "PageNumber", "1"}, history, 2, "103:NotRegistered"},
		{"history past the end", []string{lch, "RowsPerPage", "5", "PageNumber", "3"}, history, 2, ""},
		{"GetCallHistory General", []string{"GetCallHistory", "General", "registered"}, history, 1, "103:NotRegistered"},
		{"whole book", []string{lac, "AddressbookName", "office"}, contacts, 3, "Reception/101,Alice Smith/(555) 010-0100,Bob/+36309998888"},
		{"contacts by phone digits", []string{lac, "AddressbookName", "Office", "PhoneNumber", "555 0100"}, contacts, 1, "Alice Smith/(555) 010-0100"},
		{"contacts by e-mail, misspelt command", []string{"ListAddressbokkContacts", "AddressbookName", "Office", "Email", "EXAMPLE.COM"}, contacts, 2,
			"Reception/101,Alice Smith/(555) 010-0100"},
		{"contacts page", []string{lac, "AddressbookName", "Office", "RowsPerPage", "2", "PageNumber", "1"}, contacts, 3, "Bob/+36309998888"},
	} {
		q := queryPost(t, a, append([]string{"command"}, tc.pairs...)...)
		if got := tc.render(q); q.Code != 200 || q.TotalRecords != tc.total || got != tc.want {
			t.Errorf("%s: %d %q total %d %q, want %d %q", tc.name, q.Code, q.Message, q.TotalRecords, got, tc.total, tc.want)
		}
	}
	if q := queryPost(t, a, "command", "ListCallHistory", "PageNumber", "-1"); q.Code != 302 ||
		q.Message != "Missing or invalid parameter 'PageNumber' for command 'ListCallHistory'" {
		t.Errorf("bad page: %d %q", q.Code, q.Message)
	}
	if q := queryPost(t, a, "command", "ListAddressbookContacts", "AddressbookName", "Nope"); q.Code != 302 ||
		q.Message != "Missing or invalid parameter 'AddressbookName' for command 'ListAddressbookContacts'" {
		t.Errorf("unknown book: %d %q", q.Code, q.Message)
	}

	if q := queryPost(t, a, "command", "ListExtensionTypes"); q.Code != 200 || strings.Join(q.Types, ",") != "Phone,API extension,IVR extension" {
		t.Errorf("ListExtensionTypes: %+v", q)
	}
	phone(t, a, "101", "uas_answer.xml", "uas_wait.part", map[string]string{}, false) // registered; never called
	waitFor(t, "101 Connected", func() bool {
		q := queryPost(t, a, "command", "ListExtensions", "Type", "phone")
		return q.Code == 200 && len(q.Extensions) == 3 && q.Extensions[0].PhoneNumber == "101" && q.Extensions[0].State == "Connected" &&
			q.Extensions[1].State == "Disconnected"
	})
	if q := queryPost(t, a, "command", "ListExtensions", "Type", "API extension"); q.Code != 200 || len(q.Extensions) != 0 {
		t.Errorf("API extensions: %+v", q)
	}
}
