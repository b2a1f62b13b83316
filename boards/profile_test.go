package boards

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gatepbx/gatepbx/hal"
)

func TestEmbeddedProfilesLoadAndValidate(t *testing.T) {
	profiles, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range profiles {
		names = append(names, p.Name)
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	if want := []string{"rpi-2fxs-1fxo", "sim"}; !reflect.DeepEqual(names, want) {
		t.Errorf("profiles %v, want %v", names, want)
	}
}

func TestEmbeddedProfileContents(t *testing.T) {
	tests := []struct {
		name      string
		driver    Driver
		region    string
		portNames []string
		chips     int
	}{
		{"sim", DriverSim, "us", []string{"fxs0", "fxs1", "fxo0"}, 0},
		{"rpi-2fxs-1fxo", DriverHardware, "hu", []string{"fxs0", "fxs1", "fxo0"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Lookup(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Driver != tt.driver || p.Region != tt.region || len(p.Chips) != tt.chips {
				t.Errorf("driver %q region %q chips %d, want %q %q %d", p.Driver, p.Region, len(p.Chips), tt.driver, tt.region, tt.chips)
			}
			if got := p.PortNames(); !reflect.DeepEqual(got, tt.portNames) {
				t.Errorf("PortNames() = %v, want %v", got, tt.portNames)
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("nope")
	if !errors.Is(err, ErrUnknownBoard) {
		t.Fatalf("err = %v, want ErrUnknownBoard", err)
	}
	const want = `boards: unknown board "nope"; known boards: rpi-2fxs-1fxo, sim`
	if err.Error() != want {
		t.Errorf("error text\n got %s\nwant %s", err, want)
	}
}

// hardwareYAML is a valid hardware profile that the error cases bend.
const hardwareYAML = `
name: test-hw
driver: hardware
region: de
audio: { driver: alsa, card: card0, rate: 8000, format: MU_LAW, slots: 4 }
chips:
  - { name: slic0, type: si3215, spi: { dev: SPI0.0, hz: 1000000, mode: 3 }, reset: GPIO17, irq: GPIO27 }
  - { name: daa0, type: si3050, spi: { dev: SPI0.1, hz: 1000000, mode: 3 }, reset: GPIO22, irq: GPIO27 }
ports:
  - { name: fxs0, kind: fxs, chip: slic0, channel: 0, slot: 0 }
  - { name: fxo0, kind: fxo, chip: daa0, channel: 0, slot: 1 }
`

const simYAML = `
name: test-sim
driver: sim
region: us
ports:
  - { name: fxs0, kind: fxs }
`

func TestParseAcceptsValidProfiles(t *testing.T) {
	pulse := strings.Replace(hardwareYAML, "slot: 1 }", "slot: 1, dial: pulse }", 1)
	for _, doc := range []string{hardwareYAML, simYAML, "---\n" + simYAML, pulse} {
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("Parse(%q) = %v", doc, err)
		}
	}
}

func TestParseRejectsBadProfiles(t *testing.T) {
	hw := func(old, new string) string {
		if !strings.Contains(hardwareYAML, old) {
			panic("test bug: " + old + " not in hardwareYAML")
		}
		return strings.Replace(hardwareYAML, old, new, 1)
	}
	sim := func(old, new string) string {
		if !strings.Contains(simYAML, old) {
			panic("test bug: " + old + " not in simYAML")
		}
		return strings.Replace(simYAML, old, new, 1)
	}
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{"empty", "", "empty document"},
		{"only a comment", "# nothing\n", "empty document"},
		{"not a mapping", "- a\n- b\n", "cannot unmarshal"},
		{"two documents", simYAML + "---\n" + simYAML, "more than one YAML document"},
		{"unknown key", sim("region: us", "region: us\ncolour: blue"), "field colour not found"},
		{"unknown nested key", hw("reset: GPIO17", "reset: GPIO17, led: GPIO4"), "field led not found"},
		{"duplicate key", sim("region: us", "region: us\nregion: de"), `"region" already defined`},
		{"wrong type", hw("slots: 4", "slots: four"), "cannot unmarshal"},
		{"bad name", sim("name: test-sim", "name: Test Sim"), `name "Test Sim"`},
		{"bad region", sim("region: us", "region: usa"), `region "usa"`},
		{"unknown region", sim("region: us", "region: zz"), `unknown region "zz"`},
		{"bad driver", sim("driver: sim", "driver: magic"), `driver "magic" must be`},
		{"no ports", "name: x\ndriver: sim\nregion: us\n", "no ports"},
		{"duplicate port names", sim("- { name: fxs0, kind: fxs }", "- { name: fxs0, kind: fxs }\n  - { name: fxs0, kind: fxs }"), `port "fxs0" listed twice`},
		{"bad port name", sim("name: fxs0", "name: FXS-0"), `name "FXS-0"`},
		{"bad kind", sim("kind: fxs", "kind: e1"), `kind "e1"`},
		{"sim with chip", sim("kind: fxs }", "kind: fxs, chip: slic0 }"), "a sim port has no chip"},
		{"bad dial mode", hw("slot: 1 }", "slot: 1, dial: rotary }"), `dial "rotary" must be "dtmf" or "pulse"`},
		{"dial on an FXS port", sim("kind: fxs }", "kind: fxs, dial: pulse }"), "dial is for FXO ports"},
		{"sim with audio", sim("region: us", "region: us\naudio: { slots: 2 }"), "a sim board has no audio"},
		{"bad dt_compatible", sim("region: us", "region: us\nmatch: { dt_compatible: [''] }"), "dt_compatible entry"},
		{"unknown chip type", hw("type: si3215", "type: tlv320"), `unknown type "tlv320" (known: si3210, si3215, si3226x, si3050)`},
		{"duplicate chip", hw("name: daa0", "name: slic0"), `chip "slic0" listed twice`},
		{"kind mismatch", hw("kind: fxo", "kind: fxs"), `port "fxo0": kind "fxs" but chip "daa0" (si3050) serves "fxo" ports`},
		{"channel out of range", hw("chip: slic0, channel: 0", "chip: slic0, channel: 1"), "channel 1 out of range for si3215 (0-0)"},
		{"port without chip", hw("chip: daa0, ", ""), `port "fxo0": no chip`},
		{"port on missing chip", hw("chip: daa0", "chip: daa9"), `chip "daa9" is not in chips`},
		{"unused chip", hw("- { name: fxo0, kind: fxo, chip: daa0, channel: 0, slot: 1 }", ""), `chip "daa0" serves no port`},
		{"duplicate slot", hw("slot: 1", "slot: 0"), `slot 0 already used by port "fxs0"`},
		{"slot out of range", hw("slot: 1", "slot: 4"), "slot 4 out of range (audio.slots is 4)"},
		{"shared spi dev", hw("dev: SPI0.1", "dev: SPI0.0"), `spi.dev "SPI0.0" already used by chip "slic0"`},
		{"bad spi mode", hw("mode: 3 }, reset: GPIO17", "mode: 4 }, reset: GPIO17"), "spi.mode 4"},
		{"bad spi hz", hw("hz: 1000000, mode: 3 }, reset: GPIO17", "hz: 0, mode: 3 }, reset: GPIO17"), "spi.hz 0"},
		{"missing reset", hw("reset: GPIO17, ", ""), `reset "" must name a GPIO`},
		{"shared reset", hw("reset: GPIO22", "reset: GPIO17"), `reset GPIO "GPIO17" already resets chip "slic0"`},
		{"reset used as irq", hw("irq: GPIO27 }\n  - { name: daa0", "irq: GPIO22 }\n  - { name: daa0"), `GPIO "GPIO22" is used both as a reset and as an irq`},
		{"no chips", "name: x\ndriver: hardware\nregion: us\naudio: { driver: alsa, card: c, rate: 8000, format: S16_LE, slots: 1 }\nports: [ { name: fxs0, kind: fxs, chip: a } ]\n", "a hardware board needs chips"},
		{"no audio", hw("audio: { driver: alsa, card: card0, rate: 8000, format: MU_LAW, slots: 4 }", ""), "a hardware board needs an audio section"},
		{"bad rate", hw("rate: 8000", "rate: 16000"), "audio.rate 16000 must be 8000"},
		{"bad format", hw("format: MU_LAW", "format: FLOAT"), `audio.format "FLOAT"`},
		{"too many slots", hw("slots: 4", "slots: 33"), "audio.slots 33 must be 1-32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", p)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error\n got %v\nwant containing %q", err, tt.wantErr)
			}
			if !reflect.DeepEqual(p, Profile{}) {
				t.Errorf("failed Parse returned %+v, want zero Profile", p)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	p := Profile{Name: "x", Driver: DriverSim, Region: "U", Ports: []Port{{Name: "fxs0", Kind: "e1"}}}
	err := p.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	for _, want := range []string{`boards: profile "x": `, `region "U"`, `kind "e1"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestProfileKindsMatchHal(t *testing.T) {
	for _, ct := range chipTypes {
		if !ct.kind.Valid() || ct.channels < 1 {
			t.Errorf("chip type %+v: bad kind or channel count", ct)
		}
	}
	if !hal.KindFXS.Valid() {
		t.Fatal("hal.KindFXS invalid")
	}
}
