package tts

import (
	"strings"
	"testing"
)

// FuzzValidate checks that whatever passes validation is safe to put on
// the espeak-ng command line: no option-looking or path-like names, no
// shell or argument separators, bounded text.
func FuzzValidate(f *testing.F) {
	f.Add("hello", "en-us", "f3")
	f.Add("", "en", "")
	f.Add("hi", "-w", "x")
	f.Add("hi", "en;rm -rf /", "../x")
	f.Add("\xff\x00", "hu", "m2")
	s := &Speaker{maxTextBytes: DefaultMaxTextBytes}
	f.Fuzz(func(t *testing.T, text, language, voice string) {
		if s.validate(text, language, voice) != nil {
			return
		}
		if len(text) > DefaultMaxTextBytes || strings.TrimSpace(text) == "" {
			t.Fatalf("accepted text of %d bytes", len(text))
		}
		for _, name := range []string{language, voice} {
			if name == "" {
				if name == language {
					t.Fatal("accepted an empty language")
				}
				continue // no voice variant
			}
			if strings.HasPrefix(name, "-") || strings.ContainsAny(name, " /.;&|$`'\"\\+\x00\n") || len(name) > maxNameLen {
				t.Fatalf("accepted unsafe name %q", name)
			}
		}
		if k := cacheKey(text, language, voice); !isCacheKey(k) {
			t.Fatalf("cache key %q is not a valid file name", k)
		}
	})
}
