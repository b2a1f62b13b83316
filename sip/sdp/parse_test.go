package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

var (
	addr = netip.MustParseAddr
	g722 = Format{PT: 9, Name: "G722", Rate: 8000, Channels: 1}
	g729 = Format{PT: 18, Name: "G729", Rate: 8000, Channels: 1}
)

func TestParseRealWorldBodies(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *Session
	}{
		{
			name: "SIPp default uac",
			body: sippUAC,
			want: &Session{
				Origin: Origin{Username: "user1", SessionID: 53655765, SessionVersion: 2353687637, Addr: addr("127.0.0.1")},
				Name:   "-",
				Conn:   addr("127.0.0.1"),
				Media:  []Media{{Type: "audio", Port: 6000, Proto: "RTP/AVP", Formats: []Format{PCMU}}},
			},
		},
		{
			name: "Linphone-like, LF endings and trailing blanks",
			body: linphoneLike,
			want: &Session{
				Origin: Origin{Username: "alice", SessionID: 3147, SessionVersion: 1573, Addr: addr("192.168.1.10")},
				Name:   "Talk",
				Conn:   addr("192.168.1.10"),
				Other:  []string{"rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics"},
				Media: []Media{{
					Type: "audio", Port: 7078, Proto: "RTP/AVP",
					Formats: []Format{
						{PT: 96, Name: "opus", Rate: 48000, Channels: 2, Fmtp: "useinbandfec=1"},
						{PT: 97, Name: "speex", Rate: 16000, Channels: 1, Fmtp: "vbr=on"},
						PCMU, PCMA,
						{PT: 101, Name: "telephone-event", Rate: 8000, Channels: 1, Fmtp: "0-15"},
					},
					Ptime:   20,
					RTCPMux: true,
					Other:   []string{"rtcp-fb:* trr-int 5000"},
				}},
			},
		},
		{
			name: "baresip-like",
			body: baresipLike,
			want: &Session{
				Origin: Origin{Username: "-", SessionID: 1185288013, SessionVersion: 3823452011, Addr: addr("10.0.0.2")},
				Name:   "-",
				Conn:   addr("10.0.0.2"),
				Media: []Media{{
					Type: "audio", Port: 10000, Proto: "RTP/AVP",
					Formats:   []Format{PCMU, PCMA, {PT: 101, Name: "telephone-event", Rate: 8000, Channels: 1, Fmtp: "0-15"}},
					Direction: SendRecv,
					Ptime:     20,
					RTCPMux:   true,
					Other:     []string{"label:1", "ssrc:2869207316 cname:c5b1e3e5-3a2c-4d0e"},
				}},
			},
		},
		{
			name: "Polycom-like with SDES and session-level direction",
			body: polycomLike,
			want: &Session{
				Origin:    Origin{Username: "-", SessionID: 1619187323, SessionVersion: 1619187323, Addr: addr("172.16.0.50")},
				Name:      "Polycom IP Phone",
				Conn:      addr("172.16.0.50"),
				Direction: SendRecv,
				Media: []Media{{
					Type: "audio", Port: 2222, Proto: "RTP/SAVP",
					Formats: []Format{
						g722,
						{PT: 102, Name: "G7221", Rate: 16000, Channels: 1, Fmtp: "bitrate=32000"},
						PCMU, PCMA,
						{PT: 18, Name: "G729", Rate: 8000, Channels: 1, Fmtp: "annexb=no"},
						{PT: 127, Name: "telephone-event", Rate: 8000, Channels: 1},
					},
					Crypto: []string{
						"1 AES_CM_128_HMAC_SHA1_80 inline:ZGVhZGJlZWZkZWFkYmVlZmRlYWRiZWVmZGVhZGJl",
						"2 AES_CM_128_HMAC_SHA1_32 inline:ZGVhZGJlZWZkZWFkYmVlZmRlYWRiZWVmZGVhZGJl",
					},
				}},
			},
		},
		{
			name: "IPv6, static payload types without rtpmap",
			body: ipv6Body,
			want: &Session{
				Origin: Origin{Username: "-", SessionID: 1, SessionVersion: 1, Addr: addr("2001:db8::1")},
				Name:   "-",
				Conn:   addr("2001:db8::1"),
				Media:  []Media{{Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: []Format{PCMA, PCMU}}},
			},
		},
		{
			name: "old-style hold c=0.0.0.0",
			body: holdOldStyle,
			want: &Session{
				Origin: Origin{Username: "-", SessionID: 20, SessionVersion: 21, Addr: addr("192.0.2.7")},
				Name:   "-",
				Conn:   addr("0.0.0.0"),
				Media:  []Media{{Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: []Format{PCMU}}},
			},
		},
		{
			name: "session-level a=sendonly",
			body: holdSessionSendonly,
			want: &Session{
				Origin:    Origin{Username: "-", SessionID: 20, SessionVersion: 22, Addr: addr("192.0.2.7")},
				Name:      "-",
				Conn:      addr("192.0.2.7"),
				Direction: SendOnly,
				Media: []Media{{Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: []Format{
					PCMU, {PT: 101, Name: "telephone-event", Rate: 8000, Channels: 1, Fmtp: "0-16"},
				}}},
			},
		},
		{
			name: "media-level c=, video and T.38 sections",
			body: audioVideoT38,
			want: &Session{
				Origin: Origin{Username: "-", SessionID: 7, SessionVersion: 7, Addr: addr("192.0.2.9")},
				Name:   "-",
				Media: []Media{
					{Type: "audio", Port: 5004, Proto: "RTP/AVP", Formats: []Format{PCMU, PCMA}, Conn: addr("192.0.2.9"), Other: []string{"maxptime:40"}},
					{Type: "video", Port: 5006, Proto: "RTP/AVP", Conn: addr("192.0.2.9"), Formats: []Format{
						{PT: 96, Name: "H264", Rate: 90000, Channels: 1, Fmtp: "profile-level-id=42e01f"},
					}},
					{Type: "image", Port: 0, Proto: "udptl", RawFormats: []string{"t38"}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse mismatch\n got: %+v\nwant: %+v", got, tt.want)
			}
		})
	}
}

