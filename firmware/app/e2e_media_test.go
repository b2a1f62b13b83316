package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/firmware/tlscert"
	"github.com/gatepbx/gatepbx/media/g711"
	"github.com/gatepbx/gatepbx/media/srtp"
	"github.com/gatepbx/gatepbx/sip/sdp"
	"github.com/gatepbx/gatepbx/sip/sipptest"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// The media tests let SIPp do the signalling with an SDP the test writes
// (uac_media.xml, uas_media.xml) and handle the media themselves on
// loopback sockets, so they can check what the relay made of it.

// sdpMedia joins SDP lines for the SDPMEDIA slot of the media scenarios.
func sdpMedia(lines ...string) string { return strings.Join(lines, "\n      ") }

// loggedLine waits for a SIPp log line starting with prefix and returns
// the rest of it; it fails when p ends first.
func loggedLine(t *testing.T, p *sipptest.Peer, logFile, prefix string) string {
	t.Helper()
	var line string
	waitFor(t, prefix+"logged", func() bool {
		b, _ := os.ReadFile(logFile)
		_, after, ok := strings.Cut(string(b), prefix)
		l, _, complete := strings.Cut(after, "\n")
		line = strings.TrimSpace(l)
		if !(ok && complete) && p.Exited() {
			t.Fatalf("sipp ended before logging %s: %v", prefix, p.Wait())
		}
		return ok && complete
	})
	return line
}

// mediaSocket is a test phone's RTP socket.
func mediaSocket(t *testing.T) (*net.UDPConn, string) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port)
}

// rtpPacket is packet i of a test stream: payload type pt, 160 payload
// bytes of payloadByte(i).
func rtpPacket(pt byte, i int) []byte {
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, pt
	pkt[2], pkt[3] = byte(i>>8), byte(i)
	ts := uint32(i * 160)
	pkt[4], pkt[5], pkt[6], pkt[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
	pkt[8], pkt[9], pkt[10], pkt[11] = 0x12, 0x34, 0x56, 0x78
	for j := 12; j < len(pkt); j++ {
		pkt[j] = payloadByte(i)
	}
	return pkt
}

// payloadByte is packet i's payload byte, different per packet.
func payloadByte(i int) byte { return byte(0x55 ^ i) }

const streamLen = 100

// sendStream sends streamLen packets of rtpPacket(pt, i) to port, through
// enc when it is not nil, paced like a phone.
func sendStream(t *testing.T, c *net.UDPConn, port int, pt byte, enc *srtp.Encrypter) {
	t.Helper()
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	sealed := make([]byte, 0, 1500)
	for i := range streamLen {
		pkt := rtpPacket(pt, i)
		if enc != nil {
			var err error
			if pkt, err = enc.Encrypt(sealed[:0], pkt); err != nil {
				t.Error(err)
				return
			}
		}
		if _, err := c.WriteToUDP(pkt, to); err != nil {
			t.Error(err)
			return
		}
		time.Sleep(20 * time.Millisecond) // pacing like a phone, not a timed assertion
	}
}

// countStream counts the packets arriving on c (decrypted by dec when it
// is not nil) of payload type pt whose 160 payload bytes all equal
// want(payloadByte(i)) for some packet i of the stream, until c has been
// quiet for 3 s (or for at most a minute, against a stream that never
// stops). The relay rewrites sequence numbers, so the payload identifies
// the packet.
func countStream(c *net.UDPConn, dec *srtp.Decrypter, pt byte, want func(byte) byte) chan int {
	out := make(chan int, 1)
	go func() {
		buf := make([]byte, 1500)
		plain := make([]byte, 0, 1500)
		n := 0
		defer func() { out <- n }()
		end := time.Now().Add(time.Minute)
		for {
			quiet := time.Now().Add(3 * time.Second)
			if quiet.After(end) {
				quiet = end
			}
			c.SetReadDeadline(quiet)
			size, _, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			p := buf[:size]
			if dec != nil {
				if p, err = dec.Decrypt(plain[:0], p); err != nil {
					continue
				}
			}
			if len(p) != 12+160 || p[1]&0x7f != pt {
				continue
			}
			for i := range streamLen {
				if b := want(payloadByte(i)); bytes.Count(p[12:], []byte{b}) == 160 {
					n++
					break
				}
			}
		}
	}()
	return out
}

func same(b byte) byte { return b }

// TestSRTPCallerToPlainCallee: a phone offers RTP/SAVP with a=crypto
// (SIPp sends the SDP, the test sends and receives the media as SRTP)
// and calls a plain-RTP SIPp phone that echoes what it receives. The
// answer must be RTP/SAVP with our a=crypto, and the callee must get the
// decrypted packets: their payload comes back unchanged, re-encrypted
// with the appliance's key. The phone uses SIP over TCP: Debian's SIPp
// is built without OpenSSL (TestSRTPOverTLS has a sipgo phone over TLS).
func TestSRTPCallerToPlainCallee(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0) // echoes RTP

	media, mediaPort := mediaSocket(t)
	offer, err := srtp.Offer(srtp.AESCM128HMACSHA1_80)
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "caller.log")
	vars := map[string]string{
		"USER": "101", "TALK": "6000", "CONTACTTRANSPORT": "tcp",
		"SDPMEDIA": sdpMedia("m=audio "+mediaPort+" RTP/SAVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000",
			"a=fmtp:101 0-15", "a=crypto:"+offer[0].Value()),
	}
	c := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_media.xml", vars, "hangup_caller.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPTCPAddr(),
		Extra: []string{"-t", "t1", "-trace_logs", "-log_file", logFile}})

	fields := strings.Fields(loggedLine(t, c, logFile, "ANSWER "))
	if len(fields) < 6 || fields[1] != "RTP/SAVP" {
		t.Fatalf("answer media %q, want RTP/SAVP with a=crypto", fields)
	}
	port, _ := strconv.Atoi(fields[0])
	neg, err := srtp.MatchAnswer(offer, strings.Join(fields[3:], " "))
	if err != nil {
		t.Fatalf("answer's a=crypto: %v", err)
	}
	dec, enc, err := neg.Contexts()
	if err != nil {
		t.Fatal(err)
	}
	echoes := countStream(media, dec, 8, same)
	sendStream(t, media, port, 8, enc)
	if n := <-echoes; n < streamLen/2 {
		t.Fatalf("%d of %d packets came back decrypted from the plain callee", n, streamLen)
	}
	waitBoth(t, c, b)
	rec := lastRecord(t, a, 1)
	if rec.RTPFromCaller < streamLen/2 || rec.RTPToCallee < streamLen/2 {
		t.Fatalf("history %+v: SRTP not relayed to the plain callee", rec)
	}
}

