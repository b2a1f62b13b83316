package cid

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/media/dtmf"
	"github.com/gatepbx/gatepbx/media/g711"
)

var ref = time.Date(2026, 3, 14, 15, 9, 0, 0, time.UTC)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)
	tests := []struct {
		name   string
		in     hal.CallerID
		format Format
		want   hal.CallerID
	}{
		{"mdmf full", hal.CallerID{Number: "3612345678", Name: "Kovacs Janos", Time: at}, MDMF,
			hal.CallerID{Number: "3612345678", Name: "Kovacs Janos", Time: at}},
		{"mdmf private", hal.CallerID{NumberAbsent: hal.AbsentPrivate, Time: at}, MDMF,
			hal.CallerID{NumberAbsent: 'P', NameAbsent: 'O', Time: at}},
		{"mdmf no time", hal.CallerID{Number: "101"}, MDMF, hal.CallerID{Number: "101"}},
		{"mdmf long fields cut", hal.CallerID{Number: "123456789012345678901234", Name: string(make([]byte, 0)) + "N\x01ame"}, MDMF,
			hal.CallerID{Number: "12345678901234567890", Name: "Name"}},
		{"sdmf", hal.CallerID{Number: "2125551234", Name: "ignored", Time: at}, SDMF,
			hal.CallerID{Number: "2125551234", Time: at}},
		{"sdmf absent", hal.CallerID{Time: at}, SDMF, hal.CallerID{NumberAbsent: 'O', Time: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := Encode(tt.in, tt.format)
			got, err := Decode(msg, ref)
			if err != nil {
				t.Fatalf("Decode(% x) = %v", msg, err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEncodeKnownBytes(t *testing.T) {
	// GR-30 style example: 03/14 09:26, number 2125551234, name "DOE JOHN".
	msg := Encode(hal.CallerID{Number: "2125551234", Name: "DOE JOHN", Time: time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)}, MDMF)
	want := append([]byte{0x80, 32, 0x01, 8}, "03140926"...)
	want = append(want, 0x02, 10)
	want = append(want, "2125551234"...)
	want = append(want, 0x07, 8)
	want = append(want, "DOE JOHN"...)
	want = append(want, Checksum(want))
	if string(msg) != string(want) {
		t.Fatalf("Encode = % x\nwant     % x", msg, want)
	}
	var sum byte
	for _, b := range msg {
		sum += b
	}
	if sum != 0 {
		t.Errorf("message sums to %d, want 0", sum)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := Encode(hal.CallerID{Number: "1"}, MDMF)
	bad := append([]byte(nil), good...)
	bad[3] ^= 1
	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"truncated", good[:len(good)-1], ErrShort},
		{"checksum", bad, ErrChecksum},
		{"type", finish(0x82, []byte{0x0b, 1, 0xff}), ErrType},
		{"param overrun", finish(TypeMDMF, []byte{0x02, 9, '1'}), ErrShort},
		{"sdmf short", finish(TypeSDMF, []byte("0314")), ErrShort},
	}
	for _, tt := range tests {
		if _, err := Decode(tt.msg, ref); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestDecodeDateYear(t *testing.T) {
	tests := []struct {
		mmddhhmm string
		want     time.Time
	}{
		{"03141509", time.Date(2026, 3, 14, 15, 9, 0, 0, time.UTC)},
		{"12312359", time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC)}, // last year
		{"03150900", time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)},    // clock skew of hours
		{"02301200", time.Time{}},                                     // 30 February
		{"13011200", time.Time{}},
		{"0314x509", time.Time{}},
	}
	for _, tt := range tests {
		msg := finish(TypeMDMF, appendParam(nil, ParamDateTime, tt.mmddhhmm))
		c, err := Decode(msg, ref)
		if err != nil || !c.Time.Equal(tt.want) {
			t.Errorf("%s: time %v, err %v; want %v", tt.mmddhhmm, c.Time, err, tt.want)
		}
	}
}

// demodulate feeds audio in 20 ms frames, as the line engine does.
func demodulate(d *Demodulator, audio []int16) [][]byte {
	var msgs [][]byte
	for len(audio) > 0 {
		n := min(len(audio), hal.FrameSamples)
		if m, ok := d.Feed(audio[:n]); ok {
			msgs = append(msgs, append([]byte(nil), m...))
		}
		audio = audio[n:]
	}
	return msgs
}

func TestModemRoundTrip(t *testing.T) {
	c := hal.CallerID{Number: "3612345678", Name: "Teszt Elek", Time: time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)}
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		plan    Plan
		level   float64
		lead    int // samples of silence before the burst
		ulaw    bool
		noiseDB float64 // noise level dBm0 (0: none)
	}{
		{"bell202", PlanBell202, -13.5, 0, false, 0},
		{"v23", PlanETSIAfterRing, -13.5, 37, false, 0},
		{"v23 short seizure", PlanETSIDTAS, -13.5, 81, false, 0},
		{"bell202 ulaw", PlanBell202, -13.5, 3, true, 0},
		{"bell202 weak", PlanBell202, -35, 11, true, 0},
		{"v23 noisy", PlanETSIAfterRing, -20, 5, true, -45},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.plan.Burst
			b.Level = tt.level
			audio := append(make([]int16, tt.lead), b.Render(Encode(c, MDMF))...)
			audio = append(audio, make([]int16, 400)...)
			if tt.noiseDB != 0 {
				sigma := amplitude(tt.noiseDB) / math.Sqrt2
				for i := range audio {
					audio[i] = int16(max(-32768, min(32767, float64(audio[i])+rng.NormFloat64()*sigma)))
				}
			}
			if tt.ulaw {
				for i, s := range audio {
					audio[i] = g711.Ulaw2Linear(g711.Linear2Ulaw(s))
				}
			}
			msgs := demodulate(NewDemodulator(b.Modem, -40), audio)
			if len(msgs) != 1 {
				t.Fatalf("got %d messages, want 1", len(msgs))
			}
			got, err := Decode(msgs[0], ref)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != c {
				t.Errorf("got %+v, want %+v", got, c)
			}
		})
	}
}

