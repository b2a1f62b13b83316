package config

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrAlreadyConfigured is returned by FirstBoot for a config that already
// has extensions or API users.
var ErrAlreadyConfigured = errors.New("config already has extensions or API users")

// First-boot sample setup.
const (
	firstBootAPIUser        = "admin"
	firstBootAPIPasswordLen = 20
	firstBootSIPPasswordLen = 16
)

// firstBootExtensions is the sample extension plan; SIP extensions get a
// fresh password each.
var firstBootExtensions = []Extension{
	{Number: "101", Kind: KindSIP, DisplayName: "Phone 101"},
	{Number: "102", Kind: KindSIP, DisplayName: "Phone 102"},
	{Number: "201", Kind: KindAnalog, Port: "fxs0"},
	{Number: "202", Kind: KindAnalog, Port: "fxs1"},
	{Number: "800", Kind: KindAPI, Script: "welcome.ozml"},
}

// Credentials are the passwords FirstBoot generated, for the person setting
// up the appliance.
type Credentials struct {
	APIUser     string
	APIPassword string
	Extensions  []ExtensionCredential
}

// ExtensionCredential is the SIP password of one extension.
type ExtensionCredential struct {
	Number   string
	Password string
}

// FirstBoot fills a config that has no extensions and no API users with the
// sample setup: API user "admin" with a random password (stored hashed), SIP
// extensions 101 and 102 with random 16-character alphanumeric passwords,
// analog extensions 201 (fxs0) and 202 (fxs1), and API extension 800 running
// data_dir/scripts/welcome.ozml; on the sim board, the simulated GSM modem. random supplies the randomness (nil means
// crypto/rand). The plain passwords are returned only in Credentials.
func FirstBoot(c Config, random io.Reader) (Config, Credentials, error) {
	if len(c.Extensions) > 0 || len(c.API.Users) > 0 {
		return c, Credentials{}, fmt.Errorf("first boot: %w", ErrAlreadyConfigured)
	}
	if random == nil {
		random = rand.Reader
	}
	apiPassword, err := randomPassword(random, firstBootAPIPasswordLen)
	if err != nil {
		return c, Credentials{}, fmt.Errorf("first boot: API password: %w", err)
	}
	hash, err := hashPassword(apiPassword, PasswordHashIterations, random)
	if err != nil {
		return c, Credentials{}, fmt.Errorf("first boot: %w", err)
	}
	creds := Credentials{APIUser: firstBootAPIUser, APIPassword: apiPassword}
	exts := make([]Extension, len(firstBootExtensions))
	copy(exts, firstBootExtensions)
	for i := range exts {
		if exts[i].Kind != KindSIP {
			continue
		}
		pw, err := randomPassword(random, firstBootSIPPasswordLen)
		if err != nil {
			return c, Credentials{}, fmt.Errorf("first boot: extension %s password: %w", exts[i].Number, err)
		}
		exts[i].Password = pw
		creds.Extensions = append(creds.Extensions, ExtensionCredential{Number: exts[i].Number, Password: pw})
	}
	c.Extensions = exts
	c.API.Users = []APIUser{{Username: firstBootAPIUser, PasswordHash: hash}}
	if c.Board == "sim" && c.GSM.Device == "" {
		c.GSM.Device = GSMSimulated // a simulated board gets a simulated modem
	}
	c.source = nil // no longer what any file says
	return c, creds, nil
}

// Text renders the credentials for a private (mode 0600) text file.
func (c Credentials) Text() string {
	var b strings.Builder
	b.WriteString("gatepbx first-boot credentials\n")
	b.WriteString("Keep this file private. Change the passwords in the config file and\n")
	b.WriteString("delete this file once the phones are set up.\n\n")
	b.WriteString("HTTP API\n")
	fmt.Fprintf(&b, "  username: %s\n", c.APIUser)
	fmt.Fprintf(&b, "  password: %s\n", c.APIPassword)
	if len(c.Extensions) > 0 {
		b.WriteString("\nSIP extensions (the SIP username is the extension number)\n")
		for _, e := range c.Extensions {
			fmt.Fprintf(&b, "  %-6s password: %s\n", e.Number, e.Password)
		}
	}
	return b.String()
}

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomPassword draws n uniformly random alphanumeric characters from
// random, discarding bytes that would bias the choice.
func randomPassword(random io.Reader, n int) (string, error) {
	const limit = 256 - 256%len(alphanumeric) // 248: largest multiple of 62 that fits a byte
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for range 64 {
		if _, err := io.ReadFull(random, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, alphanumeric[int(b)%len(alphanumeric)])
				if len(out) == n {
					return string(out), nil
				}
			}
		}
	}
	return "", errors.New("random source keeps returning unusable bytes")
}
