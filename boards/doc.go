// Package boards describes the supported boards as data and opens them as
// hal boards. Each profile is a YAML file under profiles/, embedded in the
// binary and validated strictly: which chip sits on which SPI chip select,
// its IRQ and reset GPIOs, which port uses which chip channel and PCM slot,
// the region (a hal/region code), and the device-tree compatible strings
// that auto-detect it. "sim" is one profile, the simulated board.
//
// Select picks a profile by name or, for "auto", from the device tree.
// Open brings a hardware profile up: each chip is reset, sanity-checked
// and initialised (hal/proslic, hal/daa), each port gets a line engine
// (hal/line) fed by its chip's interrupt loop, and one PCM pump (hal/pcm)
// moves the audio. A chip that fails its check fails the board with an
// error naming it, after every chip is back in reset; the caller keeps
// running without analog ports.
package boards
