// Package ratelimit blocks source addresses that fail authentication too
// often: at most limit failures per sliding window per address, with bounded
// memory. It is used for failed SIP digest logins and HTTP API logins.
package ratelimit
