package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem found in a configuration. Parse, Load, Validate and
// ValidatePorts return one *Error, or several joined with errors.Join (one
// per line of the error text); unpack them with errors.As or by unwrapping.
type Error struct {
	File    string // file name as given to Parse or Load; "" for configs built in code
	Line    int    // 1-based line in File; 0 when unknown
	Field   string // field path like "extensions[1].number"; "" for whole-file problems
	Problem string // what is wrong, for a person to read
}

// Error formats the problem as "<file>:<line>: <field>: <problem>", leaving
// out the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// joinErrors returns nil, the only error, or all of them joined, ordered by
// line (errors without a line keep their order).
func joinErrors(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	slices.SortStableFunc(errs, func(a, b *Error) int { return a.Line - b.Line })
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

// fieldPath joins a parent path and a key: "sip" + "udp_port" = "sip.udp_port".
func fieldPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath names a list item: "extensions" + 1 = "extensions[1]".
func indexPath(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}

// parentPath strips the last key or index from a field path; the parent of a
// top-level key is "".
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// isWithin reports whether field is path itself or lies below it.
func isWithin(field, path string) bool {
	if !strings.HasPrefix(field, path) {
		return false
	}
	rest := field[len(path):]
	return rest == "" || path == "" || rest[0] == '.' || rest[0] == '['
}