// mediaPhone is a SIPp phone of the media scenarios whose RTP the test
// handles on conn; log is its SIPp log.
type mediaPhone struct {
	peer *sipptest.Peer
	conn *net.UDPConn
	log  string
}

// startMediaCallee starts uas_media.xml for number (registered before it
// returns), answering with the media section media(port) where port is
// its RTP socket's.
func startMediaCallee(t *testing.T, a *App, number string, media func(port string) string) mediaPhone {
	t.Helper()
	conn, port := mediaSocket(t)
	p := mediaPhone{conn: conn, log: filepath.Join(t.TempDir(), "callee.log")}
	p.peer = sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uas_media.xml", map[string]string{"SDPMEDIA": media(port)}, "uas_wait.part"),
		Service: number, User: number, Password: testPasswords[number], Target: a.SIPUDPAddr(), Extra: []string{"-trace_logs", "-log_file", p.log}})
	registerPhone(t, a, number, p.peer.Port())
	return p
}

// startMediaCaller starts uac_media.xml: 101 calls dialed over UDP,
// offering media(port), and hangs up after 6 s.
func startMediaCaller(t *testing.T, a *App, dialed string, media func(port string) string) mediaPhone {
	t.Helper()
	conn, port := mediaSocket(t)
	p := mediaPhone{conn: conn, log: filepath.Join(t.TempDir(), "caller.log")}
	vars := map[string]string{"USER": "101", "TALK": "6000", "CONTACTTRANSPORT": "udp", "SDPMEDIA": media(port)}
	p.peer = sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_media.xml", vars, "hangup_caller.part"),
		Service: dialed, User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr(),
		Extra: []string{"-trace_logs", "-log_file", p.log}})
	return p
}

// side is one phone's end of a two-way media check: it sends its stream
// (payload type pt, encrypted by enc if set) to port on the appliance and
// expects the other side's stream as payload type pt (decrypted by dec if
// set) with payload bytes mapped by want.
type side struct {
	conn *net.UDPConn
	port int
	pt   byte
	enc  *srtp.Encrypter
	dec  *srtp.Decrypter
	want func(byte) byte
}

// exchange streams both ways at once and returns how many of each
// stream's packets arrived right at the other side.
func exchange(t *testing.T, x, y side) (atX, atY int) {
	t.Helper()
	cx, cy := countStream(x.conn, x.dec, x.pt, x.want), countStream(y.conn, y.dec, y.pt, y.want)
	done := make(chan struct{})
	go func() { defer close(done); sendStream(t, y.conn, y.port, y.pt, y.enc) }()
	sendStream(t, x.conn, x.port, x.pt, x.enc)
	<-done
	return <-cx, <-cy
}

