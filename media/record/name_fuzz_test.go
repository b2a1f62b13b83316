package record

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzFileName checks that no recording name from outside (the API's
// RecordPath) leaves the recordings directory.
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"a", "a.wav", "../a", "/a", "a/../../b", "a/./b.MP3", "", "c:\\x", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, format := range []Format{WAV, MP3} {
			got, err := fileName(name, format)
			if err != nil {
				continue
			}
			if !filepath.IsLocal(got) {
				t.Fatalf("fileName(%q) = %q, not local", name, got)
			}
			if !strings.EqualFold(filepath.Ext(got), "."+format.String()) {
				t.Fatalf("fileName(%q) = %q without the extension", name, got)
			}
		}
	})
}
