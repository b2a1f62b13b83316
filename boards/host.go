package boards

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"github.com/gatepbx/gatepbx/hal/pcm"
)

// hostHardware is the running machine: periph's host drivers for SPI and
// GPIO, ALSA for the PCM highway.
type hostHardware struct {
	once sync.Once
	err  error
}

func (h *hostHardware) init() error {
	h.once.Do(func() {
		if _, err := host.Init(); err != nil {
			h.err = fmt.Errorf("periph host init: %w", err)
		}
	})
	return h.err
}

func (h *hostHardware) SPI(dev string) (spi.PortCloser, error) {
	if err := h.init(); err != nil {
		return nil, err
	}
	p, err := spireg.Open(dev)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dev, err)
	}
	return p, nil
}

func (h *hostHardware) Pin(name string) (gpio.PinIO, error) {
	if err := h.init(); err != nil {
		return nil, err
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("no GPIO named %q on this machine", name)
	}
	return p, nil
}

// asoundCards is where Linux lists the sound cards.
const asoundCards = "/proc/asound/cards"

func (h *hostHardware) PCM(card string, l pcm.Layout) (pcm.Device, error) {
	data, err := os.ReadFile(asoundCards)
	if err != nil {
		return nil, fmt.Errorf("list sound cards: %w", err)
	}
	n, err := FindALSACard(data, card)
	if err != nil {
		return nil, err
	}
	return pcm.OpenALSA(n, 0, l)
}

// ErrNoCard is wrapped by FindALSACard when no card has the name.
var ErrNoCard = errors.New("no such sound card")

// FindALSACard finds a card's number in the text of /proc/asound/cards:
//
//	1 [sndrpisimplecar]: simple-card - snd_rpi_simple_card
//	                     snd_rpi_simple_card
//
// name may be the number itself, the id in brackets, the driver, or the
// short or long name.
func FindALSACard(data []byte, name string) (int, error) {
	if name == "" {
		return 0, fmt.Errorf("%w: empty name", ErrNoCard)
	}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		num, rest, ok := strings.Cut(strings.TrimSpace(line), " ")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || n > 31 {
			continue
		}
		id, rest, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(rest), "["), "]")
		if !ok {
			continue
		}
		rest = strings.TrimPrefix(rest, ":")
		driver, short, _ := strings.Cut(rest, " - ")
		candidates := []string{num, id, driver, short}
		if i+1 < len(lines) {
			candidates = append(candidates, lines[i+1])
		}
		for _, c := range candidates {
			if strings.TrimSpace(c) == name {
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("%w %q in %s", ErrNoCard, name, asoundCards)
}
