package app

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// Keys a phone sends by SIP INFO reach the other side of its call: an API
// extension's UserInput, or another phone as RFC 4733 events.

// infoMenuOzML is a two-level menu that needs no speech: 1 leads to a
// two-digit code that goes to the application (DtmfEntered).
const infoMenuOzML = `<Response>
  <UserInput Timeout="15">
    <InitialCommands><Beep/></InitialCommands>
    <Inputs>
      <Input key="1">
        <UserInput Digits="2" Timeout="15" ForwardToUrl="digits">
          <InitialCommands><Beep/></InitialCommands>
        </UserInput>
      </Input>
    </Inputs>
  </UserInput>
</Response>`

// TestOzmlMenuSIPInfo: the caller answers the menu of API extension 200
// with keys sent by SIP INFO (dtmf-relay and application/dtmf): 1, then
// 42; the application gets DtmfEntered with DtmfDigits=42 and its reply
// ends the call.
func TestOzmlMenuSIPInfo(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	app := newOzmlApp(t, map[string]string{
		"/ivr/incoming": infoMenuOzML,
		"/ivr/digits":   `<Response><Hangup/></Response>`,
	})
	a := startTestApp(t, apiExtConfig(t, map[string]string{"200": app.srv.URL + "/ivr/incoming"}))
	media := newRTPPhone(t)
	vars := map[string]string{"USER": "101", "RTPPORT": media.port(), "FIRSTKEYMS": "1000", "NEXTKEYMS": "1500"}
	c := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_ozml.xml", vars, "info_keys.part", "hangup_wait.part"),
		Service: "200", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
	incoming := app.next(t, c)
	p := app.next(t, c)
	if p.path != "/ivr/digits" || p.form.Get("NotificationName") != "DtmfEntered" || p.form.Get("DtmfDigits") != "42" ||
		p.form.Get("CallId") != incoming.form.Get("CallId") {
		t.Fatalf("DtmfEntered %s %v", p.path, p.form)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	if rec := lastRecord(t, a, 1); rec.State != "CalleeHangUp" || rec.Callee != "200" {
		t.Fatalf("history %+v", rec)
	}
}

// TestSIPInfoToPhone: 101's INFO keys reach 102, a phone that negotiated
// telephone-event, as RFC 4733 events (each key once, in order).
func TestSIPInfoToPhone(t *testing.T) {
	sipptest.Need(t)
	t.Parallel()
	a := startTestApp(t, apiTestConfig(t))
	callee := startMediaCallee(t, a, "102", func(port string) string {
		return sdpMedia("m=audio "+port+" RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=ptime:20")
	})
	heard := listenEvents(t, callee.conn, 101)
	media := newRTPPhone(t)
	vars := map[string]string{"USER": "101", "RTPPORT": media.port(), "FIRSTKEYMS": "500", "NEXTKEYMS": "300", "TALK": "2000"}
	c := sipptest.Start(t, sipptest.Config{Scenario: scenario(t, "uac_ozml.xml", vars, "info_keys.part", "info_bye.part"),
		Service: "102", User: "101", Password: testPasswords["101"], Target: a.SIPUDPAddr()})
	if err := c.Wait(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	waitFor(t, "the keys at 102", func() bool { return heard() == "142" })
	if err := callee.peer.Wait(); err != nil {
		t.Fatalf("callee: %v", err)
	}
}

// listenEvents reads RFC 4733 events of payload type pt arriving on conn
// (answering each packet's source with silence, so the relay latches) and
// returns what has been pressed so far: one key per event.
func listenEvents(t *testing.T, conn *net.UDPConn, pt byte) func() string {
	t.Helper()
	var mu sync.Mutex
	var keys strings.Builder
	lastTS, seen := uint32(0), false
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n < 16 || buf[1]&0x7f != pt {
				continue
			}
			ts := uint32(buf[4])<<24 | uint32(buf[5])<<16 | uint32(buf[6])<<8 | uint32(buf[7])
			mu.Lock()
			if !seen || ts != lastTS {
				seen, lastTS = true, ts
				keys.WriteByte("0123456789*#ABCD"[buf[12]&0x0f])
			}
			mu.Unlock()
			_, _ = conn.WriteToUDPAddrPort(rtpPacket(pcmaPT, 0), from)
		}
	}()
	t.Cleanup(func() {
		conn.SetReadDeadline(time.Now())
		<-done
	})
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return keys.String()
	}
}
