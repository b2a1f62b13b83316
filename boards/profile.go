package boards

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/gatepbx/gatepbx/hal"
)

// Driver says what implements a board's ports.
type Driver string

const (
	// DriverSim: the simulated board (hal/sim); no chips, no audio bus.
	DriverSim Driver = "sim"
	// DriverHardware: real chips on SPI and GPIO, audio on a PCM highway.
	DriverHardware Driver = "hardware"
)

// Profile describes one board. Profiles are data (YAML under profiles/);
// Parse reads one and Validate says whether it makes sense.
type Profile struct {
	Name        string    `yaml:"name"` // also the file name and the --board value
	Description string    `yaml:"description"`
	Driver      Driver    `yaml:"driver"`
	Match       MatchRule `yaml:"match"`  // auto-detection; empty means "only by name"
	Region      string    `yaml:"region"` // ISO 3166 code: tones, cadences, caller ID, DAA country
	Audio       Audio     `yaml:"audio"`  // hardware boards only
	Chips       []Chip    `yaml:"chips"`  // hardware boards only
	Ports       []Port    `yaml:"ports"`
}

// MatchRule selects a profile from the running machine's device tree.
type MatchRule struct {
	// DTCompatible entries are full compatible strings
	// ("raspberrypi,4-model-b") or bare vendors ("raspberrypi"), which
	// match every model of that vendor.
	DTCompatible []string `yaml:"dt_compatible"`
}

// Audio is the PCM highway that carries the ports' audio.
type Audio struct {
	Driver string `yaml:"driver"` // "alsa"
	Card   string `yaml:"card"`   // ALSA card name from the device-tree overlay
	Rate   int    `yaml:"rate"`   // frame rate in Hz; 8000
	Format string `yaml:"format"` // sample format on the highway: S16_LE, MU_LAW, A_LAW
	Slots  int    `yaml:"slots"`  // timeslots per frame
}

// Chip is one telephony chip and how it is wired.
type Chip struct {
	Name  string `yaml:"name"`  // referred to by Port.Chip
	Type  string `yaml:"type"`  // a known chip type, e.g. "si3215", "si3050"
	SPI   SPI    `yaml:"spi"`   // control interface
	Reset string `yaml:"reset"` // GPIO name (periph gpioreg), active low
	IRQ   string `yaml:"irq"`   // GPIO name, falling edge; empty means poll
}

// SPI is a chip's control connection.
type SPI struct {
	Dev  string `yaml:"dev"`  // periph spireg name, e.g. "SPI0.0"
	Hz   int    `yaml:"hz"`   // clock rate
	Mode int    `yaml:"mode"` // SPI mode 0-3
}

// Port is one analog line of the board.
type Port struct {
	Name    string   `yaml:"name"` // e.g. "fxs0"
	Kind    hal.Kind `yaml:"kind"`
	Chip    string   `yaml:"chip"`    // hardware: the Chip.Name serving the port
	Channel int      `yaml:"channel"` // hardware: channel within a multi-line chip
	Slot    int      `yaml:"slot"`    // hardware: PCM timeslot
	// Dial is how an FXO port dials calls out: "dtmf" (the default, also
	// "") or "pulse" (loop disconnect, for lines without tone dialling).
	Dial string `yaml:"dial,omitempty"`
}

// Dial modes of an FXO port.
const (
	DialDTMF  = "dtmf"
	DialPulse = "pulse"
)

// PortNames lists the port names in profile order.
func (p Profile) PortNames() []string {
	names := make([]string, len(p.Ports))
	for i, port := range p.Ports {
		names[i] = port.Name
	}
	return names
}

// Parse reads one profile from YAML and validates it. Unknown keys,
// duplicate keys and more than one YAML document are errors.
func Parse(data []byte) (Profile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Profile
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return Profile{}, errors.New("boards: parse profile: empty document")
		}
		return Profile{}, fmt.Errorf("boards: parse profile: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Profile{}, errors.New("boards: parse profile: more than one YAML document")
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}
