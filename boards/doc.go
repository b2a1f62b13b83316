// Package boards describes the supported boards as data and opens them as
// hal boards. Each profile is a YAML file under profiles/, embedded in the
// binary and validated strictly: which chip sits on which SPI chip select,
// its IRQ and reset GPIOs, which port uses which chip channel and PCM slot,
// the region, and the device-tree compatible strings that auto-detect it.
// "sim" is one profile, the simulated board.
package boards
