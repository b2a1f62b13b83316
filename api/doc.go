// Package api serves the appliance's HTTP interface on port 9509: a health
// page now, and the Ozeki-compatible /api command endpoint with its XML
// envelope and result codes. The call-control commands arrive with the API
// issue; until then every command is answered with result code 301.
package api
