package pbx

import (
	"github.com/gatepbx/gatepbx/firmware/config"
)

// Directory is the immutable extension table built from a config. A reload
// builds a new one and swaps it in; calls in progress keep theirs.
type Directory struct {
	byNumber map[string]config.Extension
}

// NewDirectory indexes the config's extensions by number.
func NewDirectory(exts []config.Extension) *Directory {
	d := &Directory{byNumber: make(map[string]config.Extension, len(exts))}
	for _, e := range exts {
		d.byNumber[e.Number] = e
	}
	return d
}

// Lookup finds an extension by number.
func (d *Directory) Lookup(number string) (config.Extension, bool) {
	e, ok := d.byNumber[number]
	return e, ok
}

// SIPPassword returns the digest password of a SIP extension.
func (d *Directory) SIPPassword(number string) (string, bool) {
	e, ok := d.byNumber[number]
	if !ok || e.Kind != "sip" {
		return "", false
	}
	return e.Password, true
}

// DisplayName returns the extension's display name ("" when none).
func (d *Directory) DisplayName(number string) string {
	return d.byNumber[number].DisplayName
}

// Len is the number of extensions.
func (d *Directory) Len() int { return len(d.byNumber) }
