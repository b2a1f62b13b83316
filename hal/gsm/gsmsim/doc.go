// Package gsmsim is a simulated GSM modem behind a pseudo-terminal: it
// answers AT commands the way common modems do (echo until ATE0, numeric
// or plain errors by AT+CMEE, PDU-mode AT+CMGS with its "> " prompt,
// AT+CMGR/CMGD/CMGL on a message store, AT+CSQ/CREG?/COPS?), and the test
// or the operator can make it receive SMS (stored with +CMTI, or delivered
// with +CMT), send status reports (+CDS), change registration (+CREG),
// refuse recipients with +CMS ERROR, or stop answering. The driver opens
// Path() like any serial port, so tests and `make run` exercise the same
// code as a real modem.
package gsmsim
