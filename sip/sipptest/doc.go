// Package sipptest runs SIPp, the SIP load and scenario tester, as a real
// peer in tests: it finds free loopback ports, renders scenario templates
// and runs sipp processes with bounded lifetimes and useful failure reports.
//
// It needs the sipp binary (Debian package sip-tester); Need skips a test
// without it, or fails it when the CI environment variable is set.
package sipptest
