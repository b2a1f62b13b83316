// Package trunk is the client side of a SIP trunk: it registers the
// appliance upstream with a provider (digest auth on 401/407, refresh
// before expiry, exponential backoff on failure, unregister on Close),
// reports the registration status, and answers the provider's digest
// challenges to outbound requests such as INVITE with the trunk's
// credentials. Inbound recognises the provider's own INVITEs (by source
// address and port, or Request-URI user) and maps their DIDs to local
// numbers.
package trunk
