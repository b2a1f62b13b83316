package sdp

import "strings"

// crlf turns a readable LF test body into a CRLF one, as SIP peers send it.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// Real-world shaped bodies used by several tests and as fuzz seeds.
var (
	// sippUAC is SIPp's built-in uac scenario body with its keywords filled in.
	sippUAC = crlf(`v=0
o=user1 53655765 2353687637 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
`)

	// linphoneLike uses LF endings and has trailing blanks on some lines.
	linphoneLike = "v=0\n" +
		"o=alice 3147 1573 IN IP4 192.168.1.10\n" +
		"s=Talk \n" +
		"c=IN IP4 192.168.1.10\n" +
		"t=0 0\n" +
		"a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\n" +
		"m=audio 7078 RTP/AVP 96 97 0 8 101\n" +
		"a=rtpmap:96 opus/48000/2\n" +
		"a=fmtp:96 useinbandfec=1\n" +
		"a=rtpmap:97 speex/16000\t\n" +
		"a=fmtp:97 vbr=on\n" +
		"a=rtpmap:101 telephone-event/8000\n" +
		"a=fmtp:101 0-15  \n" +
		"a=ptime:20\n" +
		"a=rtcp-mux\n" +
		"a=rtcp-fb:* trr-int 5000\n"

	baresipLike = crlf(`v=0
o=- 1185288013 3823452011 IN IP4 10.0.0.2
s=-
c=IN IP4 10.0.0.2
t=0 0
m=audio 10000 RTP/AVP 0 8 101
b=AS:64
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
a=label:1
a=ssrc:2869207316 cname:c5b1e3e5-3a2c-4d0e
a=rtcp-mux
a=ptime:20
`)

	polycomLike = crlf(`v=0
o=- 1619187323 1619187323 IN IP4 172.16.0.50
s=Polycom IP Phone
c=IN IP4 172.16.0.50
t=0 0
a=sendrecv
m=audio 2222 RTP/SAVP 9 102 0 8 18 127
a=rtpmap:9 G722/8000
a=rtpmap:102 G7221/16000
a=fmtp:102 bitrate=32000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:127 telephone-event/8000
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:ZGVhZGJlZWZkZWFkYmVlZmRlYWRiZWVmZGVhZGJl
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:ZGVhZGJlZWZkZWFkYmVlZmRlYWRiZWVmZGVhZGJl
`)

	ipv6Body = crlf(`v=0
o=- 1 1 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
m=audio 4000 RTP/AVP 8 0
`)

	holdOldStyle = crlf(`v=0
o=- 20 21 IN IP4 192.0.2.7
s=-
c=IN IP4 0.0.0.0
t=0 0
m=audio 4000 RTP/AVP 0
`)

	holdSessionSendonly = crlf(`v=0
o=- 20 22 IN IP4 192.0.2.7
s=-
c=IN IP4 192.0.2.7
t=0 0
a=sendonly
m=audio 4000 RTP/AVP 0 101
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
`)

	audioVideoT38 = crlf(`v=0
o=- 7 7 IN IP4 192.0.2.9
s=-
t=0 0
m=audio 5004 RTP/AVP 0 8
c=IN IP4 192.0.2.9
a=maxptime:40
m=video 5006 RTP/AVP 96
c=IN IP4 192.0.2.9
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=42e01f
m=image 0 udptl t38
`)
)
