package ua

import (
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/sip/registrar"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

// bodyRequest is a request to 102 with a body of Content-Type ctype
// (none when "").
func bodyRequest(method sip.RequestMethod, ctype, body string) *sip.Request {
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: "102", Host: "127.0.0.1"})
	if ctype != "" {
		req.AppendHeader(sip.NewHeader("Content-Type", ctype))
	}
	req.SetBody([]byte(body))
	return req
}

func infoRequest(ctype, body string) *sip.Request { return bodyRequest(sip.INFO, ctype, body) }

func TestInfoDigit(t *testing.T) {
	tests := []struct {
		ctype, body string
		want        byte
		ok          bool
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', true},
		{"Application/DTMF-Relay", "signal= #\nDuration=100", '#', true},
		{"application/dtmf-relay", "Signal=a\r\n", 'A', true},
		{"application/dtmf", "9", '9', true},
		{"application/dtmf", "*\r\n", '*', true},
		{"application/dtmf-relay", "Signal=55", 0, false},
		{"application/dtmf-relay", "Signal=x", 0, false},
		{"application/dtmf-relay", "Duration=160", 0, false},
		{"text/plain", "Signal=5", 0, false},
		{"", "Signal=5", 0, false},
		{"application/dtmf-relay", "Signal=10\r\nDuration=100\r\n", '*', true},
		{"application/dtmf-relay", "Signal=11", '#', true},
		{"application/dtmf-relay", "Signal=15", 'D', true},
		{"application/dtmf-relay", "Signal=16", 0, false},
		{"application/dtmf-relay", "Signal=09", 0, false},
		{"application/dtmf-relay", "Signal=+1", 0, false},
		{"application/dtmf-relay; charset=utf-8", "Signal=3", '3', true},
		{"application/dtmf-relay", "Duration=160\r\nSignal=7\r\nSignal=8", '7', true},
		{"application/dtmf-relayx", "Signal=5", 0, false},
		{"application/dtmfx", "5", 0, false},
		{"application/dtmf", "", 0, false},
	}
	for _, tc := range tests {
		got, ok := infoDigit(infoRequest(tc.ctype, tc.body))
		if got != tc.want || ok != tc.ok {
			t.Errorf("infoDigit(%q, %q) = %q %v, want %q %v", tc.ctype, tc.body, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzInfoDigit(f *testing.F) {
	f.Add("application/dtmf-relay", "Signal=5\r\nDuration=160")
	f.Add("application/dtmf", "#")
	f.Add("application/dtmf-relay", "Signal==\n=\n")
	f.Add("application/dtmf-relay; x=y", "Signal=11\r\n")
	f.Fuzz(func(t *testing.T, ctype, body string) {
		d, ok := infoDigit(infoRequest(ctype, body))
		if ok && !('0' <= d && d <= '9' || d == '*' || d == '#' || 'A' <= d && d <= 'D') {
			t.Fatalf("accepted digit %q", d)
		}
	})
}

func TestDestination(t *testing.T) {
	src := netip.MustParseAddrPort("192.0.2.10:40000")
	tests := []struct {
		name, transport, contact string
		want                     string
	}{
		{"same host other port", "UDP", "sip:101@192.0.2.10:5062", "192.0.2.10:5062"},
		{"same host default port", "UDP", "sip:101@192.0.2.10", "192.0.2.10:5060"},
		{"behind NAT", "UDP", "sip:101@10.0.0.7:5060", "192.0.2.10:40000"},
		{"host name contact", "UDP", "sip:101@phone.example:5060", "192.0.2.10:40000"},
		{"tcp always source", "TCP", "sip:101@192.0.2.10:5062;transport=tcp", "192.0.2.10:40000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var u sip.Uri
			if err := sip.ParseUri(tc.contact, &u); err != nil {
				t.Fatal(err)
			}
			got := destination(registrar.Binding{Source: src, Transport: tc.transport}, u)
			if got.String() != tc.want {
				t.Fatalf("destination = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMirrorAndHelpers(t *testing.T) {
	for in, want := range map[sdp.Direction]sdp.Direction{
		sdp.SendOnly: sdp.RecvOnly, sdp.RecvOnly: sdp.SendOnly, sdp.Inactive: sdp.Inactive, sdp.SendRecv: "", "": "",
	} {
		if got := mirror(in); got != want {
			t.Errorf("mirror(%q) = %q, want %q", in, got, want)
		}
	}
	if !isSDP("Application/SDP; charset=x") || isSDP("application/sd") || isSDP("text/plain") {
		t.Error("isSDP")
	}
	if hasAudioCodec([]sdp.Format{sdp.TelephoneEvent}) || !hasAudioCodec([]sdp.Format{sdp.PCMA}) {
		t.Error("hasAudioCodec")
	}
	if statusText(486) != "Busy Here" || statusText(499) != "Error" {
		t.Error("statusText")
	}
}

func TestParseReferTo(t *testing.T) {
	tests := []struct {
		in, target, replaces string
		ok                   bool
	}{
		{"<sip:103@127.0.0.1:5060>", "103", "", true},
		{`"Reception" <sip:103@pbx.example;transport=udp>;foo=bar`, "103", "", true},
		{"sip:104@pbx.example", "104", "", true},
		{"sip:104@pbx.example;method=INVITE", "104", "", true},
		{"<sips:105;phone-context=x@pbx.example>", "105", "", true},
		{"<sip:103@h?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2&Require=replaces>", "103", "abc@host;to-tag=1;from-tag=2", true},
		{"<sip:103@h?replaces=x%3By>", "103", "x;y", true},
		{"<sip:%31%30%33@h>", "103", "", true},
		{"<tel:+1555>", "", "", false},
		{"<sip:pbx.example>", "", "", false},
		{"<sip:@pbx.example>", "", "", false},
		{"<sip:10 3@h>", "", "", false},
		{"<sip:103@h", "", "", false},
		{"<sip:103@h?Replaces=%zz>", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		target, replaces, ok := parseReferTo(tc.in)
		if target != tc.target || replaces != tc.replaces || ok != tc.ok {
			t.Errorf("parseReferTo(%q) = %q %q %v, want %q %q %v", tc.in, target, replaces, ok, tc.target, tc.replaces, tc.ok)
		}
	}
}

func FuzzParseReferTo(f *testing.F) {
	f.Add("<sip:103@127.0.0.1:5060>")
	f.Add(`"x" <sip:103@h?Replaces=a%40b%3Bto-tag%3D1>`)
	f.Add("sip:104@h;method=INVITE")
	f.Fuzz(func(t *testing.T, v string) {
		target, _, ok := parseReferTo(v)
		if ok && (target == "" || !validNumber(target)) {
			t.Fatalf("accepted target %q from %q", target, v)
		}
	})
}
