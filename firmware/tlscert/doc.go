// Package tlscert provides the SIP TLS certificate: the configured one, or
// a self-signed ECDSA certificate made once at first start in the data dir.
package tlscert