func TestDemodulatorIgnoresOtherAudio(t *testing.T) {
	d := NewDemodulator(Bell202, -40)
	// Seizure only, then silence, then a 1 kHz tone: nothing decodes.
	audio := Burst{Modem: Bell202, SeizureBits: 300, Level: -13}.Render(nil)
	audio = append(audio, make([]int16, 800)...)
	for i := range 8000 {
		audio = append(audio, int16(5000*math.Sin(2*math.Pi*1000*float64(i)/8000)))
	}
	if msgs := demodulate(d, audio); len(msgs) != 0 {
		t.Errorf("decoded %d messages from non-caller-ID audio", len(msgs))
	}
	// A wrong-modem burst decodes to nothing either.
	if msgs := demodulate(d, PlanETSIAfterRing.Burst.Render(Encode(hal.CallerID{Number: "1"}, MDMF))); len(msgs) != 0 {
		t.Errorf("Bell 202 demodulator decoded V.23: % x", msgs)
	}
	d.Reset()
	if msgs := demodulate(d, PlanBell202.Burst.Render(Encode(hal.CallerID{Number: "1"}, MDMF))); len(msgs) != 1 {
		t.Errorf("after Reset: %d messages, want 1", len(msgs))
	}
}

func TestBurstLength(t *testing.T) {
	msg := Encode(hal.CallerID{Number: "2125551234"}, MDMF)
	audio := PlanBell202.Burst.Render(msg)
	if want := PlanBell202.Burst.Bits(len(msg)) * hal.SampleRate / Baud; len(audio) != want {
		t.Errorf("burst is %d samples, want %d", len(audio), want)
	}
}