// TestTranscodePCMAToPCMU: a PCMA-only phone calls a PCMU-only phone.
// The callee is offered the caller's PCMA and also PCMU (which the relay
// transcodes), answers PCMU, and each side gets its own law: A-law
// packets from the caller arrive µ-law at the callee, and back. The
// caller's a=rtcp-mux is answered.
func TestTranscodePCMAToPCMU(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, testConfig(t.TempDir()))
	b := startMediaCallee(t, a, "102", func(port string) string {
		return sdpMedia("m=audio "+port+" RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000")
	})
	c := startMediaCaller(t, a, "102", func(port string) string {
		return sdpMedia("m=audio "+port+" RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=rtcp-mux")
	})
	offer := strings.Fields(loggedLine(t, b.peer, b.log, "OFFER "))
	if strings.Join(offer[2:], " ") != "8 0 101" {
		t.Fatalf("callee offered %q, want the caller's PCMA, then PCMU, then telephone-event", offer)
	}
	answer := strings.Fields(loggedLine(t, c.peer, c.log, "ANSWER "))
	if len(answer) < 3 || answer[2] != "mux=rtcp-mux" {
		t.Fatalf("answer %q, want a=rtcp-mux", answer)
	}
	callerSide, _ := strconv.Atoi(answer[0])
	calleeSide, _ := strconv.Atoi(offer[0])
	alawToUlaw := func(x byte) byte { return g711.Linear2Ulaw(g711.Alaw2Linear(x)) }
	ulawToAlaw := func(x byte) byte { return g711.Linear2Alaw(g711.Ulaw2Linear(x)) }
	atCaller, atCallee := exchange(t, side{conn: c.conn, port: callerSide, pt: 8, want: ulawToAlaw}, side{conn: b.conn, port: calleeSide, pt: 0, want: alawToUlaw})
	if atCallee < streamLen/2 || atCaller < streamLen/2 {
		t.Fatalf("transcoded packets: %d of %d at the PCMU callee, %d at the PCMA caller", atCallee, streamLen, atCaller)
	}
	waitBoth(t, c.peer, b.peer)
}

// registerPhone registers number with a Contact on port (a SIPp peer's).
func registerPhone(t *testing.T, a *App, number string, port int) {
	t.Helper()
	reg := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "register_contact.xml", map[string]string{"CONTACTPORT": strconv.Itoa(port)}, ""),
		Service: number, User: number, Password: testPasswords[number], Target: a.SIPUDPAddr()})
	if err := reg.Wait(); err != nil {
		t.Fatalf("registering %s: %v", number, err)
	}
	waitFor(t, number+" registered", func() bool { return len(a.sip.Registrar().Lookup(number)) > 0 })
}

// TestSRTPPolicy: offers the extension's policy refuses are answered
// 488, and so is an RTP/SAVP offer without a usable a=crypto.
func TestSRTPPolicy(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.Extensions[0].SRTP = "required" // 101
	cfg.Extensions[2].SRTP = "off"      // 103
	a := startTestApp(t, cfg)
	const sdpHeaders = "Content-Type: application/sdp\nContent-Length: [len]"
	plain := "v=0\no=sipp 1 1 IN IP4 [local_ip]\ns=-\nc=IN IP4 [media_ip]\nt=0 0\nm=audio [media_port] RTP/AVP 0\n"
	savp := "v=0\no=sipp 1 1 IN IP4 [local_ip]\ns=-\nc=IN IP4 [media_ip]\nt=0 0\nm=audio [media_port] RTP/SAVP 0\n"
	offer, _ := srtp.Offer(srtp.AESCM128HMACSHA1_32)
	tests := []struct {
		name, user, body string
	}{
		{"plain offer from a phone that requires SRTP", "101", plain},
		{"SRTP offer from a phone with SRTP off", "103", savp + "a=crypto:" + offer[0].Value() + "\n"},
		{"RTP/SAVP without a=crypto", "102", savp},
		{"RTP/SAVP with an unknown suite", "102", savp + "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:AAAA\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"USER": tc.user, "BODY_HEADERS": sdpHeaders, "BODY": tc.body, "CODE": "488"}
			sipptest.Run(t, sipptest.Config{Scenario: scenario(t, "uac_offer.xml", vars, ""), Service: "555", User: tc.user, Password: testPasswords[tc.user], Target: a.SIPUDPAddr()})
		})
	}
	if n := a.Core().ActiveCalls(); n != 0 {
		t.Fatalf("%d calls started by refused offers", n)
	}
}

