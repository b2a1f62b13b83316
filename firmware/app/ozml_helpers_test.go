package app

import (
	"encoding/binary"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/g711"
	"github.com/gatepbx/gatepbx/media/stream"
	"github.com/gatepbx/gatepbx/sip/sipptest"
)

// Helpers of the API extension tests: an application server answering
// OzML, and the media side of a SIPp caller (SIPp does the signalling,
// its SDP names this socket).

// needSpeech skips a test when espeak-ng, behind Speak, is missing.
func needSpeech(t *testing.T) {
	t.Helper()
	sipptest.Need(t)
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed")
	}
}

// post is one notification the application received.
type post struct {
	path string
	form url.Values
}

// ozmlApp is a loopback application: it answers POSTs to a path with
// that path's OzML and keeps every request. A document that is a number
// is answered as that HTTP status; "slow" is answered after 5 s.
type ozmlApp struct {
	srv   *httptest.Server
	mu    sync.Mutex
	docs  map[string]string // by path; missing: 404
	posts chan post
}

// set changes the document at path.
func (o *ozmlApp) set(path, doc string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.docs[path] = doc
}

func newOzmlApp(t *testing.T, docs map[string]string) *ozmlApp {
	t.Helper()
	o := &ozmlApp{docs: docs, posts: make(chan post, 32)}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		select {
		case o.posts <- post{path: r.URL.Path, form: r.PostForm}:
		default: // a hostile script's flood: the first ones are kept
		}
		o.mu.Lock()
		doc, ok := o.docs[r.URL.Path]
		o.mu.Unlock()
		if doc == "slow" {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
			doc = `<Response><Speak>too late</Speak></Response>`
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		if code, err := strconv.Atoi(doc); err == nil {
			http.Error(w, "failing on purpose", code)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(doc))
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// next returns the next notification, failing after 20 s or when the
// caller has ended without one.
func (o *ozmlApp) next(t *testing.T, c *sipptest.Peer) post {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case p := <-o.posts:
			return p
		case <-deadline:
			t.Fatal("no notification reached the application")
		case <-time.After(100 * time.Millisecond):
			if c.Exited() {
				t.Fatalf("no notification reached the application; caller: %v", c.Wait())
			}
		}
	}
}

// apiExtConfig is apiTestConfig with API extensions (number → url or
// script; a value without "http" is a script name).
func apiExtConfig(t *testing.T, exts map[string]string) config.Config {
	t.Helper()
	cfg := apiTestConfig(t)
	for n, target := range exts {
		e := config.Extension{Number: n, Kind: config.KindAPI, DisplayName: "IVR " + n}
		if u, err := url.Parse(target); err == nil && u.Scheme == "http" {
			e.URL = target
		} else {
			e.Script = target
		}
		cfg.Extensions = append(cfg.Extensions, e)
	}
	return cfg
}

// heard is one audio packet the caller received.
type heard struct {
	at  time.Time
	rms float64
}

// rtpPhone is a caller's media: it answers the appliance's RTP from the
// address it came from, sends 20 ms PCMA frames (silence, or queued
// in-band audio) and RFC 4733 events, and keeps the level of every audio
// packet it hears.
type rtpPhone struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  []heard
	keys []byte // RFC 4733 events received, one per event
	far  netip.AddrPort
	out  []outFrame // queued, one per 20 ms
	// The last event's timestamp (receive goroutine, under mu).
	evTS   uint32
	evSeen bool
	wg     sync.WaitGroup
	stop   chan struct{}
}

// outFrame is one queued packet.
type outFrame struct {
	pt       byte
	payload  []byte
	newEvent bool // the first packet of a telephone event: its timestamp starts the event
}

const (
	pcmaPT  = 8
	eventPT = 101
)

func newRTPPhone(t *testing.T) *rtpPhone {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &rtpPhone{conn: conn, stop: make(chan struct{})}
	p.wg.Add(2)
	go p.receive()
	go p.send()
	t.Cleanup(func() { close(p.stop); conn.Close(); p.wg.Wait() })
	return p
}

func (p *rtpPhone) port() string { return strconv.Itoa(p.conn.LocalAddr().(*net.UDPAddr).Port) }

func (p *rtpPhone) receive() {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	pcm := make([]int16, 1500)
	for {
		n, from, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if n >= 16 && buf[1]&0x7f == eventPT {
			p.event(binary.BigEndian.Uint32(buf[4:]), buf[12])
			continue
		}
		if n < 12 || buf[1]&0x7f != pcmaPT {
			continue
		}
		k := g711.DecodeAlaw(pcm, buf[12:n])
		var sum float64
		for _, s := range pcm[:k] {
			sum += float64(s) * float64(s)
		}
		p.mu.Lock()
		p.far = from
		p.got = append(p.got, heard{at: time.Now(), rms: math.Sqrt(sum / float64(max(k, 1)))})
		p.mu.Unlock()
	}
}

// event keeps a received telephone event once: its packets share a
// timestamp.
func (p *rtpPhone) event(ts uint32, code byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.evSeen && ts == p.evTS {
		return
	}
	p.evSeen, p.evTS = true, ts
	if d, ok := stream.EventDigit(code); ok {
		p.keys = append(p.keys, d)
	}
}

