package sdp

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

var (
	us        = Origin{Username: "gatepbx", SessionID: 1000, SessionVersion: 1000}
	ourAddr   = addr("127.0.0.1")
	supported = []Format{PCMU, PCMA, TelephoneEvent}
)

func TestNewOffer(t *testing.T) {
	got := NewOffer(Origin{SessionID: 5, SessionVersion: 6}, ourAddr, 4000, supported, SendOnly)
	want := &Session{
		Origin: Origin{Username: "-", SessionID: 5, SessionVersion: 6, Addr: ourAddr},
		Name:   "-",
		Conn:   ourAddr,
		Media:  []Media{{Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: supported, Direction: SendOnly}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NewOffer\n got: %+v\nwant: %+v", got, want)
	}
	got.Media[0].Formats[0].PT = 99
	if supported[0].PT != 0 {
		t.Errorf("NewOffer shares the caller's formats slice")
	}
}

func TestAnswer(t *testing.T) {
	const head = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
	te := func(pt uint8, fmtp string) Format {
		return Format{PT: pt, Name: "telephone-event", Rate: 8000, Channels: 1, Fmtp: fmtp}
	}
	tests := []struct {
		name      string
		offer     string
		supported []Format
		want      []Media
	}{
		{
			name:  "PCMA only offered",
			offer: head + "m=audio 4000 RTP/AVP 8 101\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n",
			want:  []Media{{Type: "audio", Port: 6000, Proto: "RTP/AVP", Formats: []Format{PCMA, te(101, "0-16")}, Direction: SendRecv}},
		},
		{
			name:  "offer order and telephone-event PT 96 kept",
			offer: head + "m=audio 4000 RTP/AVP 18 8 0 96\na=rtpmap:96 TELEPHONE-EVENT/8000\na=rtcp-mux\n",
			want:  []Media{{Type: "audio", Port: 6000, Proto: "RTP/AVP", Formats: []Format{PCMA, PCMU, {PT: 96, Name: "TELEPHONE-EVENT", Rate: 8000, Channels: 1, Fmtp: "0-16"}}, Direction: SendRecv, RTCPMux: true}},
		},
		{
			name:      "offer's fmtp kept when we have none",
			offer:     head + "m=audio 4000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-11\n",
			supported: []Format{PCMU, {PT: 101, Name: "telephone-event", Rate: 8000, Channels: 1}},
			want:      []Media{{Type: "audio", Port: 6000, Proto: "RTP/AVP", Formats: []Format{PCMU, te(101, "0-11")}, Direction: SendRecv}},
		},
		{
			name: "video and T.38 rejected with port 0, keeping formats",
			offer: head + "m=audio 4000 RTP/AVP 0\nm=video 4002 RTP/AVP 96 31\na=rtpmap:96 H264/90000\na=fmtp:96 profile-level-id=42e01f\n" +
				"m=image 4004 udptl t38\n",
			want: []Media{
				{Type: "audio", Port: 6000, Proto: "RTP/AVP", Formats: []Format{PCMU}, Direction: SendRecv},
				{Type: "video", Port: 0, Proto: "RTP/AVP", Formats: []Format{{PT: 96, Name: "H264", Rate: 90000, Channels: 1, Fmtp: "profile-level-id=42e01f"}, {PT: 31, Name: "H261", Rate: 90000, Channels: 1}}},
				{Type: "image", Port: 0, Proto: "udptl", RawFormats: []string{"t38"}},
			},
		},
		{
			name:  "first answerable audio section wins; DTLS and rejected ones get port 0",
			offer: head + "m=audio 0 RTP/AVP 0\nm=audio 4000 UDP/TLS/RTP/SAVPF 0\nm=audio 4002 RTP/AVP 18\nm=audio 4004 RTP/SAVP 8\nm=audio 4006 RTP/AVP 0\n",
			want: []Media{
				{Type: "audio", Port: 0, Proto: "RTP/AVP", Formats: []Format{PCMU}},
				{Type: "audio", Port: 0, Proto: "UDP/TLS/RTP/SAVPF", Formats: []Format{PCMU}},
				{Type: "audio", Port: 0, Proto: "RTP/AVP", Formats: []Format{g729}},
				{Type: "audio", Port: 6000, Proto: "RTP/SAVP", Formats: []Format{PCMA}, Direction: SendRecv},
				{Type: "audio", Port: 0, Proto: "RTP/AVP", Formats: []Format{PCMU}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer, err := Parse([]byte(tt.offer))
			if err != nil {
				t.Fatalf("Parse offer: %v", err)
			}
			sup := tt.supported
			if sup == nil {
				sup = supported
			}
			answer, err := Answer(offer, us, ourAddr, 6000, sup)
			if err != nil {
				t.Fatalf("Answer: %v", err)
			}
			want := &Session{Origin: Origin{Username: "gatepbx", SessionID: 1000, SessionVersion: 1000, Addr: ourAddr}, Name: "-", Conn: ourAddr, Media: tt.want}
			if !reflect.DeepEqual(answer, want) {
				t.Errorf("Answer\n got: %+v\nwant: %+v", answer, want)
			}
			m, i := answer.Audio()
			if m == nil || m.Port != 6000 || offer.Media[i].Port == 0 {
				t.Errorf("answer.Audio() = %+v, %d: not the accepted section", m, i)
			}
			again, err := Parse(answer.Marshal())
			if err != nil || !reflect.DeepEqual(again, answer) {
				t.Errorf("answer does not round-trip: %v\n%s", err, answer.Marshal())
			}
		})
	}
}

func TestAnswerDirectionMirrorsOffer(t *testing.T) {
	tests := []struct {
		name, sessionAttr, conn, mediaAttr string
		want                               Direction
	}{
		{"absent", "", "192.0.2.1", "", SendRecv},
		{"sendrecv", "", "192.0.2.1", "a=sendrecv\n", SendRecv},
		{"sendonly", "", "192.0.2.1", "a=sendonly\n", RecvOnly},
		{"recvonly", "", "192.0.2.1", "a=recvonly\n", SendOnly},
		{"inactive", "", "192.0.2.1", "a=inactive\n", Inactive},
		{"session-level sendonly", "a=sendonly\n", "192.0.2.1", "", RecvOnly},
		{"media overrides session", "a=sendonly\n", "192.0.2.1", "a=inactive\n", Inactive},
		{"c=0.0.0.0 hold", "", "0.0.0.0", "", RecvOnly},
		{"c=0.0.0.0 with recvonly", "", "0.0.0.0", "a=recvonly\n", Inactive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 " + tt.conn + "\nt=0 0\n" + tt.sessionAttr +
				"m=audio 4000 RTP/AVP 0\n" + tt.mediaAttr
			offer, err := Parse([]byte(body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			answer, err := Answer(offer, us, ourAddr, 6000, supported)
			if err != nil {
				t.Fatalf("Answer: %v", err)
			}
			if got := answer.Media[0].Direction; got != tt.want {
				t.Errorf("answer direction %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAnswerErrors(t *testing.T) {
	const head = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
	tests := []struct {
		name    string
		offer   string
		addr    string
		port    int
		wantErr error
	}{
		{"no common codec", head + "m=audio 4000 RTP/AVP 18 9\n", "127.0.0.1", 6000, ErrNoCommonCodec},
		{"telephone-event alone", head + "m=audio 4000 RTP/AVP 18 101\na=rtpmap:101 telephone-event/8000\n", "127.0.0.1", 6000, ErrNoCommonCodec},
		{"comfort noise alone", head + "m=audio 4000 RTP/AVP 18 13\n", "127.0.0.1", 6000, ErrNoCommonCodec},
		{"only rejected audio", head + "m=audio 0 RTP/AVP 0\n", "127.0.0.1", 6000, ErrNoCommonCodec},
		{"unsupported profile", head + "m=audio 4000 UDP/TLS/RTP/SAVPF 0\n", "127.0.0.1", 6000, ErrNoCommonCodec},
		{"no audio at all", head + "m=video 4000 RTP/AVP 31\n", "127.0.0.1", 6000, ErrNoCommonCodec},
		{"same name, other rate", head + "m=audio 4000 RTP/AVP 96\na=rtpmap:96 PCMU/16000\n", "127.0.0.1", 6000, ErrNoCommonCodec},
		{"bad local port", head + "m=audio 4000 RTP/AVP 0\n", "127.0.0.1", 0, nil},
		{"bad local address", head + "m=audio 4000 RTP/AVP 0\n", "", 6000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer, err := Parse([]byte(tt.offer))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			answer, err := Answer(offer, us, localFor(tt.addr), tt.port, supported)
			if err == nil {
				t.Fatalf("Answer succeeded: %+v", answer)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			t.Log(err)
		})
	}
	if _, err := Answer(nil, us, ourAddr, 6000, supported); err == nil {
		t.Errorf("Answer(nil) succeeded")
	}
}

// localFor parses a test's local address; "" stands for the zero Addr.
func localFor(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	return netip.MustParseAddr(s)
}

func TestIntersect(t *testing.T) {
	opus := Format{PT: 111, Name: "opus", Rate: 48000, Channels: 2}
	tests := []struct {
		name               string
		offered, supported []Format
		want               []Format
	}{
		{"keeps offered order and numbers", []Format{g729, PCMA, {PT: 96, Name: "Telephone-Event", Rate: 8000, Fmtp: "0-15"}, PCMU},
			supported, []Format{PCMA, {PT: 96, Name: "Telephone-Event", Rate: 8000, Fmtp: "0-15"}, PCMU}},
		{"rate must match", []Format{opus, {PT: 97, Name: "PCMU", Rate: 16000}}, supported, nil},
		{"unnamed formats never match", []Format{{PT: 96}}, []Format{{PT: 96}}, nil},
		{"nothing supported", []Format{PCMU}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Intersect(tt.offered, tt.supported); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Intersect\n got: %+v\nwant: %+v", got, tt.want)
			}
		})
	}
}
