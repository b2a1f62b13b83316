// Package proslic drives the Silicon Labs Si3210/Si3215 ProSLIC, the FXS
// line interface: reset and sanity check, initialisation and calibration,
// the PCM time slot, linefeed control, hook status and the interrupt
// loop that feeds the line engine (hal/line). It is written from the
// register facts in the project's hal-notes (1.2, 1.3); values the notes
// mark [verify] are marked the same way here and must be checked against
// the datasheet before a board ships.
//
// Safety rule: every register write that fails, every failed step of
// Open, a power alarm and Close put the chip in the safe state: linefeed
// open, DC-DC converter off, chip held in reset.
//
// SPI framing (hal-notes 1.2): each byte in its own chip-select frame; a
// register access is the address byte (bit 7 set for a read) then the
// data byte.
package proslic
