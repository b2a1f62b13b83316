package ua

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/gatepbx/gatepbx/media/relay"
	"github.com/gatepbx/gatepbx/media/srtp"
	"github.com/gatepbx/gatepbx/sip/sdp"
)

func TestRelayCodec(t *testing.T) {
	te96 := sdp.Format{PT: 96, Name: "telephone-event", Rate: 8000}
	te16k := sdp.Format{PT: 97, Name: "telephone-event", Rate: 16000}
	cn := sdp.Format{PT: 13, Name: "CN", Rate: 8000}
	opus := sdp.Format{PT: 111, Name: "opus", Rate: 48000, Channels: 2}
	tests := []struct {
		name    string
		formats []sdp.Format
		want    relay.Codec
		ok      bool
	}{
		{"pcmu with events", []sdp.Format{sdp.PCMU, sdp.TelephoneEvent}, relay.Codec{PT: 0, Encoding: relay.PCMU, EventPT: 101}, true},
		{"first audio wins", []sdp.Format{sdp.PCMA, sdp.PCMU}, relay.Codec{PT: 8, Encoding: relay.PCMA}, true},
		{"events first, CN skipped", []sdp.Format{te96, cn, sdp.PCMA}, relay.Codec{PT: 8, Encoding: relay.PCMA, EventPT: 96}, true},
		{"16 kHz events ignored", []sdp.Format{sdp.PCMU, te16k}, relay.Codec{PT: 0, Encoding: relay.PCMU}, true},
		{"other codec", []sdp.Format{opus, te96}, relay.Codec{PT: 111, Encoding: relay.EncodingOther, EventPT: 96}, true},
		{"only events", []sdp.Format{te96}, relay.Codec{EventPT: 96}, false},
		{"none", nil, relay.Codec{}, false},
	}
	for _, tc := range tests {
		got, ok := relayCodec(tc.formats)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: relayCodec = %+v %v, want %+v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWithTranscodable(t *testing.T) {
	ours := []sdp.Format{sdp.PCMU, sdp.PCMA, sdp.TelephoneEvent}
	pcmuAt8 := sdp.Format{PT: 8, Name: "PCMU", Rate: 8000} // a PT clash: PCMA cannot be 8
	gsm := sdp.Format{PT: 3, Name: "GSM", Rate: 8000}
	tests := []struct {
		name    string
		formats []sdp.Format
		want    []uint8
	}{
		{"pcma caller gets pcmu added before events", []sdp.Format{sdp.PCMA, sdp.TelephoneEvent}, []uint8{8, 0, 101}},
		{"pcmu caller", []sdp.Format{sdp.PCMU}, []uint8{0, 8}},
		{"both already", []sdp.Format{sdp.PCMA, sdp.PCMU, sdp.TelephoneEvent}, []uint8{8, 0, 101}},
		{"payload type taken", []sdp.Format{pcmuAt8}, []uint8{8}},
		{"nothing to transcode from", []sdp.Format{gsm}, []uint8{3}},
	}
	for _, tc := range tests {
		got := withTranscodable(tc.formats, ours)
		var pts []uint8
		for _, f := range got {
			pts = append(pts, f.PT)
		}
		if !slices.Equal(pts, tc.want) {
			t.Errorf("%s: payload types %v, want %v", tc.name, pts, tc.want)
		}
	}
}

func TestParseSRTPPolicy(t *testing.T) {
	for in, want := range map[string]SRTPPolicy{"": SRTPOptional, "optional": SRTPOptional, "OFF": SRTPOff, "required": SRTPRequired} {
		if got, err := ParseSRTPPolicy(in); err != nil || got != want {
			t.Errorf("ParseSRTPPolicy(%q) = %v %v, want %v", in, got, err, want)
		}
	}
	if _, err := ParseSRTPPolicy("always"); err == nil {
		t.Error("ParseSRTPPolicy accepted always")
	}
}

func messageRequest(ctype, body string) *sip.Request { return bodyRequest(sip.MESSAGE, ctype, body) }

func TestMessageText(t *testing.T) {
	tests := []struct {
		ctype, body, want string
		status            int
	}{
		{"text/plain", "hello", "hello", 0},
		{"Text/Plain; charset=\"UTF-8\"", "árvíztűrő", "árvíztűrő", 0},
		{"text/plain;charset=us-ascii", "hi", "hi", 0},
		{"text/plain;charset=iso-8859-2", "hi", "", 415},
		{"application/im-iscomposing+xml", "<x/>", "", 415},
		{"", "hello", "", 415},
		{"text/plain", "\xff\xfe", "", 400},
		{"text/plain", strings.Repeat("x", maxMessageBody+1), "", 413},
		{"text/plain", "", "", 0},
	}
	for _, tc := range tests {
		got, status := messageText(messageRequest(tc.ctype, tc.body))
		if got != tc.want || status != tc.status {
			t.Errorf("messageText(%q, %.20q) = %.20q %d, want %.20q %d", tc.ctype, tc.body, got, status, tc.want, tc.status)
		}
	}
}

func FuzzMessageText(f *testing.F) {
	f.Add("text/plain;charset=utf-8", "hello")
	f.Add("text/plain; charset=\"x\"; a=b", "\xff")
	f.Add("TEXT/PLAIN;;;=", "")
	f.Fuzz(func(t *testing.T, ctype, body string) {
		text, status := messageText(messageRequest(ctype, body))
		if status == 0 && (text != body || len(text) > maxMessageBody) {
			t.Fatalf("accepted %q as %q", body, text)
		}
		if status != 0 && statusText(status) == "Error" {
			t.Fatalf("status %d has no reason phrase", status)
		}
	})
}

// testLeg is a leg with a real relay endpoint on loopback (not started).
func testLeg(t *testing.T) *legBase {
	t.Helper()
	pool, err := relay.NewPortPool(relay.PortPoolOptions{BindAddr: netip.MustParseAddr("127.0.0.1"), Min: 40000, Max: 49998, RTCPInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := pool.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return &legBase{ep: ep}
}

func savpMedia(crypto ...string) *sdp.Media {
	return &sdp.Media{Type: "audio", Port: 4000, Proto: "RTP/SAVP", Formats: []sdp.Format{sdp.PCMU}, Crypto: crypto}
}

func TestAnswerCrypto(t *testing.T) {
	offer, err := srtp.Offer()
	if err != nil {
		t.Fatal(err)
	}
	plain := &sdp.Media{Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: []sdp.Format{sdp.PCMU}}
	for _, tc := range []struct {
		name   string
		m      *sdp.Media
		policy SRTPPolicy
		ok     bool
	}{
		{"plain, optional", plain, SRTPOptional, true},
		{"plain, required", plain, SRTPRequired, false},
		{"srtp, off", savpMedia(offer[0].Value()), SRTPOff, false},
		{"srtp without crypto", savpMedia(), SRTPOptional, false},
		{"srtp, second line usable", savpMedia("1 F8_128_HMAC_SHA1_80 inline:x", offer[1].Value()), SRTPRequired, true},
	} {
		l := testLeg(t)
		err := l.answerCrypto(tc.m, tc.policy, false)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}

	l := testLeg(t)
	if err := l.answerCrypto(savpMedia(offer[0].Value()), SRTPOptional, false); err != nil {
		t.Fatal(err)
	}
	var m sdp.Media
	l.decorate(&m)
	first := l.localCrypto.Value()
	if m.Proto != "RTP/SAVP" || len(m.Crypto) != 1 || m.Crypto[0] != first || l.localCrypto.Tag != offer[0].Tag {
		t.Fatalf("our answer %+v, want RTP/SAVP echoing tag %d", m, offer[0].Tag)
	}
	if err := l.answerCrypto(savpMedia(offer[0].Value()), SRTPOptional, true); err != nil || l.localCrypto.Value() != first {
		t.Fatalf("re-offer with the same key: err %v, re-keyed %v", err, l.localCrypto.Value() != first)
	}
	again, _ := srtp.Offer()
	if err := l.answerCrypto(savpMedia(again[0].Value()), SRTPOptional, true); err != nil || l.localCrypto.Value() == first {
		t.Fatalf("re-offer with a new key: err %v, re-keyed %v", err, l.localCrypto.Value() != first)
	}
	if err := l.answerCrypto(plain, SRTPOptional, true); err == nil {
		t.Fatal("re-offer dropping SRTP accepted")
	}
}

func TestAcceptCrypto(t *testing.T) {
	l := testLeg(t)
	if err := l.offerCrypto(SRTPRequired); err != nil {
		t.Fatal(err)
	}
	var m sdp.Media
	l.decorate(&m)
	if m.Proto != "RTP/SAVP" || len(m.Crypto) != 2 {
		t.Fatalf("our offer %+v, want RTP/SAVP with both suites", m)
	}
	phone, err := srtp.Answer(m.Crypto[1:]) // the phone takes our second line
	if err != nil {
		t.Fatal(err)
	}
	wrongTag := phone.Local
	wrongTag.Tag = 7
	for _, tc := range []struct {
		name string
		m    *sdp.Media
	}{
		{"plain answer", &sdp.Media{Proto: "RTP/AVP"}},
		{"no crypto", savpMedia()},
		{"tag not offered", savpMedia(wrongTag.Value())},
	} {
		if err := l.acceptCrypto(tc.m); err == nil {
			t.Errorf("%s accepted", tc.name)
		}
	}
	if err := l.acceptCrypto(savpMedia(phone.Local.Value())); err != nil {
		t.Fatal(err)
	}
	if l.remoteCrypto.Value() != phone.Local.Value() || l.localCrypto.Tag != phone.Local.Tag {
		t.Fatalf("negotiated remote %v local %v", l.remoteCrypto, l.localCrypto)
	}
	l.decorate(&m)
	if len(m.Crypto) != 1 || m.Crypto[0] != l.localCrypto.Value() {
		t.Fatalf("SDP after the answer carries %d a=crypto, want our chosen one", len(m.Crypto))
	}
	plainLeg := testLeg(t)
	if err := plainLeg.offerCrypto(SRTPOptional); err != nil || plainLeg.acceptCrypto(savpMedia(phone.Local.Value())) == nil {
		t.Fatal("a plain offer took an RTP/SAVP answer")
	}
}
