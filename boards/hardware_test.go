package boards

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/chip/chiptest"
	"github.com/gatepbx/gatepbx/hal/daa/daatest"
	"github.com/gatepbx/gatepbx/hal/pcm"
	"github.com/gatepbx/gatepbx/hal/proslic"
	"github.com/gatepbx/gatepbx/hal/proslic/proslictest"
)

// fakeHardware is a board's worth of fake chips, pins and PCM highway.
type fakeHardware struct {
	ports map[string]*chiptest.Port // by SPI dev
	pins  map[string]*gpiotest.Pin
	slics map[string]*proslictest.Chip // by chip name
	daas  map[string]*daatest.Chip
	pcm   *fakePCM
}

func newFakeHardware(p Profile) *fakeHardware {
	h := &fakeHardware{ports: map[string]*chiptest.Port{}, pins: map[string]*gpiotest.Pin{},
		slics: map[string]*proslictest.Chip{}, daas: map[string]*daatest.Chip{}, pcm: newFakePCM()}
	for _, c := range p.Chips {
		reset := h.pin(c.Reset, chiptest.NewReset)
		h.pin(c.IRQ, chiptest.NewIRQ)
		var model chiptest.Model
		switch c.Type {
		case "si3050":
			d := daatest.NewChip(reset)
			h.daas[c.Name], model = d, d
		default:
			part, _ := proslic.PartByName(c.Type)
			code := map[string]byte{"si3210": 0, "si3215": 3}[part.Name]
			s := proslictest.NewChip(reset, code, 5)
			h.slics[c.Name], model = s, s
		}
		h.ports[c.SPI.Dev] = &chiptest.Port{Model: model}
	}
	return h
}

func (h *fakeHardware) pin(name string, newPin func(string) *gpiotest.Pin) *gpiotest.Pin {
	if p, ok := h.pins[name]; ok {
		return p
	}
	p := newPin(name)
	h.pins[name] = p
	return p
}

// sleep lets time pass for every chip: each sees its reset line.
func (h *fakeHardware) sleep(d time.Duration) {
	for _, s := range h.slics {
		s.Sleep(d)
	}
	for _, a := range h.daas {
		a.Sleep(d)
	}
}

func (h *fakeHardware) SPI(dev string) (spi.PortCloser, error) {
	if p, ok := h.ports[dev]; ok {
		return p, nil
	}
	return nil, errors.New("no such SPI port")
}

func (h *fakeHardware) Pin(name string) (gpio.PinIO, error) {
	if p, ok := h.pins[name]; ok {
		return p, nil
	}
	return nil, errors.New("no such pin")
}

func (h *fakeHardware) PCM(card string, l pcm.Layout) (pcm.Device, error) {
	h.pcm.layout = l
	return h.pcm, nil
}

// fakePCM delivers the blocks a test sends and records what is played.
type fakePCM struct {
	layout  pcm.Layout
	capture chan []byte
	played  chan []byte
	done    chan struct{}
	once    sync.Once
}

func newFakePCM() *fakePCM {
	return &fakePCM{capture: make(chan []byte), played: make(chan []byte, 64), done: make(chan struct{})}
}

func (d *fakePCM) ReadBlock(buf []byte) error {
	select {
	case b := <-d.capture:
		copy(buf, b)
		return nil
	case <-d.done:
		return io.EOF
	}
}

func (d *fakePCM) WriteBlock(buf []byte) error {
	select {
	case d.played <- append([]byte(nil), buf...):
	default:
	}
	return nil
}

func (d *fakePCM) Close() error {
	d.once.Do(func() { close(d.done) })
	return nil
}

func openFake(t *testing.T, p Profile) (hal.Board, *fakeHardware, error) {
	t.Helper()
	h := newFakeHardware(p)
	b, err := OpenWith(context.Background(), p, Options{Hardware: h, Sleep: h.sleep})
	return b, h, err
}

// next waits for the port's next event.
func next(t *testing.T, p hal.Port) hal.Event {
	t.Helper()
	ev, ok := <-p.Events()
	if !ok {
		t.Fatal("events closed")
	}
	return ev
}