// received returns the keys received as RFC 4733 events.
func (p *rtpPhone) received() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.keys)
}

var alawSilence = func() []byte {
	b := make([]byte, 160)
	for i := range b {
		b[i] = 0xD5
	}
	return b
}()

// send paces one packet every 20 ms once the far end is known.
func (p *rtpPhone) send() {
	defer p.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	var ts, eventTS uint32
	pkt := make([]byte, 0, 12+160)
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		far := p.far
		next := outFrame{pt: pcmaPT, payload: alawSilence}
		if far.IsValid() && len(p.out) > 0 {
			next, p.out = p.out[0], p.out[1:]
		}
		p.mu.Unlock()
		ts += 160
		if !far.IsValid() {
			continue
		}
		pktTS := ts
		if next.newEvent {
			eventTS = ts
		}
		if next.pt == eventPT {
			pktTS = eventTS
		}
		pkt = pkt[:12]
		pkt[0], pkt[1] = 0x80, next.pt
		if next.newEvent {
			pkt[1] |= 0x80
		}
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], pktTS)
		binary.BigEndian.PutUint32(pkt[8:], 0x1234abcd)
		pkt = append(pkt, next.payload...)
		seq++
		_, _ = p.conn.WriteToUDPAddrPort(pkt, far)
	}
}

// pressRFC4733 queues keys as telephone events of 100 ms, 100 ms apart.
func (p *rtpPhone) pressRFC4733(keys string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range []byte(keys) {
		code := map[byte]byte{'*': 10, '#': 11}[k]
		if k >= '0' && k <= '9' {
			code = k - '0'
		}
		for i := 1; i <= 8; i++ {
			b := make([]byte, 4)
			b[0], b[1] = code, 10 // volume
			if i > 5 {
				b[1] |= 0x80 // end, sent three times
			}
			binary.BigEndian.PutUint16(b[2:], uint16(min(i, 5)*160))
			p.out = append(p.out, outFrame{pt: eventPT, payload: b, newEvent: i == 1})
		}
		for range 5 {
			p.out = append(p.out, outFrame{pt: pcmaPT, payload: alawSilence})
		}
	}
}

// speakTone queues d of a loud 440 Hz tone (something to record).
func (p *rtpPhone) speakTone(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for range int(d / (20 * time.Millisecond)) {
		b := make([]byte, 160)
		for i := range b {
			b[i] = g711.Linear2Alaw(int16(8000 * math.Sin(2*math.Pi*440*float64(n)/8000)))
			n++
		}
		p.out = append(p.out, outFrame{pt: pcmaPT, payload: b})
	}
}

// loud counts the packets heard in [from, to) above speech level.
func (p *rtpPhone) loud(from, to time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, h := range p.got {
		if !h.at.Before(from) && h.at.Before(to) && h.rms > 300 {
			n++
		}
	}
	return n
}

// longestQuiet returns the longest stretch between two loud packets heard
// in [from, to): where it starts (the last loud packet before it) and
// ends (the next loud one).
func (p *rtpPhone) longestQuiet(from, to time.Time) (start, end time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var last time.Time
	for _, h := range p.got {
		if h.at.Before(from) || !h.at.Before(to) || h.rms <= 300 {
			continue
		}
		if !last.IsZero() && h.at.Sub(last) > end.Sub(start) {
			start, end = last, h.at
		}
		last = h.at
	}
	return start, end
}

// heardAny reports packets received.
func (p *rtpPhone) packets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

// mediaCaller starts SIPp as 101 calling dialed, its media on phone.
func mediaCaller(t *testing.T, a *App, phone *rtpPhone, part, dialed string, vars map[string]string) *sipptest.Peer {
	t.Helper()
	vars["RTPPORT"] = phone.port()
	return caller(t, a, "uac_ozml.xml", part, dialed, vars)
}

// pressInBand queues keys as in-band DTMF tones in the A-law audio.
func (p *rtpPhone) pressInBand(t *testing.T, keys string) {
	t.Helper()
	src, err := stream.DTMFTones(keys, dtmf.DefaultGeneratorConfig())
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pcm := make([]int16, 160)
	for {
		n, err := src.ReadFrame(pcm)
		if n > 0 {
			clear(pcm[n:])
			b := make([]byte, 160)
			g711.EncodeAlaw(b, pcm)
			p.out = append(p.out, outFrame{pt: pcmaPT, payload: b})
		}
		if err != nil {
			return
		}
	}
}

// waitLoud waits until the caller has heard n loud packets since since.
func (p *rtpPhone) waitLoud(t *testing.T, since time.Time, n int) {
	t.Helper()
	waitFor(t, "the caller to hear audio", func() bool { return p.loud(since, time.Now().Add(time.Hour)) >= n })
}

// waitQuiet waits until the caller has heard nothing loud for d.
func (p *rtpPhone) waitQuiet(t *testing.T, d time.Duration) {
	t.Helper()
	waitFor(t, "silence", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		for i := len(p.got) - 1; i >= 0; i-- {
			if p.got[i].rms > 300 {
				return time.Since(p.got[i].at) > d
			}
		}
		return false
	})
}
