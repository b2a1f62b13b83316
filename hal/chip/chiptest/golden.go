package chiptest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/conntest"
)

// FormatOps renders recorded single-byte SPI transfers one per line: "w XX"
// for a write, "r XX" for a read that clocked back XX.
func FormatOps(ops []conntest.IO) string {
	var b strings.Builder
	for _, op := range ops {
		switch {
		case len(op.R) == 1:
			fmt.Fprintf(&b, "r %02x\n", op.R[0])
		case len(op.W) == 1:
			fmt.Fprintf(&b, "w %02x\n", op.W[0])
		default:
			fmt.Fprintf(&b, "? % x / % x\n", op.W, op.R)
		}
	}
	return b.String()
}

// ParseOps reads FormatOps output back into playback operations (a read
// writes a zero byte). Lines starting with # are comments.
func ParseOps(text string) ([]conntest.IO, error) {
	var ops []conntest.IO
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, hex, ok := strings.Cut(line, " ")
		v, err := strconv.ParseUint(hex, 16, 8)
		if !ok || err != nil || (kind != "w" && kind != "r") {
			return nil, fmt.Errorf("line %d: %q is not \"w XX\" or \"r XX\"", i+1, line)
		}
		if kind == "w" {
			ops = append(ops, conntest.IO{W: []byte{byte(v)}})
		} else {
			ops = append(ops, conntest.IO{W: []byte{0}, R: []byte{byte(v)}})
		}
	}
	return ops, nil
}

// Golden compares got with the file at path; with UPDATE_GOLDEN=1 in the
// environment it rewrites the file instead.
func Golden(path, header, got string) error {
	want := header + got
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		return os.WriteFile(path, []byte(want), 0o644)
	}
	have, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if !bytes.Equal(have, []byte(want)) {
		return fmt.Errorf("%s differs from the recorded sequence (UPDATE_GOLDEN=1 rewrites it after review)", path)
	}
	return nil
}
