// Package overload keeps the SIP user agent's memory bounded under a
// flood of requests. sipgo keeps every server transaction, with its
// request and response, until Timer J or its INVITE counterpart ends it:
// 32 s over UDP, so memory grows with request rate × 32 s (about 5 KB per
// REGISTER and 15 KB per call's transactions, measured). A Guard counts
// the live server transactions the user agent's handlers were given, in
// all and per source address, and while the count is at its maximum, or
// a source address holds half of it, answers each new UDP request (from
// that address) with a stateless "503 Service Unavailable" and a
// Retry-After (RFC 3261 21.5.4) before sipgo parses it, so the request
// never becomes a transaction. The per-address share keeps a single
// flooding host from locking the phones out, as Kamailio's pike module
// does by address.
//
// What passes anyway: responses (our own client transactions wait for
// them), a retransmission of a request whose transaction is live
// (recognised by method and top Via branch; it must reach its
// transaction, not get a contradicting 503), and ACK, CANCEL and BYE,
// which end calls and free resources, until twice the maximum: a BYE for
// a dialog that does not exist still becomes a transaction (answered
// 481), so a flood of those is bounded too (SIPp, for one, sends a BYE
// for every call it aborts on an unexpected 503). An ACK is never
// answered, only dropped. Over TCP and TLS the guard does not filter: sipgo's
// read filter sees stream chunks there, not messages, and a reliable
// transport's non-INVITE transaction ends with its final response (Timer
// J is zero), so those requests do not pile up. What costs memory there
// is connections (sipgo gives each a goroutine and a 64 KiB buffer): a
// ConnLimiter wraps each stream listener and closes a connection over
// its maximum (DefaultMaxConnections: 1024 on a 1 GB board), or over
// half of it from one address, as soon as it is accepted.
//
// The default maximum (DefaultMax) is a quarter of the process's soft
// memory limit at 16 KiB per transaction: 8192 on a 1 GB board whose
// limit is half the RAM, that is 256 new requests per second sustained
// for 32 s, far beyond a small office's phones. Measured under a SIPp
// REGISTER flood at that maximum, with the BYE reserve filled too (16384
// transactions), the process peaked at about 160 MB RSS.
package overload
