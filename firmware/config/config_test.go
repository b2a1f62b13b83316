package config

import (
	"bytes"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	c := Defaults()
	if err := Validate(&c); err != nil {
		t.Fatalf("Validate(Defaults()) = %v", err)
	}
}

func TestDefaultYAMLIsDefaults(t *testing.T) {
	c, err := Parse("default.yaml", DefaultYAML)
	if err != nil {
		t.Fatalf("Parse(default.yaml): %v", err)
	}
	c.source = nil
	if want := Defaults(); !reflect.DeepEqual(c, want) {
		t.Errorf("default.yaml and Defaults() differ:\nyaml: %+v\ncode: %+v", c, want)
	}
}

// TestDefaultYAMLShowsEveryOption makes sure the documented file writes out
// every option (a missing one would still parse to its default).
func TestDefaultYAMLShowsEveryOption(t *testing.T) {
	c, err := Parse("default.yaml", DefaultYAML)
	if err != nil {
		t.Fatalf("Parse(default.yaml): %v", err)
	}
	for _, p := range optionPaths(reflect.TypeFor[Config](), "") {
		if _, ok := c.source.exactLine(p); !ok {
			t.Errorf("default.yaml does not show option %s", p)
		}
	}
}

// TestDefaultYAMLExamples uncomments the examples of default.yaml and checks
// that they parse, pass validation and show every extension and user field.
func TestDefaultYAMLExamples(t *testing.T) {
	doc := uncommentExamples(t, string(DefaultYAML))
	c, err := Parse("default.yaml (examples)", []byte(doc))
	if err != nil {
		t.Fatalf("examples do not parse: %v\n%s", err, doc)
	}
	kinds := map[string]bool{}
	for _, e := range c.Extensions {
		kinds[e.Kind] = true
	}
	for _, k := range extensionKinds {
		if !kinds[k] {
			t.Errorf("no example extension of kind %q", k)
		}
	}
	if len(c.API.Users) == 0 {
		t.Fatal("no example API user")
	}
	shown := map[string]bool{}
	for p := range c.source.lines {
		shown[strings.TrimLeft(p[strings.LastIndexByte(p, ']')+1:], ".")] = true
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[Extension](), reflect.TypeFor[APIUser]()} {
		for name := range yamlFields(typ) {
			if !shown[name] {
				t.Errorf("no example shows %s.%s", typ.Name(), name)
			}
		}
	}
}

// optionPaths lists the field paths of every option below t, not descending
// into lists (their items are shown as commented examples).
func optionPaths(t reflect.Type, prefix string) []string {
	var paths []string
	for name, i := range yamlFields(t) {
		p := fieldPath(prefix, name)
		paths = append(paths, p)
		if f := t.Field(i).Type; f.Kind() == reflect.Struct {
			paths = append(paths, optionPaths(f, p)...)
		}
	}
	slices.Sort(paths)
	return paths
}

// uncommentExamples turns each "# Example:" block of default.yaml into live
// YAML, replacing the "key: []" line just above it.
func uncommentExamples(t *testing.T, doc string) string {
	t.Helper()
	lines := strings.Split(doc, "\n")
	var out []string
	examples := 0
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		if strings.TrimSpace(line) != "# Example:" {
			out = append(out, line)
			continue
		}
		examples++
		// Drop the empty list the example replaces.
		if last := out[len(out)-1]; strings.HasSuffix(last, ": []") {
			out = out[:len(out)-1]
		} else {
			t.Fatalf("example at line %d does not follow a \"key: []\" line", i+1)
		}
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], indent+"# ") {
			i++
			out = append(out, indent+strings.TrimPrefix(lines[i], indent+"# "))
		}
	}
	if examples != 6 {
		t.Fatalf("found %d example blocks in default.yaml, want 6", examples)
	}
	return strings.Join(out, "\n")
}

func TestMarshalRoundTrip(t *testing.T) {
	firstBoot, _, err := FirstBoot(Defaults(), nil)
	if err != nil {
		t.Fatal(err)
	}
	custom := Defaults()
	custom.Region = "fr"
	custom.SIP.AdvertiseAddress = "192.0.2.7"
	custom.SIP.TLSCertFile, custom.SIP.TLSKeyFile = "/etc/pbx/cert.pem", "/etc/pbx/key.pem"
	custom.SIP.NonceLifetime = 90 * time.Minute
	custom.SIP.RingTimeout = 1500 * time.Millisecond
	custom.RTP.BindAddress = "::1"
	custom.RTP.MediaTimeout = 0
	custom.RTP.TelephoneEvent = false
	custom.RTP.Codecs = []string{"PCMA"}
	custom.API.Users = []APIUser{{Username: "ops", PasswordHash: validHash, AllowedCommands: []string{"Call"}, AllowedNetworks: []string{"10.0.0.0/8"}}}
	custom.Extensions = []Extension{
		{Number: "0", Kind: KindSIP, DisplayName: "Zoë: #1 & *2", Password: "  'yes' no: # [x] \"q\" \\ "},
		{Number: "*98#", Kind: KindAPI, URL: "http://127.0.0.1:8080/a?b=c#d"},
		{Number: "0123", Kind: KindAnalog, Port: "fxs0"},
	}

	tests := []struct {
		name string
		c    Config
	}{
		{"defaults", Defaults()},
		{"first boot", firstBoot},
		{"custom", custom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Validate(&tt.c); err != nil {
				t.Fatalf("test config is not valid: %v", err)
			}
			data, err := Marshal(tt.c)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.HasPrefix(data, []byte("# gatepbx configuration\n")) {
				t.Errorf("Marshal output does not start with the comment header:\n%s", data)
			}
			got, err := Parse("marshalled.yaml", data)
			if err != nil {
				t.Fatalf("Parse(Marshal(c)): %v\n%s", err, data)
			}
			equalConfigs(t, got, tt.c)
		})
	}
}

func TestMarshalShortDurations(t *testing.T) {
	data, err := Marshal(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nonce_lifetime: 5m\n", "ring_timeout: 1m\n", "media_timeout: 30s\n"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("Marshal output lacks %q:\n%s", want, data)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{30 * time.Second, "30s"},
		{5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{time.Hour + 30*time.Minute, "1h30m"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{1500 * time.Millisecond, "1.5s"},
		{-time.Minute, "-1m"},
	}
	for _, tt := range tests {
		got := formatDuration(tt.d)
		if got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tt.d {
			t.Errorf("formatDuration(%v) = %q does not parse back (%v, %v)", tt.d, got, back, err)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	tests := []struct {
		level string
		want  slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"info", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"error", slog.LevelError},
		{"bogus", slog.LevelInfo},
	}
	for _, tt := range tests {
		c := Config{LogLevel: tt.level}
		if got := c.SlogLevel(); got != tt.want {
			t.Errorf("SlogLevel(%q) = %v, want %v", tt.level, got, tt.want)
		}
	}
}

func TestEqualIgnoresSource(t *testing.T) {
	a, err := Parse("a.yaml", []byte("board: sim\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.yaml", []byte("\n\n\nboard: sim\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) || !a.Equal(Defaults()) {
		t.Error("configs with the same settings are not Equal")
	}
	b.Board = "pi"
	if a.Equal(b) {
		t.Error("configs with different boards are Equal")
	}
}