func TestDTMFFormats(t *testing.T) {
	tests := []struct {
		format DTMFFormat
		in     hal.CallerID
		digits string
	}{
		{DTMFAC, hal.CallerID{Number: "+31 20 123"}, "A3120123C"},
		{DTMFAC, hal.CallerID{NumberAbsent: hal.AbsentPrivate}, "B10C"},
		{DTMFAHash, hal.CallerID{Number: "5551234"}, "A5551234#"},
		{DTMFAHash, hal.CallerID{}, "D3#"},
		{DTMFDC, hal.CallerID{Number: "0212345678"}, "D0212345678C"},
		{DTMFHash, hal.CallerID{Number: "12345678"}, "12345678#"},
	}
	for _, tt := range tests {
		got := tt.format.Digits(tt.in)
		if got != tt.digits {
			t.Errorf("%s Digits(%+v) = %q, want %q", tt.format.Name, tt.in, got, tt.digits)
		}
		if !tt.format.Complete(got) {
			t.Errorf("%s Complete(%q) = false", tt.format.Name, got)
		}
		back, err := tt.format.Parse(got)
		if err != nil {
			t.Errorf("%s Parse(%q): %v", tt.format.Name, got, err)
		}
		want := hal.CallerID{Number: onlyDigits(tt.in.Number)}
		if want.Number == "" {
			want.NumberAbsent = absentReason(tt.in.NumberAbsent)
		}
		if back != want {
			t.Errorf("%s Parse(%q) = %+v, want %+v", tt.format.Name, got, back, want)
		}
	}
	for _, bad := range []string{"", "A", "AC", "123C", "A12x4C", "A123456789012345678901C"} {
		if _, err := DTMFAC.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	if c, err := DTMFAC.Parse("A123B45C"); err != nil || c.Number != "123" {
		t.Errorf("Parse with info field = %+v, %v", c, err)
	}
}

func onlyDigits(s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

func TestRenderDTMFIsDetected(t *testing.T) {
	audio, err := RenderDTMF(DTMFAC, hal.CallerID{Number: "36123"})
	if err != nil {
		t.Fatal(err)
	}
	det, err := dtmf.NewDetector(dtmf.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, ev := range det.Detect(nil, append(audio, make([]int16, 800)...)) {
		if ev.Kind == dtmf.KeyDown {
			got = append(got, ev.Digit)
		}
	}
	if string(got) != "A36123C" {
		t.Errorf("detected %q, want A36123C", got)
	}
}

func TestRenderDTAS(t *testing.T) {
	audio, err := RenderDTAS(-20)
	if err != nil {
		t.Fatal(err)
	}
	if len(audio) != 800 {
		t.Fatalf("%d samples, want 800 (100 ms)", len(audio))
	}
	for _, f := range []float64{2130, 2750} {
		if p := goertzel(audio, f); p < 0.2*goertzelTotal(audio) {
			t.Errorf("%g Hz carries %.2f of the energy", f, p/goertzelTotal(audio))
		}
	}
}

func goertzel(x []int16, f float64) float64 {
	w := 2 * math.Pi * f / 8000
	var re, im float64
	for n, s := range x {
		re += float64(s) * math.Cos(w*float64(n))
		im -= float64(s) * math.Sin(w*float64(n))
	}
	return 2 * (re*re + im*im) / float64(len(x))
}

func goertzelTotal(x []int16) float64 {
	var e float64
	for _, s := range x {
		e += float64(s) * float64(s)
	}
	return e
}

func TestPlansValid(t *testing.T) {
	for _, p := range []Plan{PlanBell202, PlanETSIAfterRing, PlanETSIDTAS, PlanDTMF} {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
		if _, err := p.Render(hal.CallerID{Number: "12"}); err != nil {
			t.Errorf("%s: Render: %v", p.Name, err)
		}
	}
	bad := PlanBell202
	bad.Alert = AlertDTAS
	if bad.Validate() == nil {
		t.Error("after-ring plan with an alert validated")
	}
}
