package api

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseParams: any input either fails with a parse error or yields
// parameters within the limits, under lower-case canonical names, that
// survive being encoded and parsed again.
func FuzzParseParams(f *testing.F) {
	for _, seed := range []string{
		"", "command=Hangup&CallId=Nt3uh&Username=HTTP_User_1&Password=qwe123",
		"CallerDisplayName=John+Smith&Url=http%3a%2f%2fx", "TranferorParty=caller&TransferorParty=callee",
		"a=%", "%zz=1", "a=1;b=2&&&=x", strings.Repeat("p=1&", 70), "t=" + strings.Repeat("%41", 4097),
		"\x00=\xff&%C3%A9=%E2%98%8E",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var p params
		if err := parseParams(&p, raw); err != nil {
			if parseDetail(err) == err.Error() {
				t.Fatalf("error %v does not wrap errParse", err)
			}
			return
		}
		if len(p.list) > maxParams {
			t.Fatalf("%d parameters", len(p.list))
		}
		again := url.Values{}
		for _, pr := range p.list {
			if len(pr.key) > maxNameBytes || len(pr.value) > maxValueBytes || pr.key != asciiLower(pr.key) || pr.key == "" {
				t.Fatalf("bad parameter %+v", pr)
			}
			if _, isAlias := paramAliases[pr.key]; isAlias {
				t.Fatalf("alias %q kept as a key", pr.key)
			}
			again.Set(pr.key, pr.value)
		}
		var q params
		if err := parseParams(&q, again.Encode()); err != nil {
			t.Fatalf("re-encoded parameters do not parse: %v", err)
		}
		for _, pr := range p.list {
			if v, ok := q.get(pr.key); !ok || v != pr.value {
				t.Fatalf("%q: %q after re-encoding, want %q", pr.key, v, pr.value)
			}
		}
	})
}

// FuzzXMLWriter: whatever text goes in, the document is well-formed and a
// parser reads back the code and exactly the XML-safe form of the text.
func FuzzXMLWriter(f *testing.F) {
	f.Add(200, "Command successfully executed", "Nt3uh")
	f.Add(301, "Not implemented command: '<x a=\"1\">&''", "")
	f.Add(300, "\r\n\x00\xff\uFFFE]]>", "<![CDATA[ x ]]>")
	f.Add(-1, "&amp; &#x0; &lt;", "\t")
	f.Fuzz(func(t *testing.T, code int, message, text string) {
		doc := writeTestDocument(Code(code), message, text)
		var got testDocument
		if err := xml.Unmarshal(doc, &got); err != nil {
			t.Fatalf("not well-formed: %v\n%q", err, doc)
		}
		if got.Code != code || got.Message != xmlSafe(message) || got.Inner != xmlSafe(text) {
			t.Fatalf("read back %+v from %q", got, doc)
		}
	})
}

// FuzzServe: any query and body get HTTP 200 and a well-formed envelope.
func FuzzServe(f *testing.F) {
	f.Add("command=ListActiveCalls&Username=app&Password=app-secret", "")
	f.Add("command=Hangup&Username=app&Password=app-secret", "CallId=Nt3uh")
	f.Add("command=ListCallHistory&Username=app&Password=app-secret&PageNumber=9223372036854775807&RowsPerPage=1000", "")
	f.Add("", "command=%ff&Username=app&Password=app-secret")
	h := New(Options{Calls: &fakeCalls{calls: testCalls()}, History: testHistory(), Extensions: testExtensions(),
		Users: testUsers, CheckPassword: (&fakeChecker{}).check, AuthFailureLimit: -1})
	f.Fuzz(func(t *testing.T, query, body string) {
		req := httptest.NewRequest(http.MethodPost, "/api", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var resp xmlResponse
		if rec.Code != http.StatusOK || xml.Unmarshal(rec.Body.Bytes(), &resp) != nil || resp.Code < 200 {
			t.Fatalf("HTTP %d, body %q", rec.Code, rec.Body.Bytes())
		}
	})
}
