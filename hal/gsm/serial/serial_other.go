//go:build !linux

package serial

import (
	"errors"
	"os"
)

// Open is only implemented on Linux.
func Open(path string, baud int) (*os.File, error) {
	return nil, errors.New("serial: only supported on Linux")
}
