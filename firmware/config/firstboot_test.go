package config

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFirstBoot(t *testing.T) {
	c1, creds1, err := FirstBoot(Defaults(), nil)
	if err != nil {
		t.Fatalf("FirstBoot: %v", err)
	}
	c2, creds2, err := FirstBoot(Defaults(), nil)
	if err != nil {
		t.Fatalf("FirstBoot: %v", err)
	}

	for _, c := range []Config{c1, c2} {
		if err := Validate(&c); err != nil {
			t.Errorf("first-boot config is not valid: %v", err)
		}
		if err := c.ValidatePorts(func(p string) bool { return p == "fxs0" || p == "fxs1" }); err != nil {
			t.Errorf("first-boot ports: %v", err)
		}
	}

	want := []Extension{
		{Number: "101", Kind: KindSIP, DisplayName: "Phone 101"},
		{Number: "102", Kind: KindSIP, DisplayName: "Phone 102"},
		{Number: "201", Kind: KindAnalog, Port: "fxs0"},
		{Number: "202", Kind: KindAnalog, Port: "fxs1"},
		{Number: "800", Kind: KindAPI, Script: "welcome.ozml"},
	}
	if len(c1.Extensions) != len(want) {
		t.Fatalf("extensions = %+v", c1.Extensions)
	}
	for i, w := range want {
		got := c1.Extensions[i]
		got.Password = ""
		if got != w {
			t.Errorf("extension %d = %+v, want %+v", i, got, w)
		}
	}

	if creds1.APIUser != "admin" || len(c1.API.Users) != 1 || c1.API.Users[0].Username != "admin" {
		t.Errorf("API user: creds %q, users %+v", creds1.APIUser, c1.API.Users)
	}
	if !CheckPassword(c1.API.Users[0].PasswordHash, creds1.APIPassword) {
		t.Error("stored hash does not match the generated API password")
	}
	if strings.Contains(c1.API.Users[0].PasswordHash, creds1.APIPassword) {
		t.Error("API password is stored in the clear")
	}

	if len(creds1.Extensions) != 2 || creds1.Extensions[0].Number != "101" || creds1.Extensions[1].Number != "102" {
		t.Fatalf("extension credentials = %+v", creds1.Extensions)
	}
	seen := map[string]bool{}
	all := []string{creds1.APIPassword, creds2.APIPassword}
	for i, ec := range creds1.Extensions {
		if c1.Extensions[i].Password != ec.Password {
			t.Errorf("extension %s: config password %q, credentials %q", ec.Number, c1.Extensions[i].Password, ec.Password)
		}
		all = append(all, ec.Password, creds2.Extensions[i].Password)
		if len(ec.Password) != 16 {
			t.Errorf("extension %s password %q is not 16 characters", ec.Number, ec.Password)
		}
	}
	for _, pw := range all {
		if strings.Trim(pw, alphanumeric) != "" {
			t.Errorf("password %q is not alphanumeric", pw)
		}
		if seen[pw] {
			t.Errorf("password %q generated twice", pw)
		}
		seen[pw] = true
	}

	text := creds1.Text()
	for _, want := range []string{"admin", creds1.APIPassword, "101", "102", creds1.Extensions[0].Password, creds1.Extensions[1].Password} {
		if !strings.Contains(text, want) {
			t.Errorf("Credentials.Text() lacks %q:\n%s", want, text)
		}
	}
}

func TestFirstBootRefusesConfiguredConfig(t *testing.T) {
	withExtension := Defaults()
	withExtension.Extensions = []Extension{{Number: "1", Kind: KindAnalog, Port: "fxs0"}}
	withUser := Defaults()
	withUser.API.Users = []APIUser{{Username: "u", PasswordHash: validHash}}
	for _, c := range []Config{withExtension, withUser} {
		if _, _, err := FirstBoot(c, nil); !errors.Is(err, ErrAlreadyConfigured) {
			t.Errorf("FirstBoot on a configured config = %v, want ErrAlreadyConfigured", err)
		}
	}
}

func TestFirstBootRandomFailures(t *testing.T) {
	tests := []struct {
		name   string
		random io.Reader
	}{
		{"read error", iotest.ErrReader(errors.New("no entropy"))},
		{"runs dry", bytes.NewReader(make([]byte, 40))},
		{"only unusable bytes", constantReader(0xff)},
	}
	for _, tt := range tests {
		if _, _, err := FirstBoot(Defaults(), tt.random); err == nil {
			t.Errorf("%s: FirstBoot succeeded", tt.name)
		}
	}
}

func TestRandomPasswordUsesWholeAlphabet(t *testing.T) {
	// Bytes 0..247 map onto the alphabet 4 times; 248..255 are skipped.
	var src []byte
	for b := range 256 {
		src = append(src, byte(b))
	}
	pw, err := randomPassword(bytes.NewReader(append(src, src...)), 62)
	if err != nil {
		t.Fatal(err)
	}
	if pw != alphanumeric {
		t.Errorf("randomPassword = %q, want %q", pw, alphanumeric)
	}
}

type constantReader byte

func (r constantReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestFirstBootSimulatedModem(t *testing.T) {
	tests := []struct {
		board, device, want string
	}{
		{"sim", "", GSMSimulated},
		{"sim", "/dev/ttyUSB0", "/dev/ttyUSB0"},
		{"rpi-2fxs-1fxo", "", ""},
	}
	for _, tc := range tests {
		c := Defaults()
		c.Board, c.GSM.Device = tc.board, tc.device
		got, _, err := FirstBoot(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.GSM.Device != tc.want {
			t.Errorf("board %s, device %q: first boot device %q, want %q", tc.board, tc.device, got.GSM.Device, tc.want)
		}
	}
}
