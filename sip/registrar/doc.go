// Package registrar keeps the location service of the appliance: which
// contacts each extension has registered, until when, and from which source
// address and transport the REGISTER came (so phones behind NAT are reached
// where they really are). It is pure bookkeeping on an injected clock; the
// SIP handler in package ua feeds it parsed REGISTER data.
package registrar
