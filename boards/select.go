package boards

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// DeviceTreeCompatible is where Linux lists the machine's device-tree
// compatible strings.
const DeviceTreeCompatible = "/proc/device-tree/compatible"

// Auto is the board name that asks Select to detect the board.
const Auto = "auto"

// ErrNoMatch is wrapped by Select when auto-detection finds no profile.
var ErrNoMatch = errors.New("boards: no profile matches this machine")

// Select returns the profile named name, or for "" or "auto" the profile
// matching this machine's device tree (DeviceTreeCompatible). readFile is
// os.ReadFile when nil.
func Select(name string, readFile func(string) ([]byte, error)) (Profile, error) {
	if name != "" && name != Auto {
		return Lookup(name)
	}
	if readFile == nil {
		readFile = os.ReadFile
	}
	data, err := readFile(DeviceTreeCompatible)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Profile{}, fmt.Errorf("boards: read %s: %w", DeviceTreeCompatible, err)
	}
	compatible := ParseCompatible(data)
	if p, ok := Match(compatible); ok {
		return p, nil
	}
	return Profile{}, fmt.Errorf("%w (device tree: %q); name one, e.g. \"sim\"", ErrNoMatch, strings.Join(compatible, ", "))
}
