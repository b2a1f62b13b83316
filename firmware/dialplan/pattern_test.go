package dialplan

import (
	"regexp"
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		yes, no []string
	}{
		{"_NXXXXXX", []string{"5551234", "2000000"}, []string{"1551234", "555123", "55512345", "555123a"}},
		{"_9.", []string{"91", "95551234", "9*#"}, []string{"9", "8123", ""}},
		{"_9!", []string{"9", "91", "9123"}, []string{"", "8"}},
		{"_Z", []string{"1", "9"}, []string{"0", "12"}},
		{"_[1-5,7]X", []string{"10", "59", "70"}, []string{"60", "80", "1"}},
		{"_[137]", []string{"1", "3", "7"}, []string{"2"}},
		{"_+1NXX", []string{"+1200", "+1999"}, []string{"1200", "+1100"}},
		{"_*7x", []string{"*70", "*79"}, []string{"*7", "#70"}},
		{"_100", []string{"100"}, []string{"1000", "10"}},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		for _, n := range tt.yes {
			if !p.Match(n) {
				t.Errorf("%s should match %q", tt.pattern, n)
			}
		}
		for _, n := range tt.no {
			if p.Match(n) {
				t.Errorf("%s should not match %q", tt.pattern, n)
			}
		}
	}
}

func TestPatternErrors(t *testing.T) {
	for _, tt := range []struct{ pattern, want string }{
		{"9XX", "must start with '_'"},
		{"_", "empty"},
		{"_!", "matches everything"},
		{"_9.1", "must be last"},
		{"_[1-", "unclosed"},
		{"_[]", "empty"},
		{"_[,]", "empty"},
		{"_9[,,]X", "empty"},
		{"_[5-1]", "bad range"},
		{"_[1-]", "without an end"},
		{"_[a]", "bad character"},
		{"_9Q", "bad character"},
		{"_" + strings.Repeat("X", 200), "longer than"},
	} {
		_, err := CompilePattern(tt.pattern)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want error with %q", tt.pattern, err, tt.want)
		}
	}
}

// toRegexp translates a valid pattern into a regular expression: the
// oracle the fuzzer checks Match against.
func toRegexp(p string) string {
	var b strings.Builder
	b.WriteString(`^`)
	body := p[1:]
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case 'X', 'x':
			b.WriteString(`[0-9]`)
		case 'Z', 'z':
			b.WriteString(`[1-9]`)
		case 'N', 'n':
			b.WriteString(`[2-9]`)
		case '.':
			b.WriteString(`(?s:.+)`)
		case '!':
			b.WriteString(`(?s:.*)`)
		case '[':
			end := strings.IndexByte(body[i:], ']')
			b.WriteString(`[` + regexp.QuoteMeta(strings.ReplaceAll(body[i+1:i+end], ",", "")) + `]`)
			i += end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return b.String()
}

func FuzzPattern(f *testing.F) {
	for _, s := range [][2]string{{"_NXXXXXX", "5551234"}, {"_9.", "91"}, {"_[1-5,7]X!", "70"}, {"_+1Z", "+12"}, {"_*7x", "*70"}, {"_[", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, number string) {
		p, err := CompilePattern(pattern)
		if err != nil {
			return
		}
		if strings.Contains(pattern, "-") {
			return // ranges are checked by the table tests
		}
		re := regexp.MustCompile(toRegexp(pattern))
		if got, want := p.Match(number), re.MatchString(number); got != want {
			t.Fatalf("pattern %q number %q: Match %v, regexp %s says %v", pattern, number, got, re, want)
		}
	})
}
