package boards

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func FuzzParse(f *testing.F) {
	embedded, err := fs.Glob(profileFiles, "profiles/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range embedded {
		data, err := profileFiles.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		hardwareYAML, simYAML, "", "name: x", "- 1", "{", "a: &a [*a]",
		simYAML + "---\n" + simYAML,
		strings.Replace(hardwareYAML, "slot: 1", "slot: -1", 1),
		strings.Replace(hardwareYAML, "channel: 0, slot: 1", "channel: 99, slot: 1", 1),
		"name: x\ndriver: sim\nregion: us\nports: [{name: fxs0, kind: fxs}, {name: fxs0, kind: fxs}]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted a profile Validate rejects: %v", err)
		}
		// A valid profile survives a round trip unchanged.
		out, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		out2, err := yaml.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the profile:\n%s\n---\n%s", out, out2)
		}
	})
}

func FuzzParseCompatible(f *testing.F) {
	for _, seed := range []string{"raspberrypi,4-model-b\x00brcm,bcm2711\x00", "", "\x00\x00", " a \x00b"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, entry := range ParseCompatible(data) {
			if entry == "" || strings.Contains(entry, "\x00") || strings.TrimSpace(entry) != entry {
				t.Fatalf("ParseCompatible(%q) produced entry %q", data, entry)
			}
		}
		Match(ParseCompatible(data)) // must not panic
	})
}

func FuzzFindALSACard(f *testing.F) {
	f.Add([]byte(" 1 [sndrpisimplecar]: simple-card - snd_rpi_simple_card\n    snd_rpi_simple_card\n"), "snd_rpi_simple_card")
	f.Add([]byte(" 0 [x]: y - z"), "0")
	f.Add([]byte("99 [a]: b"), "a")
	f.Add([]byte("-1 [a]"), "a")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		n, err := FindALSACard(data, name)
		if err == nil && (n < 0 || n > 31) {
			t.Fatalf("card number %d out of range", n)
		}
	})
}
