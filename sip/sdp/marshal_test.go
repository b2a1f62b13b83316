package sdp

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestMarshalCanonical(t *testing.T) {
	offer := NewOffer(Origin{SessionID: 42, SessionVersion: 1}, addr("127.0.0.1"), 4000, []Format{PCMU, PCMA, TelephoneEvent}, SendRecv)
	offer.Media[0].Ptime = 20
	offer.Media[0].RTCPMux = true
	offer.Media[0].Crypto = []string{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"}

	full := &Session{
		Origin:    Origin{Username: "gatepbx", SessionID: 1, SessionVersion: 2, Addr: addr("2001:db8::5")},
		Direction: Inactive,
		Other:     []string{"group:BUNDLE 0"},
		Media: []Media{{
			Type: "audio", Port: 5000, Proto: "RTP/SAVP", Conn: addr("2001:db8::5"),
			Formats: []Format{{PT: 111, Name: "opus", Rate: 48000, Channels: 2, Fmtp: "minptime=10"}, {PT: 96}},
			Other:   []string{"mid:0"},
		}, {
			Type: "image", Port: 0, Proto: "udptl", RawFormats: []string{"t38"},
		}},
	}

	tests := []struct {
		name string
		s    *Session
		want string
	}{
		{"our offer", offer, crlf(`v=0
o=- 42 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 4000 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz
a=rtcp-mux
`)},
		{"IPv6, session attributes, empty name, non-RTP section", full, crlf(`v=0
o=gatepbx 1 2 IN IP6 2001:db8::5
s= 
t=0 0
a=inactive
a=group:BUNDLE 0
m=audio 5000 RTP/SAVP 111 96
c=IN IP6 2001:db8::5
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10
a=mid:0
m=image 0 udptl t38
`)},
		{"zero value", &Session{}, crlf(`v=0
o=- 0 0 IN IP4 0.0.0.0
s= 
t=0 0
`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.s.Marshal())
			if got != tt.want {
				t.Errorf("Marshal\n got: %q\nwant: %q", got, tt.want)
			}
			if _, err := Parse([]byte(got)); err != nil && tt.s.Media != nil {
				t.Errorf("Parse(Marshal()): %v", err)
			}
		})
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	bodies := map[string]string{
		"sipp": sippUAC, "linphone": linphoneLike, "baresip": baresipLike, "polycom": polycomLike,
		"ipv6": ipv6Body, "hold 0.0.0.0": holdOldStyle, "session sendonly": holdSessionSendonly,
		"audio video t38": audioVideoT38,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			s, err := Parse([]byte(body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out := s.Marshal()
			if bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) {
				t.Errorf("Marshal output has a bare LF: %q", out)
			}
			again, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(Marshal()): %v\n%s", err, out)
			}
			if !reflect.DeepEqual(s, again) {
				t.Errorf("round trip changed the session\nbefore: %+v\n after: %+v", s, again)
			}
			if out2 := again.Marshal(); !bytes.Equal(out, out2) {
				t.Errorf("Marshal is not stable\nfirst:  %q\nsecond: %q", out, out2)
			}
		})
	}
}

// TestMarshalCannotBeInjected: values set by code (perhaps copied from
// another leg) cannot add lines to the output.
func TestMarshalCannotBeInjected(t *testing.T) {
	s := NewOffer(Origin{Username: "a b\r\nm=video"}, addr("127.0.0.1"), 4000, []Format{{PT: 96, Name: "x/y\r\n", Rate: 8000, Fmtp: "p=1\r\na=evil"}}, "")
	s.Name = "name\r\nc=IN IP4 6.6.6.6"
	s.Other = []string{"x\na=sendonly"}
	s.Media[0].Type = "audio\r\n"
	s.Media[0].Other = []string{"y\x00\r\nm=audio 1 RTP/AVP 0"}
	s.Media[0].Crypto = []string{"1 z\r\n"}
	out := s.Marshal()
	parsed, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(Marshal()): %v\n%s", err, out)
	}
	if lines := strings.Count(string(out), "\r\n"); lines != 11 || strings.Count(string(out), "\n") != lines {
		t.Errorf("output has %d CRLF lines (want 11):\n%q", lines, out)
	}
	if len(parsed.Media) != 1 || parsed.Conn != addr("127.0.0.1") || parsed.Direction != "" {
		t.Errorf("injected content took effect: %+v", parsed)
	}
}

