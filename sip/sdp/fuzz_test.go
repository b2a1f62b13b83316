package sdp

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that its errors are
// *ParseError, and that whatever it accepts survives Marshal and Parse
// unchanged. Answer is run on accepted bodies too, since it reads the same
// untrusted data.
func FuzzParse(f *testing.F) {
	for _, body := range []string{
		sippUAC, linphoneLike, baresipLike, polycomLike, ipv6Body, holdOldStyle, holdSessionSendonly, audioVideoT38,
		"", "v=0", "v=0\no=- 1 1 IN IP4 pbx.example.com\n",
		"v=0\no=- 1 1 IN IP4 1.2.3.4\nc=IN IP4 1.2.3.4\nm=audio 1 RTP/AVP 0 0 8\na=rtpmap:8 x/1/2\na=fmtp:8\na=rtpmap:9 y/2\n",
		"v=0\no=- 1 1 IN IP4 1.2.3.4\nm=audio 1 RTP/AVP 0\n",
		"v=0\no=- 1 1 IN IP4 1.2.3.4\ns=\nc=IN IP6 ::\na=recvonly\na=\nm=x 0 y\nm=audio 0 RTP/AVP 127\na=crypto:\na=crypto\n",
		"v=0\no=- 18446744073709551615 0 IN IP6 fe80::1%eth0\nc=IN IP4 224.0.0.1/1/2\nm=audio 65535/2 TCP/RTP/AVP 96\na=ptime:1000\n",
		"v=0\r\nA=b\r\n", "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=a\x00b\n", "v=0\nc=IN IP4 999.1.1.1\n",
		"v=0\no=- 1 1 IN IP4 1.2.3.4\nc=IN IP4 1.2.3.4\nm=audio 4000 RTP/AVP 0\na=sendonly\na=recvonly\n",
		"v=0\no=- 1 1 IN IP4 1.2.3.4\nc=IN IP4 1.2.3.4\nm=audio 4000 RTP/AVP" + strings.Repeat(" 9", 70) + "\n",
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			return
		}
		out := s.Marshal()
		// The canonical form may be larger than the input (CRLF, rtpmap for
		// static payload types), so re-parse it without the body size limit.
		again, err := parse(out, math.MaxInt)
		if err != nil {
			t.Fatalf("Parse(Marshal()) failed: %v\ninput: %q\noutput: %q", err, b, out)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip changed the session\nbefore: %+v\n after: %+v\noutput: %q", s, again, out)
		}
		if out2 := again.Marshal(); !bytes.Equal(out, out2) {
			t.Fatalf("Marshal is not stable\nfirst:  %q\nsecond: %q", out, out2)
		}
		answer, err := Answer(s, Origin{}, ourAddr, 6000, supported)
		if err != nil {
			if !errors.Is(err, ErrNoCommonCodec) {
				t.Fatalf("Answer: unexpected error %v", err)
			}
			return
		}
		if len(answer.Media) != len(s.Media) {
			t.Fatalf("answer has %d m= sections, offer %d", len(answer.Media), len(s.Media))
		}
		if _, err := parse(answer.Marshal(), math.MaxInt); err != nil {
			t.Fatalf("answer does not parse: %v\n%q", err, answer.Marshal())
		}
	})
}