func TestParseTolerance(t *testing.T) {
	const head = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, s *Session)
	}{
		{"blank lines and unknown line types are skipped", "v=0\n\no=- 1 1 IN IP4 192.0.2.1\r\n\r\ny=whatever\ns=-\nc=IN IP4 192.0.2.1\nm=audio 1 RTP/AVP 0\nt=0 0\n",
			func(t *testing.T, s *Session) { wantFormats(t, s.Media[0].Formats, PCMU) }},
		{"port count", head + "m=audio 4000/2 RTP/AVP 0\n",
			func(t *testing.T, s *Session) { wantInt(t, s.Media[0].Port, 4000) }},
		{"multicast TTL dropped", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 224.2.1.1/127/3\nm=audio 1 RTP/AVP 0\n",
			func(t *testing.T, s *Session) { wantAddr(t, s.Conn, addr("224.2.1.1")) }},
		{"host name in o= gives zero origin address", "v=0\no=- 1 1 IN IP4 pbx.example.com\nc=IN IP4 192.0.2.1\nm=audio 1 RTP/AVP 0\n",
			func(t *testing.T, s *Session) { wantAddr(t, s.Origin.Addr, netip.Addr{}) }},
		{"missing s= gives empty name", "v=0\no=- 1 1 IN IP4 192.0.2.1\nc=IN IP4 192.0.2.1\nm=audio 1 RTP/AVP 0\n",
			func(t *testing.T, s *Session) {
				if s.Name != "" {
					t.Errorf("Name = %q", s.Name)
				}
			}},
		{"payload type listed twice is kept once", head + "m=audio 1 RTP/AVP 0 8 0\n",
			func(t *testing.T, s *Session) { wantFormats(t, s.Media[0].Formats, PCMU, PCMA) }},
		{"rtpmap and fmtp for unlisted payload types stay in Other", head + "m=audio 1 RTP/AVP 0\na=rtpmap:96 opus/48000/2\na=fmtp:96 x=1\n",
			func(t *testing.T, s *Session) {
				if got := s.Media[0].Other; !reflect.DeepEqual(got, []string{"rtpmap:96 opus/48000/2", "fmtp:96 x=1"}) {
					t.Errorf("Other = %q", got)
				}
			}},
		{"rtpmap overrides static payload type", head + "m=audio 1 RTP/AVP 8\na=rtpmap:8 pcma/8000\n",
			func(t *testing.T, s *Session) {
				wantFormats(t, s.Media[0].Formats, Format{PT: 8, Name: "pcma", Rate: 8000, Channels: 1})
			}},
		{"attribute names ignore case", head + "m=audio 1 RTP/AVP 0\na=SendOnly\na=RTCP-MUX\na=PTime:30\n",
			func(t *testing.T, s *Session) {
				m := s.Media[0]
				if m.Direction != SendOnly || !m.RTCPMux || m.Ptime != 30 {
					t.Errorf("got direction %q rtcp-mux %v ptime %d", m.Direction, m.RTCPMux, m.Ptime)
				}
			}},
		{"repeated identical direction is fine", head + "m=audio 1 RTP/AVP 0\na=recvonly\na=recvonly\n",
			func(t *testing.T, s *Session) { wantDirection(t, s.Media[0].Direction, RecvOnly) }},
		{"rejected audio and video need no c=", "v=0\no=- 1 1 IN IP4 192.0.2.1\nm=audio 0 RTP/AVP 0\nm=video 5000 RTP/AVP 31\n",
			func(t *testing.T, s *Session) { wantInt(t, len(s.Media), 2) }},
		{"m= line without formats", head + "m=audio 0 RTP/AVP\n",
			func(t *testing.T, s *Session) { wantFormats(t, s.Media[0].Formats) }},
		{"dynamic payload type without rtpmap", head + "m=audio 1 RTP/AVP 96\n",
			func(t *testing.T, s *Session) { wantFormats(t, s.Media[0].Formats, Format{PT: 96}) }},
		{"IPv4-mapped IPv6 connection address", "v=0\no=- 1 1 IN IP6 ::1\nc=IN IP6 ::ffff:192.0.2.1\nm=audio 1 RTP/AVP 0\n",
			func(t *testing.T, s *Session) { wantAddr(t, s.Conn, addr("::ffff:192.0.2.1")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func TestParseErrors(t *testing.T) {
	const (
		head  = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n" // 5 lines
		audio = head + "m=audio 4000 RTP/AVP 0 8 96\n"                            // m= is line 6
	)
	tests := []struct {
		name string
		body string
		want string // the whole error message
	}{
		{"empty", "", "sdp: empty body"},
		{"only blank lines", "\r\n\n", "sdp: empty body"},
		{"not v= first", "o=- 1 1 IN IP4 192.0.2.1\n", `sdp: line 1: first line is "o=- 1 1 IN IP4 192.0.2.1", want v=0`},
		{"version", "v=1\n", `sdp: line 1: unsupported SDP version "1", want 0`},
		{"garbage line", "v=0\nhello\n", `sdp: line 2: malformed line "hello": want <letter>=<value>`},
		{"upper-case type", "v=0\nA=x\n", `sdp: line 2: malformed line "A=x": want <letter>=<value>`},
		{"NUL inside a line", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=a\x00b\n", "sdp: line 3: line contains a NUL or CR character"},
		{"CR inside a line", "v=0\ns=a\rb\n", "sdp: line 2: line contains a NUL or CR character"},
		{"duplicate v=", "v=0\nv=0\n", "sdp: line 2: duplicate v= line"},
		{"missing o=", "v=0\ns=-\n", "sdp: missing o= line"},
		{"duplicate o=", head + "o=- 1 1 IN IP4 192.0.2.1\n", "sdp: line 6: duplicate o= line"},
		{"duplicate s=", head + "s=x\n", "sdp: line 6: duplicate s= line"},
		{"o= fields", "v=0\no=- 1 1 IN IP4\n", "sdp: line 2: o= line has 5 fields, want 6 (<username> <sess-id> <sess-version> IN IP4 <address>)"},
		{"o= session id", "v=0\no=- x 1 IN IP4 1.2.3.4\n", `sdp: line 2: invalid session id "x" in o= line`},
		{"o= version overflow", "v=0\no=- 1 18446744073709551616 IN IP4 1.2.3.4\n", `sdp: line 2: invalid session version "18446744073709551616" in o= line`},
		{"o= network type", "v=0\no=- 1 1 ATM NSAP 1.2.3.4\n", `sdp: line 2: unsupported network type "ATM" in o= line`},
		{"o= inside media", audio + "o=- 1 1 IN IP4 1.2.3.4\n", "sdp: line 7: o= line inside a media section"},
		{"c= fields", "v=0\nc=IN IP4\n", "sdp: line 2: c= line has 2 fields, want 3 (IN IP4 <address>)"},
		{"c= bad address", "v=0\nc=IN IP4 999.1.1.1\n", `sdp: line 2: invalid address "999.1.1.1" in c= line`},
		{"long token is clipped", "v=0\nc=IN IP4 " + strings.Repeat("9", 50) + "\n", `sdp: line 2: invalid address "` + strings.Repeat("9", 40) + `..." in c= line`},
		{"c= host name", "v=0\nc=IN IP4 pbx.example.com\n", `sdp: line 2: invalid address "pbx.example.com" in c= line`},
		{"c= zone", "v=0\nc=IN IP6 fe80::1%eth0\n", `sdp: line 2: invalid address "fe80::1%eth0" in c= line`},
		{"c= IP4 with IPv6", "v=0\nc=IN IP4 2001:db8::1\n", `sdp: line 2: c= line says IP4 but "2001:db8::1" is not an IPv4 address`},
		{"c= IP6 with IPv4", "v=0\nc=IN IP6 1.2.3.4\n", `sdp: line 2: c= line says IP6 but "1.2.3.4" is not an IPv6 address`},
		{"c= address type", "v=0\nc=IN IPX 1.2.3.4\n", `sdp: line 2: unsupported address type "IPX" in c= line`},
		{"c= network type", "v=0\nc=ATM IP4 1.2.3.4\n", `sdp: line 2: unsupported network type "ATM" in c= line`},
		{"duplicate session c=", head + "c=IN IP4 1.2.3.4\n", "sdp: line 6: duplicate session-level c= line"},
		{"duplicate media c=", audio + "c=IN IP4 1.2.3.4\nc=IN IP4 1.2.3.4\n", "sdp: line 8: duplicate c= line in media section"},
		{"m= fields", head + "m=audio 4000\n", "sdp: line 6: m= line has 2 fields, want at least 3 (<media> <port> <proto> <fmt> ...)"},
		{"m= port text", head + "m=audio abc RTP/AVP 0\n", `sdp: line 6: invalid port "abc" in m= line`},
		{"m= port range", head + "m=audio 70000 RTP/AVP 0\n", `sdp: line 6: invalid port "70000" in m= line`},
		{"m= port count", head + "m=audio 4000/x RTP/AVP 0\n", `sdp: line 6: invalid port count "4000/x" in m= line`},
		{"m= payload type range", head + "m=audio 4000 RTP/AVP 0 128\n", `sdp: line 6: invalid payload type "128" in m= line, want 0..127`},
		{"m= payload type name", head + "m=audio 4000 RTP/AVP PCMU\n", `sdp: line 6: invalid payload type "PCMU" in m= line, want 0..127`},
		{"m= payload type sign", head + "m=audio 4000 RTP/AVP +8\n", `sdp: line 6: invalid payload type "+8" in m= line, want 0..127`},
		{"audio without any c=", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n",
			"sdp: line 5: audio m= section has no c= line and there is no session-level c="},
		{"first of two audio sections without c=", "v=0\no=- 1 1 IN IP4 1.2.3.4\nm=audio 4000 RTP/AVP 0\nm=audio 4002 RTP/AVP 0\nc=IN IP4 1.2.3.4\n",
			"sdp: line 3: audio m= section has no c= line and there is no session-level c="},
		{"rtpmap without rate", audio + "a=rtpmap:0 PCMU\n", `sdp: line 7: invalid a=rtpmap "0 PCMU", want <pt> <name>/<rate>[/<channels>]`},
		{"rtpmap extra field", audio + "a=rtpmap:96 opus/48000 x\n", `sdp: line 7: invalid a=rtpmap "96 opus/48000 x", want <pt> <name>/<rate>[/<channels>]`},
		{"rtpmap zero rate", audio + "a=rtpmap:96 opus/0\n", `sdp: line 7: invalid clock rate "0" in a=rtpmap`},
		{"rtpmap zero channels", audio + "a=rtpmap:96 opus/48000/0\n", `sdp: line 7: invalid channel count "0" in a=rtpmap`},
		{"duplicate rtpmap", audio + "a=rtpmap:96 opus/48000\na=rtpmap:96 opus/48000\n", "sdp: line 8: duplicate a=rtpmap for payload type 96"},
		{"duplicate fmtp", audio + "a=fmtp:96 a=1\na=fmtp:96 a=2\n", "sdp: line 8: duplicate a=fmtp for payload type 96"},
		{"ptime text", audio + "a=ptime:abc\n", `sdp: line 7: invalid a=ptime "abc", want 1..1000 ms`},
		{"ptime zero", audio + "a=ptime:0\n", `sdp: line 7: invalid a=ptime "0", want 1..1000 ms`},
		{"duplicate ptime", audio + "a=ptime:20\na=ptime:20\n", "sdp: line 8: duplicate a=ptime"},
		{"conflicting directions", audio + "a=sendonly\na=recvonly\n", "sdp: line 8: conflicting direction attributes a=sendonly and a=recvonly"},
		{"conflicting session directions", head + "a=inactive\na=sendrecv\n", "sdp: line 7: conflicting direction attributes a=inactive and a=sendrecv"},
		{"too large", "v=0\n" + strings.Repeat("a=x\n", MaxBodySize/4), "sdp: limit exceeded: body is 65540 bytes, the limit is 65536"},
		{"too many m= sections", head + strings.Repeat("m=audio 0 RTP/AVP 0\n", MaxMedia+1), "sdp: line 70: limit exceeded: more than 64 m= sections"},
		{"too many formats", head + "m=audio 4000 RTP/AVP" + strings.Repeat(" 0", MaxFormats+1) + "\n", "sdp: line 6: limit exceeded: 65 formats on the m= line, the limit is 64"},
		{"too many media attributes", audio + strings.Repeat("a=x\n", MaxAttributes+1), "sdp: line 263: limit exceeded: more than 256 attributes in the m= section"},
		{"too many session attributes", head + strings.Repeat("a=x\n", MaxAttributes+1), "sdp: line 262: limit exceeded: more than 256 session-level attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", s)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError", err)
			}
			if strings.Contains(tt.want, "limit exceeded") != errors.Is(err, ErrLimitExceeded) {
				t.Errorf("errors.Is(err, ErrLimitExceeded) = %v", errors.Is(err, ErrLimitExceeded))
			}
		})
	}
}

// TestRtpmapAndFmtpDoNotCountTowardsAttributeLimit: a full section (64
// formats, each with rtpmap and fmtp) plus 256 other attributes still parses.
func TestRtpmapAndFmtpDoNotCountTowardsAttributeLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("v=0\no=- 1 1 IN IP4 192.0.2.1\nc=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP")
	for pt := 64; pt < 64+MaxFormats; pt++ {
		fmt.Fprintf(&b, " %d", pt)
	}
	b.WriteString("\n")
	for pt := 64; pt < 64+MaxFormats; pt++ {
		fmt.Fprintf(&b, "a=rtpmap:%d x%d/8000\na=fmtp:%d p=%d\n", pt, pt, pt, pt)
	}
	for i := range MaxAttributes {
		fmt.Fprintf(&b, "a=other:%d\n", i)
	}
	s, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(s.Media[0].Formats) != MaxFormats || len(s.Media[0].Other) != MaxAttributes {
		t.Errorf("got %d formats, %d other attributes", len(s.Media[0].Formats), len(s.Media[0].Other))
	}
}

func wantFormats(t *testing.T, got []Format, want ...Format) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("formats\n got: %+v\nwant: %+v", got, want)
	}
}

func wantInt(t *testing.T, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

func wantAddr(t *testing.T, got, want netip.Addr) {
	t.Helper()
	if got != want {
		t.Errorf("address %v, want %v", got, want)
	}
}

func wantDirection(t *testing.T, got, want Direction) {
	t.Helper()
	if got != want {
		t.Errorf("direction %q, want %q", got, want)
	}
}