func TestOpenHardwareBoard(t *testing.T) {
	prof, err := Lookup("rpi-2fxs-1fxo")
	if err != nil {
		t.Fatal(err)
	}
	b, h, err := openFake(t, prof)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var names []string
	for _, p := range b.Ports() {
		names = append(names, p.Name())
	}
	if strings.Join(names, ",") != "fxs0,fxs1,fxo0" {
		t.Fatalf("ports %v", names)
	}
	fxsPort, _ := b.Port("fxs0")
	fxs := fxsPort.(hal.FXS)
	if _, ok := fxsPort.(hal.AudioPort); !ok {
		t.Fatal("hardware FXS port has no audio")
	}

	// The phone lifts the handset: the chip interrupts, the engine reports.
	h.slics["slic0"].SetHook(true)
	chiptest.FallingEdge(h.pins["GPIO27"])
	if ev := next(t, fxsPort); ev.Type != hal.OffHook {
		t.Fatalf("event %v, want off-hook", ev.Type)
	}
	if !fxs.OffHook() {
		t.Error("OffHook() false after the event")
	}
	if err := fxs.ReversePolarity(true); err != nil {
		t.Fatal(err)
	}
	if got := hal.Linefeed(h.slics["slic0"].Reg(proslictest.RegLinefeed)); got != hal.LinefeedReverseActive {
		t.Errorf("chip linefeed %v, want reverse active", got)
	}

	// Audio from the phone in slot 0 reaches the port's reader.
	l := h.pcm.layout
	block := make([]byte, l.BlockBytes())
	l.Idle(block)
	var tone hal.Frame
	for i := range tone {
		tone[i] = int16(4000 * (i % 8))
	}
	l.Insert(block, 0, &tone)
	h.pcm.capture <- block
	var got hal.Frame
	if err := fxsPort.(hal.AudioPort).Audio().ReadFrame(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	if got[9] < 3000 || got[9] > 5000 {
		t.Errorf("sample 9 = %d, want about 4000", got[9])
	}

	// The CO rings the FXO line.
	fxoPort, _ := b.Port("fxo0")
	h.daas["daa0"].SetLine(true, 48)
	chiptest.FallingEdge(h.pins["GPIO6"])
	if ev := next(t, fxoPort); ev.Type != hal.RingStart {
		t.Fatalf("event %v, want ring-start", ev.Type)
	}
	if err := fxoPort.(hal.FXO).Seize(); err != nil {
		t.Fatal(err)
	}
	if v := h.daas["daa0"].Reg(daatest.RegDAAControl); v&1 == 0 {
		t.Errorf("DAA control 0x%02x: not off hook after Seize", v)
	}

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range prof.Chips {
		if h.pins[c.Reset].Read() != gpio.Low {
			t.Errorf("reset %s of %s not asserted after Close", c.Reset, c.Name)
		}
	}
	if h.slics["slic0"].Reg(proslictest.RegLinefeed) != 0 {
		t.Error("linefeed not open after Close")
	}
	if h.daas["daa0"].Reg(daatest.RegDAAControl)&1 != 0 {
		t.Error("DAA off hook after Close")
	}
}

func TestOpenHardwareInsaneChip(t *testing.T) {
	prof, _ := Lookup("rpi-2fxs-1fxo")
	h := newFakeHardware(prof)
	h.slics["slic1"].Absent = true
	b, err := OpenWith(context.Background(), prof, Options{Hardware: h, Sleep: h.sleep})
	if b != nil || !errors.Is(err, proslic.ErrInsane) {
		t.Fatalf("OpenWith = %v, %v; want ErrInsane", b, err)
	}
	for _, want := range []string{`board "rpi-2fxs-1fxo"`, `chip "slic1" (si3215 on SPI0.1)`, "sanity check failed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	for _, name := range []string{"GPIO17", "GPIO22"} {
		if h.pins[name].Read() != gpio.Low {
			t.Errorf("%s: chip not left in reset", name)
		}
	}
	if h.daas["daa0"].Reg(daatest.RegDAAControl) != 0 {
		t.Error("the DAA was touched after an earlier chip failed")
	}
}

func TestOpenHardwareNoDriver(t *testing.T) {
	prof, err := Parse([]byte(strings.Replace(hardwareYAML, "type: si3215", "type: si3226x", 1)))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = openFake(t, prof)
	if !errors.Is(err, ErrNoDriver) {
		t.Errorf("err = %v, want ErrNoDriver", err)
	}
}

func TestOpenHardwareMissingDevices(t *testing.T) {
	prof, _ := Lookup("rpi-2fxs-1fxo")
	h := newFakeHardware(prof)
	delete(h.ports, "SPI0.2")
	_, err := OpenWith(context.Background(), prof, Options{Hardware: h, Sleep: h.sleep})
	if err == nil || !strings.Contains(err.Error(), `chip "daa0": spi SPI0.2`) {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := OpenWith(ctx, prof, Options{Hardware: newFakeHardware(prof), Sleep: func(time.Duration) {}}); !errors.Is(err, context.Canceled) {
		t.Errorf("OpenWith(cancelled) = %v", err)
	}
}

func TestSelect(t *testing.T) {
	dt := func(s string) func(string) ([]byte, error) {
		return func(path string) ([]byte, error) {
			if path != DeviceTreeCompatible {
				t.Errorf("read %s", path)
			}
			if s == "" {
				return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
			}
			return []byte(s), nil
		}
	}
	tests := []struct {
		name, board, dt, want string
		err                   error
	}{
		{"by name", "sim", "", "sim", nil},
		{"auto on a pi", Auto, "raspberrypi,4-model-b\x00brcm,bcm2711\x00", "rpi-2fxs-1fxo", nil},
		{"empty means auto", "", "raspberrypi,3-model-b\x00", "rpi-2fxs-1fxo", nil},
		{"auto elsewhere", Auto, "pine64,pine64\x00", "", ErrNoMatch},
		{"auto without device tree", Auto, "", "", ErrNoMatch},
		{"unknown name", "nope", "", "", ErrUnknownBoard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Select(tt.board, dt(tt.dt))
			if !errors.Is(err, tt.err) || p.Name != tt.want {
				t.Errorf("Select = %q, %v; want %q, %v", p.Name, err, tt.want, tt.err)
			}
		})
	}
}

func TestFindALSACard(t *testing.T) {
	const cards = ` 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones
                      bcm2835 Headphones
 1 [sndrpisimplecar]: simple-card - snd_rpi_simple_card
                      snd_rpi_simple_card
`
	for name, want := range map[string]int{"snd_rpi_simple_card": 1, "sndrpisimplecar": 1, "Headphones": 0, "1": 1, "simple-card": 1} {
		if n, err := FindALSACard([]byte(cards), name); err != nil || n != want {
			t.Errorf("FindALSACard(%q) = %d, %v; want %d", name, n, err, want)
		}
	}
	for _, name := range []string{"", "hdmi", "2"} {
		if _, err := FindALSACard([]byte(cards), name); !errors.Is(err, ErrNoCard) {
			t.Errorf("FindALSACard(%q) = %v, want ErrNoCard", name, err)
		}
	}
}