func TestAudioAddrAndDirection(t *testing.T) {
	session := func(conn string, dir Direction, media ...Media) *Session {
		s := &Session{Direction: dir, Media: media}
		if conn != "" {
			s.Conn = addr(conn)
		}
		return s
	}
	tests := []struct {
		name      string
		s         *Session
		wantIndex int
		wantAddr  netip.AddrPort
		wantDir   Direction
	}{
		{"session c=, no direction", session("192.0.2.1", "", Media{Type: "audio", Port: 4000}),
			0, netip.MustParseAddrPort("192.0.2.1:4000"), SendRecv},
		{"media c= wins, media direction", session("192.0.2.1", "", Media{Type: "audio", Port: 4000, Conn: addr("192.0.2.2"), Direction: RecvOnly}),
			0, netip.MustParseAddrPort("192.0.2.2:4000"), RecvOnly},
		{"session-level sendonly", session("192.0.2.1", SendOnly, Media{Type: "audio", Port: 4000}),
			0, netip.MustParseAddrPort("192.0.2.1:4000"), SendOnly},
		{"media direction overrides session", session("192.0.2.1", SendOnly, Media{Type: "audio", Port: 4000, Direction: SendRecv}),
			0, netip.MustParseAddrPort("192.0.2.1:4000"), SendRecv},
		{"0.0.0.0 hold is sendonly", session("0.0.0.0", "", Media{Type: "audio", Port: 4000}),
			0, netip.MustParseAddrPort("0.0.0.0:4000"), SendOnly},
		{"0.0.0.0 with recvonly is inactive", session("0.0.0.0", "", Media{Type: "audio", Port: 4000, Direction: RecvOnly}),
			0, netip.MustParseAddrPort("0.0.0.0:4000"), Inactive},
		{":: hold is sendonly", session("::", "", Media{Type: "audio", Port: 4000}),
			0, netip.MustParseAddrPort("[::]:4000"), SendOnly},
		{"port 0 is inactive", session("192.0.2.1", "", Media{Type: "audio", Port: 0}),
			0, netip.MustParseAddrPort("192.0.2.1:0"), Inactive},
		{"first active audio after video and rejected audio", session("192.0.2.1", "",
			Media{Type: "video", Port: 5000}, Media{Type: "audio", Port: 0}, Media{Type: "Audio", Port: 4002, Direction: Inactive}),
			2, netip.MustParseAddrPort("192.0.2.1:4002"), Inactive},
		{"no address", session("", "", Media{Type: "audio", Port: 4000}),
			0, netip.AddrPort{}, SendRecv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, i := tt.s.Audio()
			if i != tt.wantIndex || m != &tt.s.Media[i] {
				t.Fatalf("Audio() index %d, want %d", i, tt.wantIndex)
			}
			if got := m.Addr(tt.s); got != tt.wantAddr {
				t.Errorf("Addr = %v, want %v", got, tt.wantAddr)
			}
			if got := m.EffectiveDirection(tt.s); got != tt.wantDir {
				t.Errorf("EffectiveDirection = %q, want %q", got, tt.wantDir)
			}
		})
	}
	if m, i := (&Session{Media: []Media{{Type: "video", Port: 1}}}).Audio(); m != nil || i != -1 {
		t.Errorf("Audio() without audio = %v, %d", m, i)
	}
}

func TestDirectionReverse(t *testing.T) {
	for in, want := range map[Direction]Direction{SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive, SendRecv: SendRecv, "": SendRecv} {
		if got := in.Reverse(); got != want {
			t.Errorf("%q.Reverse() = %q, want %q", in, got, want)
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	s, err := Parse([]byte(polycomLike))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Clone()
	c.Media[0].Formats[0].Name = "changed"
	c.Media[0].Crypto[0] = "changed"
	c.Media = append(c.Media, Media{})
	if s.Media[0].Formats[0].Name != "G722" || s.Media[0].Crypto[0] == "changed" || len(s.Media) != 1 {
		t.Errorf("Clone shares memory with the original")
	}
}

func TestFormatString(t *testing.T) {
	for f, want := range map[Format]string{
		PCMU:           "0 PCMU/8000",
		TelephoneEvent: "101 telephone-event/8000",
		{PT: 111, Name: "opus", Rate: 48000, Channels: 2}: "111 opus/48000/2",
	} {
		if got := f.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
