package ozml

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		verbs string // canonical verb names
		check func(t *testing.T, d *Document)
	}{
		{"seed example", seedExample, "speak delay blindtransfer speak", func(t *testing.T, d *Document) {
			if v, _ := d.Root.Children[2].Param("target"); v != "102" {
				t.Errorf("BlindTransfer target = %q", v)
			}
			if v, _ := d.Root.Children[1].Param("time"); v != "1" {
				t.Errorf("Delay time = %q", v)
			}
		}},
		{"lower-case root", `<response><speak>x</speak></response>`, "speak", nil},
		{"OzML root", `<OzML><Speak>x</Speak></OzML>`, "speak", nil},
		{"BOM, leading space, encoding", "\ufeff \n<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>", "hangup", nil},
		{"latin-1", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Response><Speak>caf\xe9</Speak></Response>", "speak", func(t *testing.T, d *Document) {
			if d.Root.Children[0].Text != "café" {
				t.Errorf("text %q", d.Root.Children[0].Text)
			}
		}},
		{"aliases", `<Response><Forward Destination="104"/><UserInput ForwardToURL="a"/><UserInput enteredUrl="b"/><Call Dialled="5"/></Response>`,
			"forwardcall userinput userinput call", func(t *testing.T, d *Document) {
				c := d.Root.Children
				if c[1].Attrs["forwardtourl"] != "a" || c[2].Attrs["forwardtourl"] != "b" || c[3].Attrs["dialed"] != "5" {
					t.Errorf("attrs %v %v %v", c[1].Attrs, c[2].Attrs, c[3].Attrs)
				}
			}},
		{"attribute beats text; first spelling wins", `<Response><Speak Text="attr" text="second">body</Speak></Response>`, "speak", func(t *testing.T, d *Document) {
			if v, _ := d.Root.Children[0].Param("text"); v != "attr" {
				t.Errorf("text = %q", v)
			}
		}},
		{"namespaces and comments", `<Response xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><!-- c --><Speak>a<!-- c -->b</Speak></Response>`, "speak", func(t *testing.T, d *Document) {
			if d.Root.Attrs != nil || d.Root.Children[0].Text != "ab" {
				t.Errorf("root attrs %v text %q", d.Root.Attrs, d.Root.Children[0].Text)
			}
		}},
		{"menu structure", twoLevelMenu, "userinput speak", func(t *testing.T, d *Document) {
			in := d.Root.Children[0].Child("inputs")
			if in == nil || len(in.Children) != 2 || in.Children[1].Attrs["key"] != "2" {
				t.Fatalf("inputs %+v", in)
			}
			if sub := in.Children[1].Children[0]; sub.Name != "userinput" || sub.Line != 7 {
				t.Errorf("nested %s at line %d", sub.Name, sub.Line)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.doc), Limits{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var names []string
			for _, c := range d.Root.Children {
				names = append(names, c.Name)
			}
			if got := strings.Join(names, " "); got != tc.verbs {
				t.Errorf("verbs %q, want %q", got, tc.verbs)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		lim   Limits
		want  string // in the error
		limit bool
	}{
		{"unclosed", "<Response>\n  <Speak>x</Speak>\n", Limits{}, "line 3, column 1: ", false},
		{"mismatched", "<Response>\n<Speak>x</Delay></Response>", Limits{}, "line 2, column 17: element <Speak> closed by </Delay>", false},
		{"bad entity", "<Response><Speak>&nope;</Speak></Response>", Limits{}, "line 1, column ", false},
		{"wrong root", `<Html/>`, Limits{}, "line 1, column 1: root element is <Html>", false},
		{"unknown verb", "<Response>\n  <Dance/></Response>", Limits{}, "line 2, column 3: unknown element <Dance>", false},
		{"misplaced part", `<Response><Input key="1"/></Response>`, Limits{}, "<Input> is not allowed inside <Response>", false},
		{"verb in Inputs", `<Response><UserInput><Inputs><Speak/></Inputs></UserInput></Response>`, Limits{}, "<Speak> is not allowed inside <Inputs>", false},
		{"children of a leaf", `<Response><Speak><Beep/></Speak></Response>`, Limits{}, "<Beep> is not allowed inside <Speak>", false},
		{"two roots", `<Response/><Response/>`, Limits{}, "content after the root", false},
		{"text outside", `hello`, Limits{}, "text outside", false},
		{"unknown encoding", `<?xml version="1.0" encoding="EBCDIC"?><Response/>`, Limits{}, "EBCDIC", false},
		{"too large", `<Response>` + strings.Repeat(" ", 100) + `</Response>`, Limits{MaxDocumentBytes: 64}, "more than 64", true},
		{"nesting limit", "<Response>" + strings.Repeat(`<ForEach source="a">`, 40) + strings.Repeat("</ForEach>", 40) + "</Response>",
			Limits{}, "nesting deeper than 32", true},
		{"element limit", "<Response>" + strings.Repeat("<Beep/>", 11) + "</Response>", Limits{MaxElements: 10}, "line 1, column 74: more than 10 elements", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), tc.lim)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
			if errors.Is(err, ErrLimit) != tc.limit {
				t.Errorf("errors.Is(ErrLimit) = %v", !tc.limit)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, body := range []string{"", "  \r\n", "\ufeff", `<?xml version="1.0"?>`, "<!-- nothing -->"} {
		if _, err := Parse([]byte(body), Limits{}); !errors.Is(err, ErrEmpty) {
			t.Errorf("Parse(%q) = %v, want ErrEmpty", body, err)
		}
	}
}

func TestSubst(t *testing.T) {
	v := newVars(100)
	_ = v.set("item", "A")
	_ = v.set("Items", "B")
	_ = v.set("x", "$item")
	tests := []struct{ in, want string }{
		{"no vars", "no vars"},
		{"$item.wav", "A.wav"},
		{"$items", "B"},          // the longest defined name
		{"$ITEM$itemz", "AAz"},   // case-insensitive, textual
		{"$x", "$item"},          // values are not expanded again
		{"$5 and $", "$5 and $"}, // undefined stays
		{"$$item", "$A"},
	}
	for _, tc := range tests {
		if got, err := v.subst(tc.in); got != tc.want || err != nil {
			t.Errorf("subst(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := v.subst(strings.Repeat("$item", 200)); !errors.Is(err, ErrLimit) {
		t.Errorf("overflow: %v", err)
	}
	if err := v.set("big", strings.Repeat("z", 200)); !errors.Is(err, ErrLimit) {
		t.Errorf("set over the limit: %v", err)
	}
}

func TestParseSeconds(t *testing.T) {
	good := map[string]time.Duration{"1": time.Second, "0": 0, "2.5": 2500 * time.Millisecond, ".5": 500 * time.Millisecond, "10.": 10 * time.Second, "0.0000000001": 0}
	for s, want := range good {
		if got, err := parseSeconds(s); err != nil || got != want {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "1s", "abc", ".", "1e3", "99999999999"} {
		if _, err := parseSeconds(s); err == nil {
			t.Errorf("parseSeconds(%q) accepted", s)
		}
	}
}

func TestRouteDecision(t *testing.T) {
	tests := []struct {
		body string
		want Route
		ok   bool
		err  bool
	}{
		{"", Route{}, false, false},
		{`<Response></Response>`, Route{}, false, false},
		{`<Response><Route Destination="102" RingTime="30" CallerId="555"/></Response>`, Route{Destination: "102", RingTime: 30 * time.Second, CallerID: "555"}, true, false},
		{`<response><route>trunk1</route></response>`, Route{Destination: "trunk1"}, true, false},
		{`<Response><Route/></Response>`, Route{}, true, false},
		{`<Response><Route DialedNumber="0036" Destination="sip-trunk"/></Response>`, Route{Destination: "sip-trunk", DialedNumber: "0036"}, true, false},
		{`<Response><Route RingTime="x"/></Response>`, Route{}, false, true},
		{`<Response><Route>`, Route{}, false, true},
	}
	for _, tc := range tests {
		got, ok, err := RouteDecision([]byte(tc.body), Limits{})
		if got != tc.want || ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("RouteDecision(%q) = %+v, %v, %v", tc.body, got, ok, err)
		}
	}
}

// TestEveryOzMLVerb checks that every command the reference marks usable
// in OzML (O and H+O, section 3; aliases of section 4) is a known verb.
func TestEveryOzMLVerb(t *testing.T) {
	verbs := []string{"BlindTransfer", "AttendedTransfer", "ForwardCall", "Forward", "Hangup", "Hold", "Unhold",
		"SendDTMF", "Play", "Speak", "Record", "Call", "CallSetup", "Request", "Reject", "Route",
		"SendSMS", "SendSms", "SendEmail", "SendAlarmNotification", "SendMsg", "WaitForMsg", "ReceiveAlarmNotification",
		"Delay", "Beep", "Var", "Array", "ForEach", "GoTo", "Exit", "DeleteFile", "MoveFile", "UserInput"}
	for _, v := range verbs {
		d, err := Parse([]byte("<Response><"+v+"/></Response>"), Limits{})
		if err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		if got := d.Root.Children[0].DisplayName(); !strings.EqualFold(got, v) && !(v == "Forward" && got == "ForwardCall") {
			t.Errorf("%s displays as %s", v, got)
		}
	}
}
