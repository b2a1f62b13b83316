// Package digest is the server side of SIP digest authentication
// (RFC 2617 / RFC 7616 / RFC 8760 as spoken by SIP phones): it issues
// stateless, address-bound nonces in WWW-Authenticate / Proxy-Authenticate
// challenges, parses Authorization / Proxy-Authorization values and verifies
// the responses without leaking which usernames exist.
package digest
