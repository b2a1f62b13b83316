// Package app wires the appliance together: it loads (or, on first boot,
// creates) the config, opens the data dir, the board, the call history,
// the RTP port pool, the SIP listeners and the HTTP API, and stops them in
// order. The gatepbx command and the end-to-end tests both start it.
package app
