//go:build !linux

package pcm

import "errors"

// ALSA is only available on Linux.
type ALSA struct{}

// OpenALSA fails: ALSA is Linux only.
func OpenALSA(card, device int, l Layout) (*ALSA, error) {
	return nil, errors.New("pcm: ALSA is only available on Linux")
}

// ReadBlock is never reached.
func (a *ALSA) ReadBlock([]byte) error { return errors.New("pcm: no ALSA") }

// WriteBlock is never reached.
func (a *ALSA) WriteBlock([]byte) error { return errors.New("pcm: no ALSA") }

// Close is a no-op.
func (a *ALSA) Close() error { return nil }
