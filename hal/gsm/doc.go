// Package gsm drives a GSM modem (a USB dongle or a Pi HAT) over a serial
// port with AT commands, for SMS in PDU mode.
//
// The AT engine runs one command at a time: it writes the command, drops
// its echo, collects the response lines and waits for the final result
// (OK, ERROR, +CME ERROR, +CMS ERROR) or the command's timeout. One reader
// goroutine splits the modem's output into lines and tells responses from
// unsolicited result codes: +CMTI and +CDSI (a message or status report
// stored: read with AT+CMGR, then deleted with AT+CMGD), +CMT and +CDS
// (delivered directly, the PDU on the next line), +CREG and +CSQ (cached
// health). Unsolicited codes are handled on a worker goroutine, in order,
// so handling one may issue commands.
//
// Open synchronises with the modem, turns echo off, selects numeric
// errors, PDU mode and new-message indications (AT+CNMI=2,1,0,1,0: stored
// messages announced, status reports delivered directly), enables
// registration reports, and then reads and deletes whatever messages the
// modem stored while nobody was listening.
//
// Send splits a text into concatenated parts (package pdu), sends each
// with AT+CMGS and returns the message references the network assigned;
// status reports carry the same references. Incoming parts are reassembled
// before OnMessage sees them.
//
// Subpackages: pdu (the SMS PDU codec), serial (opening a tty), gsmsim (a
// simulated modem on a pseudo-terminal for tests and for running without
// hardware).
package gsm
