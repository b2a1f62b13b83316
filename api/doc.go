// Package api serves the appliance's HTTP interface on port 9509: the
// health page, and the Ozeki-compatible command endpoint (/api, /api/ and
// /) that answers every request with HTTP 200 and the <Response> envelope
// carrying an Ozeki result code. It parses and bounds the request,
// authenticates the API user (cached PBKDF2 check, per-user command and
// network ACLs, per-source failure limit), and runs the command against
// the small interfaces it declares (Calls, CallHistory, Extensions), which
// the firmware's wiring implements. API.md documents every command.
package api
