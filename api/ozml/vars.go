package ozml

import (
	"fmt"
	"strings"
)

// vars holds a run's variables and arrays. Names are case-insensitive.
// The bytes of all values together are bounded, and so is the result of
// a substitution, so a loop doubling a variable cannot eat the memory.
type vars struct {
	vals   map[string]string
	arrays map[string][]string
	bytes  int
	max    int
}

func newVars(max int) *vars {
	return &vars{vals: map[string]string{}, arrays: map[string][]string{}, max: max}
}

func (v *vars) set(name, val string) error {
	name, err := v.charge("variable", name, len(v.vals[strings.ToLower(name)]), len(val))
	if err != nil {
		return err
	}
	v.vals[name] = val
	return nil
}

// charge checks that replacing oldLen bytes of a variable or array with
// newLen keeps within the limit, books it, and returns the lower-cased
// name.
func (v *vars) charge(kind, name string, oldLen, newLen int) (string, error) {
	if len(name) > maxNameLen {
		return "", fmt.Errorf("%s name longer than %d bytes: %w", kind, maxNameLen, ErrLimit)
	}
	nb := v.bytes - oldLen + newLen
	if nb > v.max {
		return "", fmt.Errorf("%s %q would take the variables to %d bytes, more than %d: %w", kind, name, nb, v.max, ErrLimit)
	}
	v.bytes = nb
	return strings.ToLower(name), nil
}

// unset removes a variable (used to restore $item after a ForEach).
func (v *vars) unset(name string) {
	name = strings.ToLower(name)
	v.bytes -= len(v.vals[name])
	delete(v.vals, name)
}

func (v *vars) get(name string) (string, bool) {
	s, ok := v.vals[strings.ToLower(name)]
	return s, ok
}

func (v *vars) setArray(name string, items []string) error {
	size := func(a []string) int {
		n := 0
		for _, s := range a {
			n += len(s)
		}
		return n
	}
	name, err := v.charge("array", name, size(v.arrays[strings.ToLower(name)]), size(items))
	if err != nil {
		return err
	}
	v.arrays[name] = items
	return nil
}

func (v *vars) array(name string) ([]string, bool) {
	a, ok := v.arrays[strings.ToLower(name)]
	return a, ok
}

// maxNameLen bounds variable names, and so the work of one substitution.
const maxNameLen = 64

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// subst replaces $name with the value of variable name. Substitution is
// textual, as in Ozeki: after a '$' the longest run of name characters
// that starts with a defined variable's name is taken, so "$item.wav" and
// "$items" (with only item defined) both expand item. A '$' not followed
// by a defined name stays as it is. The result is cut at the variable
// byte limit; the second result then reports the overflow.
func (v *vars) subst(s string) (string, error) {
	if strings.IndexByte(s, '$') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j + 1
		end := i
		for end < len(s) && end-i < maxNameLen && isNameByte(s[end]) {
			end++
		}
		found := false
		for k := end; k > i; k-- {
			if val, ok := v.get(s[i:k]); ok {
				b.WriteString(val)
				i, found = k, true
				break
			}
		}
		if !found {
			b.WriteByte('$')
		}
		if b.Len() > v.max {
			return b.String()[:v.max], fmt.Errorf("substituted value longer than %d bytes: %w", v.max, ErrLimit)
		}
	}
	return b.String(), nil
}
