// Package daa drives the Silicon Labs Si3050 DAA with its Si3019 line-side
// chip, the FXO line interface: reset and sanity check, the country
// settings (line impedance, DC termination, ring detection) as a data
// table, the PCM time slot, bringing up the isolation-capacitor link,
// hook control with the on-hook line monitor kept on for caller ID, and
// the status loop that feeds the line engine (hal/line) ring-detect and
// line-voltage readings. It is written from the register facts in the
// project's hal-notes (1.2, 1.3); values marked [verify] must be checked
// against the datasheet before a board ships.
//
// Safety rule: every failed register access, every failed step of Open
// and Close put the DAA on hook and hold it in reset.
//
// SPI framing (hal-notes 1.2): three bytes, each in its own chip-select
// frame: control (0x20 write, 0x60 read), register address, data.
package daa