// TestSRTPRequiredCallee: a plain phone calls an extension whose policy
// requires SRTP. The appliance offers it RTP/SAVP with a=crypto; the
// callee answers with its own key, and the media is bridged plain ↔
// SRTP both ways.
func TestSRTPRequiredCallee(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	cfg := testConfig(t.TempDir())
	cfg.Extensions[1].SRTP = "required" // 102
	a := startTestApp(t, cfg)
	calleeKey, err := srtp.Offer(srtp.AESCM128HMACSHA1_80) // tag 1: answers our tag 1
	if err != nil {
		t.Fatal(err)
	}
	b := startMediaCallee(t, a, "102", func(port string) string {
		return sdpMedia("m=audio "+port+" RTP/SAVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=crypto:"+calleeKey[0].Value())
	})
	c := startMediaCaller(t, a, "102", func(port string) string {
		return sdpMedia("m=audio "+port+" RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000")
	})
	offer := strings.Fields(loggedLine(t, b.peer, b.log, "OFFER "))
	if len(offer) < 2 || offer[1] != "RTP/SAVP" {
		t.Fatalf("callee offered %q, want RTP/SAVP", offer)
	}
	ours, err := srtp.ParseCrypto(loggedLine(t, b.peer, b.log, "OFFERCRYPTO "))
	if err != nil {
		t.Fatalf("the appliance's a=crypto: %v", err)
	}
	answer := strings.Fields(loggedLine(t, c.peer, c.log, "ANSWER "))
	if len(answer) < 2 || answer[1] != "RTP/AVP" {
		t.Fatalf("caller's answer %q, want plain RTP/AVP", answer)
	}
	callerSide, _ := strconv.Atoi(answer[0])
	calleeSide, _ := strconv.Atoi(offer[0])
	dec, err := srtp.NewDecrypter(ours.Key)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := srtp.NewEncrypter(calleeKey[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	atCaller, atCallee := exchange(t, side{conn: c.conn, port: callerSide, pt: 8, want: same}, side{conn: b.conn, port: calleeSide, pt: 8, enc: enc, dec: dec, want: same})
	if atCallee < streamLen/2 || atCaller < streamLen/2 {
		t.Fatalf("packets: %d of %d reached the SRTP callee, %d came back plain to the caller", atCallee, streamLen, atCaller)
	}
	waitBoth(t, c.peer, b.peer)
}

// TestSRTPOverTLS: the SRTP phone is sipgo over SIP/TLS (Debian's SIPp
// has no TLS): it offers RTP/SAVP with a=crypto to a plain SIPp phone
// that echoes; the answer comes over TLS with the appliance's a=crypto,
// and the stream comes back decrypted by the relay, echoed and
// re-encrypted.
func TestSRTPOverTLS(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	dir := t.TempDir()
	cert, _, err := tlscert.Load("", "", filepath.Join(dir, "tls"), []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tlsLn, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	a := startTestAppWith(t, testConfig(dir), ua.Listeners{TLS: tlsLn})
	b := callee(t, a, "uas_answer.xml", "uas_wait.part", 0) // echoes RTP

	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	phone, err := sipgo.NewUA(sipgo.WithUserAgent("101"), sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	cli, err := sipgo.NewClient(phone, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "101", Host: "127.0.0.1", Port: 5999, UriParams: sip.NewParams()}}
	contact.Address.UriParams.Add("transport", "tls")
	dua := sipgo.DialogUA{Client: cli, ContactHDR: contact}

	media, mediaPort := mediaSocket(t)
	offer, err := srtp.Offer(srtp.AESCM128HMACSHA1_32)
	if err != nil {
		t.Fatal(err)
	}
	body := "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " + mediaPort +
		" RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:" + offer[0].Value() + "\r\n"
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "102", Host: "127.0.0.1", Port: tlsLn.Addr().(*net.TCPAddr).Port})
	req.SetTransport("TLS")
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "101", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "102", Host: "127.0.0.1"}})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(body))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, err := dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "101", Password: testPasswords["101"]}); err != nil {
		t.Fatalf("INVITE over TLS: %v", err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	ans, err := sdp.Parse(sess.InviteResponse.Body())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ans.Audio()
	if m == nil || m.Proto != "RTP/SAVP" || len(m.Crypto) != 1 {
		t.Fatalf("answer %s: want RTP/SAVP with one a=crypto", sess.InviteResponse.Body())
	}
	neg, err := srtp.MatchAnswer(offer, m.Crypto[0])
	if err != nil {
		t.Fatal(err)
	}
	dec, enc, err := neg.Contexts()
	if err != nil {
		t.Fatal(err)
	}
	echoes := countStream(media, dec, 0, same)
	sendStream(t, media, m.Port, 0, enc)
	if n := <-echoes; n < streamLen/2 {
		t.Fatalf("%d of %d packets came back through the plain callee", n, streamLen)
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("callee: %v", err)
	}
}
